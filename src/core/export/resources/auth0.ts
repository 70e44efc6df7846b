// The Auth0 application (auth0_client) and its credentials (auth0_client_credentials), whose
// `client_secret` attribute the Auth0 provider reads from the Management API (read:client_keys):
// that attribute, not a literal, is what the workforce provider's client secret refers to.
// Every optional field the app holds is repeated as it is (an optional list or map left out would
// be emptied by the next apply); the fields the provider computes itself are left to it.
import { attr, block, obj, type Item, type Value } from '../hcl.js';
import { ADDR, adopted, lifecycle, present, ref, resource, type Section } from '../tf.js';
import type { Auth0Client, ExportInput } from '../live.js';

/** Terraform attribute ← Management API field, for the plain values auth0_client takes as they are. */
const SIMPLE: readonly (readonly [string, string])[] = [
  ['description', 'description'],
  ['app_type', 'app_type'],
  ['logo_uri', 'logo_uri'],
  ['initiate_login_uri', 'initiate_login_uri'],
  ['oidc_conformant', 'oidc_conformant'],
  ['sso', 'sso'],
  ['sso_disabled', 'sso_disabled'],
  ['cross_origin_auth', 'cross_origin_authentication'],
  ['cross_origin_loc', 'cross_origin_loc'],
  ['require_pushed_authorization_requests', 'require_pushed_authorization_requests'],
  ['require_proof_of_possession', 'require_proof_of_possession'],
  ['compliance_level', 'compliance_level'],
  ['callbacks', 'callbacks'],
  ['grant_types', 'grant_types'],
  ['web_origins', 'web_origins'],
  ['allowed_origins', 'allowed_origins'],
  ['allowed_logout_urls', 'allowed_logout_urls'],
  ['allowed_clients', 'allowed_clients'],
  ['client_aliases', 'client_aliases'],
  ['organization_discovery_methods', 'organization_discovery_methods'],
  ['async_approval_notification_channels', 'async_approval_notification_channels'],
  ['client_metadata', 'client_metadata'],
  ['encryption_key', 'encryption_key'],
];

/** Optional blocks and values of auth0_client that this export does not write: named in the README when set. */
const NOT_WRITTEN = [
  'addons',
  'oidc_logout',
  'session_transfer',
  'token_exchange',
  'fedcm_login',
  'identity_assertion_authorization_grant',
  'token_quota',
  'custom_login_page',
  'form_template',
  'resource_server_identifier',
  'skip_non_verifiable_callback_uri_confirmation_prompt',
  'my_organization_configuration',
  'express_configuration',
];

const asValue = (x: unknown): Value =>
  typeof x === 'object' && x !== null && !Array.isArray(x)
    ? obj(Object.fromEntries(Object.entries(x).map(([k, val]) => [k, String(val)])))
    : (x as Value);

function clientResource(app: Auth0Client): Item[] {
  const jwt = app.jwt_configuration as { alg?: string; scopes?: Record<string, string> } | undefined;
  return [
    attr('name', app.name ?? ''),
    ...SIMPLE.filter(([, api]) => present(app[api])).map(([tf, api]) => attr(tf, asValue(app[api]))),
    ...(jwt?.alg || present(jwt?.scopes)
      ? [
          block(
            'jwt_configuration',
            [],
            [
              ...(jwt?.alg ? [attr('alg', jwt.alg)] : []),
              ...(present(jwt?.scopes) ? [attr('scopes', asValue(jwt?.scopes))] : []),
            ],
          ),
        ]
      : []),
  ];
}

export function auth0Section(x: ExportInput): Section {
  const app = x.live.auth0Client;
  const id = x.state.stages['auth0-app']?.resources.clientId ?? '';
  const method = app.token_endpoint_auth_method as string | undefined;
  const notes = NOT_WRITTEN.filter((k) => present(app[k])).map(
    (k) => `Auth0 application: \`${k}\` is set and not written`,
  );
  if (method && !['client_secret_post', 'client_secret_basic'].includes(method))
    notes.push(`Auth0 application: its authentication method ${method} is not written (client secret methods only)`);
  return {
    file: 'auth0.tf',
    items: [
      resource(ADDR.auth0App, [
        ...clientResource(app),
        ...lifecycle({ adopted: adopted(x.state, 'auth0-app', 'clientId') }),
      ]),
      resource(ADDR.auth0Credentials, [
        attr('client_id', ref(ADDR.auth0App, 'id')),
        ...(method ? [attr('authentication_method', method)] : []),
      ]),
    ],
    imports: [
      { to: ADDR.auth0App, id },
      { to: ADDR.auth0Credentials, id },
    ],
    notes,
  };
}
