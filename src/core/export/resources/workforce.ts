// The workforce pool and its OIDC provider for Auth0. The provider's client secret is never a
// literal: it flows from auth0_client_credentials.client_secret inside Terraform (the Auth0
// provider reads it with read:client_keys). The API never returns the secret (only a thumbprint),
// so after an import Terraform does not know it: `ignore_changes` keeps plan from proposing to
// send it again; the README says how to push a rotated secret. The attribute condition is a
// variable beside var.allowed_members: with --allow user:/email:/role:/group: it is the second half
// of who may sign in, and a member added to one and not the other is refused at sign-in.
import { attr, block, obj, type Item } from '../hcl.js';
import {
  ADDR,
  adopted,
  lifecycle,
  ref,
  resource,
  unwritten,
  v,
  type ImportSpec,
  type Section,
  type VariableSpec,
} from '../tf.js';
import type { ExportInput, Pool, Provider } from '../live.js';

const POOL_WRITTEN = ['name', 'parent', 'displayName', 'description', 'disabled', 'sessionDuration', 'state'];
const PROVIDER_WRITTEN = [
  'name',
  'displayName',
  'description',
  'disabled',
  'attributeMapping',
  'attributeCondition',
  'oidc',
  'state',
  'detailedAuditLogging',
];

function poolResource(p: Pool, id: string, isAdopted: boolean): Item[] {
  return [
    attr('workforce_pool_id', id),
    attr('location', 'global'),
    attr('parent', p.parent ?? ''),
    ...(p.displayName ? [attr('display_name', p.displayName)] : []),
    ...(p.description ? [attr('description', p.description)] : []),
    ...(p.disabled ? [attr('disabled', true)] : []),
    // Terraform's default is 3600s: written so a pool with another duration is not changed.
    ...(p.sessionDuration ? [attr('session_duration', p.sessionDuration)] : []),
    ...lifecycle({ adopted: isAdopted }),
  ];
}

function oidcBlock(p: Provider): Item {
  const sso = p.oidc?.webSsoConfig;
  return block(
    'oidc',
    [],
    [
      attr('issuer_uri', p.oidc?.issuerUri ?? ''),
      attr('client_id', ref(ADDR.auth0App, 'client_id')),
      block(
        'client_secret',
        [],
        [block('value', [], [attr('plain_text', ref(ADDR.auth0Credentials, 'client_secret'))])],
      ),
      ...(sso
        ? [
            block(
              'web_sso_config',
              [],
              [
                attr('response_type', sso.responseType ?? 'CODE'),
                attr('assertion_claims_behavior', sso.assertionClaimsBehavior ?? ''),
                ...(sso.additionalScopes?.length ? [attr('additional_scopes', sso.additionalScopes)] : []),
              ],
            ),
          ]
        : []),
    ],
  );
}

function providerResource(p: Provider, providerId: string, isAdopted: boolean): Item[] {
  return [
    attr('workforce_pool_id', ref(ADDR.pool, 'workforce_pool_id')),
    attr('location', ref(ADDR.pool, 'location')),
    attr('provider_id', providerId),
    ...(p.displayName ? [attr('display_name', p.displayName)] : []),
    ...(p.description ? [attr('description', p.description)] : []),
    ...(p.disabled ? [attr('disabled', true)] : []),
    ...(p.detailedAuditLogging ? [attr('detailed_audit_logging', true)] : []),
    // Who becomes whom in Google: as the provider maps it now (google.subject, google.email, …).
    attr('attribute_mapping', obj(p.attributeMapping ?? {})),
    ...(p.attributeCondition ? [attr('attribute_condition', v(CONDITION_VAR))] : []),
    oidcBlock(p),
    ...lifecycle({ adopted: isAdopted, ignore: ['oidc[0].client_secret[0].value[0].plain_text'] }),
  ];
}

const CONDITION_VAR = 'attribute_condition';

/**
 * var.attribute_condition (in variables.tf next to allowed_members), defaulting to the provider's condition as it
 * is: the one iap-auth0 derived from --allow and recorded (the drift check holds the live one to it), or one
 * someone else wrote. None without a condition.
 */
export function conditionVariable(x: ExportInput): VariableSpec[] {
  const condition = x.live.provider.attributeCondition;
  if (!condition) return [];
  const ours = x.state.stages['workforce-pool']?.resources.providerCondition === condition;
  const description = ours
    ? 'Who the workforce provider lets sign in (a CEL attribute condition), derived by iap-auth0 from --allow. ' +
      'Change it together with allowed_members: a member added there and not here is refused at sign-in ' +
      '("rejected by the attribute condition") before IAM is asked.'
    : "The workforce provider's attribute condition (CEL) as it is; iap-auth0 did not write it. Whoever it " +
      'refuses cannot sign in, whatever allowed_members says.';
  return [{ name: CONDITION_VAR, type: 'string', description, default: condition }];
}

export function workforceSection(x: ExportInput): Section {
  const r = x.state.stages['workforce-pool']?.resources ?? {};
  const poolId = x.state.inputs.pool;
  const providerId = x.state.inputs.provider;
  const imports: ImportSpec[] = [
    { to: ADDR.pool, id: r.pool },
    { to: ADDR.provider, id: r.provider },
  ];
  const notes = [
    ...unwritten(x.live.pool, POOL_WRITTEN, 'workforce pool'),
    ...unwritten(x.live.provider, PROVIDER_WRITTEN, 'workforce provider'),
    ...(x.live.provider.oidc?.jwksJson ? ['workforce provider: `oidc.jwksJson` is set and not written'] : []),
  ];
  return {
    file: 'workforce.tf',
    items: [
      resource(ADDR.pool, poolResource(x.live.pool, poolId, adopted(x.state, 'workforce-pool', 'pool'))),
      resource(
        ADDR.provider,
        providerResource(x.live.provider, providerId, adopted(x.state, 'workforce-pool', 'provider')),
      ),
    ],
    imports,
    notes,
  };
}
