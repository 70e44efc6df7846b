// Auth0 applications ("clients") as the Management API stores, validates and returns them:
// create defaults, payload validation with Auth0's messages (auth0.md 2.2/2.3), PATCH semantics
// (arrays replaced, client_metadata merged key by key with null deleting), the read projection
// (secrets only with read:client_keys), and the tenant's seeded neighbours.
import { randomBytes } from 'node:crypto';
import type { Auth0Client, World } from '../world.js';
import { payloadError } from './errors.js';
import type { TenantKey } from './keys.js';

/** Tenant name shown in `tenant` and on the login page. */
export const TENANT_NAME = 'iap-auth0-sandbox';

// The request properties the v2 API schema knows (auth0@7 CreateClientRequestContent /
// UpdateClientRequestContent). Anything else is "Additional properties not allowed".
export const CREATE_PROPS = new Set(
  (
    'name description logo_uri callbacks oidc_logout oidc_backchannel_logout session_transfer allowed_origins ' +
    'web_origins client_aliases allowed_clients allowed_logout_urls grant_types token_endpoint_auth_method ' +
    'is_token_endpoint_ip_header_trusted app_type is_first_party oidc_conformant jwt_configuration ' +
    'encryption_key sso cross_origin_authentication cross_origin_loc sso_disabled custom_login_page_on ' +
    'custom_login_page custom_login_page_preview form_template addons client_metadata mobile initiate_login_uri ' +
    'native_social_login fedcm_login refresh_token default_organization organization_usage ' +
    'organization_require_behavior organization_discovery_methods client_authentication_methods ' +
    'require_pushed_authorization_requests require_proof_of_possession signed_request_object ' +
    'token_vault_privileged_access compliance_level skip_non_verifiable_callback_uri_confirmation_prompt ' +
    'token_exchange par_request_expiry token_quota resource_server_identifier ' +
    'identity_assertion_authorization_grant anonymous_sessions third_party_security_mode redirection_policy ' +
    'express_configuration my_organization_configuration async_approval_notification_channels'
  ).split(' '),
);
export const UPDATE_PROPS = new Set(
  [...CREATE_PROPS, 'client_secret'].filter((p) => p !== 'resource_server_identifier'),
);

export const APP_TYPES = [
  'native',
  'spa',
  'regular_web',
  'non_interactive',
  'resource_server',
  'express_configuration',
  'rms',
  'box',
  'cloudbees',
  'concur',
  'dropbox',
  'mscrm',
  'echosign',
  'egnyte',
  'newrelic',
  'office365',
  'salesforce',
  'sentry',
  'sharepoint',
  'slack',
  'springcm',
  'zendesk',
  'zoom',
  'sso_integration',
  'oag',
];
export const AUTH_METHODS = ['none', 'client_secret_post', 'client_secret_basic'];
export const GRANT_TYPES = [
  'authorization_code',
  'implicit',
  'refresh_token',
  'client_credentials',
  'password',
  'http://auth0.com/oauth/grant-type/password-realm',
  'http://auth0.com/oauth/grant-type/passwordless/otp',
  'http://auth0.com/oauth/grant-type/mfa-oob',
  'http://auth0.com/oauth/grant-type/mfa-otp',
  'http://auth0.com/oauth/grant-type/mfa-recovery-code',
  'urn:openid:params:grant-type:ciba',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token',
];
export const JWT_ALGS = ['HS256', 'RS256', 'RS512', 'PS256'];

const DESCRIPTIONS: Record<string, string> = {
  name: 'Name of this client (min length: 1 character, does not allow `<` or `>`).',
  description: 'Free text description of this client (max length: 140 characters).',
  initiate_login_uri: 'Initiate login uri, must be https',
  client_metadata:
    'Metadata associated with the client, in the form of an object with string values (max 255 chars).  ' +
    'Maximum of 10 metadata properties allowed.',
};
const URL_ARRAYS = ['callbacks', 'allowed_origins', 'web_origins', 'allowed_logout_urls'];
const STRING_ARRAYS = ['client_aliases', 'allowed_clients'];
const BOOLEANS = [
  'is_first_party',
  'oidc_conformant',
  'sso',
  'sso_disabled',
  'cross_origin_authentication',
  'custom_login_page_on',
  'is_token_endpoint_ip_header_trusted',
  'require_pushed_authorization_requests',
  'require_proof_of_possession',
  'skip_non_verifiable_callback_uri_confirmation_prompt',
];
const STRINGS = ['logo_uri', 'cross_origin_loc', 'custom_login_page', 'custom_login_page_preview', 'form_template'];
const METADATA_KEY = /^[A-Za-z0-9:,\-+=_*?"/\\()<>@\t ]{1,255}$/;

const typeOf = (v: unknown) =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;
const expected = (want: string, v: unknown, prop: string) =>
  payloadError(`Expected type ${want} but found type ${typeOf(v)}`, prop, DESCRIPTIONS[prop]);

const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|0\.0\.0\.0)$/i;

/** Auth0's `absolute-https-uri-or-empty` format for initiate_login_uri (auth0.md 2.3). */
export function validInitiateLoginUri(v: string): boolean {
  if (v === '') return true;
  // Placeholders such as {organization.metadata.public_login_host} are allowed in the URI.
  const u = URL.parse(v.replace(/\{[^}]*\}/g, 'x'));
  return !!u && u.protocol === 'https:' && !LOOPBACK_HOST.test(u.hostname) && !v.includes('#');
}

/**
 * Callback / origin URLs. Auth0 accepts any absolute URI here (custom schemes for native apps,
 * `*` wildcards in subdomains); assumption: the format check is "parses as an absolute URI".
 */
function validUrl(v: string): boolean {
  return !!URL.parse(v.replace(/\*/g, 'wildcard'));
}

/** Validates a create (POST) or update (PATCH) body against the v2 schema; throws a 400. */
export function validateClientBody(body: unknown, mode: 'create' | 'update'): Record<string, any> {
  if (typeOf(body) !== 'object') throw payloadError(`Expected type object but found type ${typeOf(body)}`);
  const b = body as Record<string, any>;
  const allowed = mode === 'create' ? CREATE_PROPS : UPDATE_PROPS;
  const extra = Object.keys(b).filter((k) => !allowed.has(k));
  if (extra.length) throw payloadError(`Additional properties not allowed: ${extra.join(',')}`);
  if (mode === 'create' && b.name === undefined) throw payloadError('Missing required property: name');
  if (b.name !== undefined) {
    if (typeof b.name !== 'string') throw expected('string', b.name, 'name');
    if (b.name.length < 1) throw payloadError('String is too short (0 chars), minimum 1', 'name', DESCRIPTIONS.name);
    if (/[<>]/.test(b.name))
      throw payloadError(`String does not match pattern ^[^<>]+$: ${b.name}`, 'name', DESCRIPTIONS.name);
  }
  if (b.description !== undefined) {
    if (typeof b.description !== 'string') throw expected('string', b.description, 'description');
    if (b.description.length > 140)
      throw payloadError(
        `String is too long (${b.description.length} chars), maximum 140`,
        'description',
        DESCRIPTIONS.description,
      );
  }
  if (b.app_type !== undefined && !APP_TYPES.includes(b.app_type))
    throw payloadError(`No enum match for: ${JSON.stringify(b.app_type)}`, 'app_type');
  if (b.token_endpoint_auth_method !== undefined && !AUTH_METHODS.includes(b.token_endpoint_auth_method)) {
    throw payloadError(
      `No enum match for: ${JSON.stringify(b.token_endpoint_auth_method)}`,
      'token_endpoint_auth_method',
    );
  }
  for (const p of [...URL_ARRAYS, ...STRING_ARRAYS, 'grant_types']) {
    if (b[p] === undefined) continue;
    if (!Array.isArray(b[p])) throw expected('array', b[p], p);
    // Assumption: the 100-entry ceiling the dashboard documents for callbacks applies to each URL list.
    if (b[p].length > 100) throw payloadError(`Array is too long (${b[p].length}), maximum 100`, p);
    b[p].forEach((v: unknown, i: number) => {
      if (typeof v !== 'string') throw expected('string', v, `${p}[${i}]`);
      if (URL_ARRAYS.includes(p) && !validUrl(v))
        throw payloadError(`Object didn't pass validation for format absolute-uri-or-empty: ${v}`, `${p}[${i}]`);
      if (p === 'grant_types' && !GRANT_TYPES.includes(v))
        throw payloadError(`No enum match for: ${JSON.stringify(v)}`, `grant_types[${i}]`);
    });
  }
  for (const p of BOOLEANS) if (b[p] !== undefined && typeof b[p] !== 'boolean') throw expected('boolean', b[p], p);
  for (const p of STRINGS) if (b[p] !== undefined && typeof b[p] !== 'string') throw expected('string', b[p], p);
  if (b.client_secret !== undefined && (typeof b.client_secret !== 'string' || b.client_secret.length < 1))
    throw expected('string', b.client_secret, 'client_secret');
  if (b.initiate_login_uri !== undefined) {
    if (typeof b.initiate_login_uri !== 'string') throw expected('string', b.initiate_login_uri, 'initiate_login_uri');
    if (!validInitiateLoginUri(b.initiate_login_uri)) {
      throw payloadError(
        `Object didn't pass validation for format absolute-https-uri-or-empty: ${b.initiate_login_uri}`,
        'initiate_login_uri',
        DESCRIPTIONS.initiate_login_uri,
      );
    }
  }
  if (b.jwt_configuration !== undefined) {
    const j = b.jwt_configuration;
    if (typeOf(j) !== 'object') throw expected('object', j, 'jwt_configuration');
    if (j.alg !== undefined && !JWT_ALGS.includes(j.alg))
      throw payloadError(`No enum match for: ${JSON.stringify(j.alg)}`, 'jwt_configuration.alg');
    if (
      j.lifetime_in_seconds !== undefined &&
      !(Number.isInteger(j.lifetime_in_seconds) && j.lifetime_in_seconds >= 0)
    ) {
      throw expected('integer', j.lifetime_in_seconds, 'jwt_configuration.lifetime_in_seconds');
    }
    if (j.secret_encoded !== undefined && typeof j.secret_encoded !== 'boolean')
      throw expected('boolean', j.secret_encoded, 'jwt_configuration.secret_encoded');
  }
  if (b.client_metadata !== undefined) validateMetadata(b.client_metadata, mode);
  return b;
}

function validateMetadata(m: unknown, mode: 'create' | 'update'): void {
  if (typeOf(m) !== 'object') throw expected('object', m, 'client_metadata');
  for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
    if (!METADATA_KEY.test(k))
      throw payloadError(`String does not match pattern: ${k}`, 'client_metadata', DESCRIPTIONS.client_metadata);
    // null removes a key on PATCH (auth0.md 2.2); on create it is just the wrong type.
    if (v === null && mode === 'update') continue;
    if (typeof v !== 'string')
      throw payloadError(
        `Expected type string but found type ${typeOf(v)}`,
        `client_metadata.${k}`,
        DESCRIPTIONS.client_metadata,
      );
    if (v.length > 255)
      throw payloadError(
        `String is too long (${v.length} chars), maximum 255`,
        `client_metadata.${k}`,
        DESCRIPTIONS.client_metadata,
      );
  }
  checkMetadataCount(m as Record<string, unknown>);
}

function checkMetadataCount(m: Record<string, unknown>): void {
  const n = Object.values(m).filter((v) => v !== null).length;
  if (n > 10)
    throw payloadError(
      `Too many properties defined (${n}), maximum 10`,
      'client_metadata',
      DESCRIPTIONS.client_metadata,
    );
}

/** Auth0-style ids: 32 alphanumerics for client_id, 64 url-safe characters for the secret. */
export function newClientId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(32), (b) => alphabet[b % alphabet.length]).join('');
}
export const newClientSecret = () => randomBytes(48).toString('base64url');

/**
 * Server-side defaults (assumptions where auth0.md is silent): the auth method follows the app
 * type (public `none` for spa/native, `client_secret_post` otherwise, as deploy-cli assumes);
 * grant types follow auth0-cli's per-type defaults; RS256 ID tokens, 10 h lifetime.
 */
function defaultGrants(appType: string | undefined): string[] {
  switch (appType) {
    case 'non_interactive':
      return ['client_credentials'];
    case 'spa':
    case 'native':
      return ['authorization_code', 'implicit', 'refresh_token'];
    default:
      return ['authorization_code', 'implicit', 'refresh_token', 'client_credentials'];
  }
}

export function createClient(
  world: World,
  key: TenantKey,
  body: Record<string, any>,
  ids?: { client_id: string; client_secret: string },
): Auth0Client {
  const now = world.clock.iso();
  const appType: string | undefined = body.app_type;
  const client: Auth0Client = {
    tenant: TENANT_NAME,
    global: false,
    is_token_endpoint_ip_header_trusted: false,
    name: body.name,
    ...(body.description !== undefined ? { description: body.description } : {}),
    is_first_party: true,
    oidc_conformant: false,
    sso_disabled: false,
    cross_origin_authentication: false,
    callbacks: [],
    allowed_origins: [],
    web_origins: [],
    allowed_logout_urls: [],
    allowed_clients: [],
    client_aliases: [],
    signing_keys: [{ cert: key.certPem, pkcs7: key.pkcs7, subject: 'deprecated' }],
    custom_login_page_on: true,
    callback_url_template: false,
    client_id: ids?.client_id ?? newClientId(),
    client_secret: ids?.client_secret ?? newClientSecret(),
    ...(appType ? { app_type: appType } : {}),
    token_endpoint_auth_method: appType === 'spa' || appType === 'native' ? 'none' : 'client_secret_post',
    grant_types: defaultGrants(appType),
    jwt_configuration: { alg: 'RS256', lifetime_in_seconds: 36000, secret_encoded: false },
    client_metadata: {},
    refresh_token: {
      expiration_type: 'non-expiring',
      leeway: 0,
      infinite_token_lifetime: true,
      infinite_idle_token_lifetime: true,
      token_lifetime: 2592000,
      idle_token_lifetime: 1296000,
      rotation_type: 'non-rotating',
    },
    created_at: now,
    updated_at: now,
  };
  for (const [k, v] of Object.entries(body)) {
    if (k === 'jwt_configuration' || k === 'refresh_token') client[k] = { ...(client[k] as object), ...v };
    else if (k !== 'app_type') client[k] = structuredClone(v);
  }
  world.issuedSecrets.add(client.client_secret);
  return client;
}

/** PATCH: top-level fields replaced (arrays wholesale), client_metadata merged (null deletes). */
export function applyPatch(world: World, client: Auth0Client, body: Record<string, any>): Auth0Client {
  const next: Auth0Client = structuredClone(client);
  for (const [k, v] of Object.entries(body)) {
    if (k === 'client_metadata') {
      const merged: Record<string, string> = { ...next.client_metadata };
      for (const [mk, mv] of Object.entries(v as Record<string, string | null>)) {
        if (mv === null) delete merged[mk];
        else merged[mk] = mv;
      }
      checkMetadataCount(merged);
      next.client_metadata = merged;
    } else if ((k === 'jwt_configuration' || k === 'refresh_token') && v && typeof v === 'object') {
      // Assumption: nested settings objects merge like client_metadata (without null deletion).
      next[k] = { ...(next[k] as object), ...v };
    } else {
      next[k] = structuredClone(v);
    }
  }
  next.updated_at = world.clock.iso();
  return next;
}

const KEY_FIELDS = ['client_secret', 'signing_keys', 'encryption_key', 'client_authentication_methods'];
const SUMMARY_FIELDS = ['client_id', 'app_type', 'name', 'description'];

/**
 * What a caller sees: secrets and keys only with read:client_keys (or read:client_credentials);
 * with read:client_summary alone just the summary fields; then the fields/include_fields projection.
 */
export function viewClient(
  client: Auth0Client,
  scopes: Set<string>,
  projection?: { fields?: string[]; include: boolean },
): Record<string, unknown> {
  let out: Record<string, unknown> = structuredClone(client);
  if (!scopes.has('read:client_keys') && !scopes.has('read:client_credentials'))
    for (const f of KEY_FIELDS) delete out[f];
  if (!scopes.has('read:clients') && scopes.has('read:client_summary')) {
    out = Object.fromEntries(Object.entries(out).filter(([k]) => SUMMARY_FIELDS.includes(k)));
  }
  if (projection?.fields?.length) {
    const f = new Set(projection.fields);
    out = Object.fromEntries(Object.entries(out).filter(([k]) => f.has(k) === projection.include));
  }
  return out;
}

/**
 * The neighbours every tenant has, so listings are realistic: the "All Applications" global
 * client, the dashboard's "Default App", and the CLI's own machine-to-machine app. None carries
 * the iap-auth0 tag. Every seeded app is enabled on every connection, as the dashboard does.
 */
export function seedTenant(world: World, key: TenantKey): void {
  if (world.auth0Clients.size) return;
  const add = (c: Auth0Client) => {
    world.auth0Clients.set(c.client_id, c);
    for (const conn of world.auth0Connections)
      if (!conn.enabled_clients.includes(c.client_id)) conn.enabled_clients.push(c.client_id);
  };
  const global = createClient(world, key, { name: 'All Applications' });
  global.global = true;
  world.auth0Clients.set(global.client_id, global); // the global client is not enabled on connections
  add(
    createClient(world, key, {
      name: 'Default App',
      app_type: 'regular_web',
      oidc_conformant: true,
      callbacks: [],
      grant_types: ['authorization_code', 'implicit', 'refresh_token', 'client_credentials'],
    }),
  );
  add(
    createClient(
      world,
      key,
      {
        name: 'iap-auth0 CLI (sandbox)',
        app_type: 'non_interactive',
        oidc_conformant: true,
        description: 'Machine-to-machine app the iap-auth0 CLI uses for the Management API',
        grant_types: ['client_credentials'],
      },
      { client_id: world.auth0M2M.client_id, client_secret: world.auth0M2M.client_secret },
    ),
  );
}
