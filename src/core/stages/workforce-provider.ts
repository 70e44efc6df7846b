// The workforce pool stage's provider: the OIDC provider pointing at Auth0, its decision (pure)
// and the steps that carry it out. The issuer is the discovery document's, verbatim, trailing
// slash included (peers P6); the mapping includes google.email so IAP's JWT carries the email
// (P8). A provider with our id that was deleted is undeleted rather than fought (P5).
import { GROUPS_CLAIM } from '../../lib/ids.js';
import { EMAIL_ATTRIBUTE, needsGroupsClaim } from '../../inputs/schema.js';
import { conditionFor } from './workforce-condition.js';
import { gdata } from '../google-call.js';
import { isConflict } from '../google-errors.js';
import { CodedError, refusal } from '../coded-error.js';
import {
  decideUse,
  markedDescription,
  parseDescription,
  purposeOf,
  type Marker,
  type UseAllowed,
  type UseDecision,
} from '../ownership.js';
import { existingChanges, markerToWrite } from '../decide-resource.js';
import { recordedAs, recordUse } from '../records.js';
import { ownerOpts, poolNames as names, waitOp } from '../pool-claim.js';
import { refused, type Change, type StageContext } from '../stage.js';
import type { Outputs } from '../outputs.js';
import type { CoreContext } from '../context.js';
import type { iam_v1 } from '@googleapis/iam';

export type Provider = iam_v1.Schema$WorkforcePoolProvider;

/**
 * The verified email, lower-cased, else '' (which no member names): Auth0 sends email_verified with
 * every profile, and an unverified sign-up with someone else's address must never match their
 * grant. has() keeps a profile without those claims from failing the expression.
 */
export const VERIFIED_EMAIL =
  'has(assertion.email_verified) && assertion.email_verified == true && has(assertion.email) ? ' +
  "assertion.email.lowerAscii() : ''";

export function desiredMapping(allow: string[]): Record<string, string> {
  const m: Record<string, string> = {
    'google.subject': 'assertion.sub',
    'google.email': 'assertion.email',
    'google.display_name': 'assertion.name',
  };
  if (needsGroupsClaim(allow)) m['google.groups'] = `assertion['${GROUPS_CLAIM}']`;
  if (allow.some((a) => a.startsWith('email:'))) m[`attribute.${EMAIL_ATTRIBUTE}`] = VERIFIED_EMAIL;
  return m;
}
const WEB_SSO = {
  responseType: 'CODE',
  assertionClaimsBehavior: 'MERGE_USER_INFO_OVER_ID_TOKEN_CLAIMS',
  additionalScopes: ['email', 'profile'],
};

export const providerPurpose = (ctx: Pick<CoreContext, 'inputs'>) =>
  `Auth0 ${ctx.inputs.auth0Domain} sign-in for Cloud Run service ${ctx.inputs.service}`;
const st = (ctx: Pick<CoreContext, 'state'>) => ctx.state.stage('workforce-pool');
const stage = 'workforce-pool' as const;

/**
 * May this setup use the provider. One that no iap-auth0 setup made is never adopted: using it
 * would mean pointing it at iap-auth0's Auth0 app, changing how its owner's users sign in.
 */
const providerDecision = (ctx: Pick<CoreContext, 'inputs' | 'state'>, p: Provider): UseDecision =>
  decideUse(
    parseDescription(p.description),
    ctx.inputs.setupId,
    recordedAs(st(ctx), 'provider', names(ctx).provider),
    ctx.inputs.adopt,
    false,
  );

/**
 * The provider: created, or used (undeleted first if it was deleted) with the fields that differ
 * patched. `mask` may hold `oidc` for an Auth0 app this run creates: its id and secret are filled in
 * when the Auth0 stage provides them. `missing` are the mappings added to a provider this setup shares.
 */
export type ProviderPlan = { changes: Change[] } & (
  | { do: 'create' }
  | { do: 'refuse'; error: CodedError }
  | {
      do: 'use';
      use: 'created' | 'adopted';
      provider: Provider;
      undelete: boolean;
      mask: string[];
      missing: string[];
      marker?: Marker;
    }
);

/**
 * Pure: the provider's decision, from the provider as read (undefined: absent), the issuer, and the
 * Auth0 app's id (undefined: the app is created by this run, its id known only then).
 */
export function decideProvider(
  ctx: Pick<CoreContext, 'inputs' | 'state'>,
  prov: Provider | undefined,
  issuer: string,
  clientId: string | undefined,
): ProviderPlan {
  const n = names(ctx);
  const awaits = clientId ? undefined : "the Auth0 app's client id and secret (auth0-app)";
  const condition = conditionFor(ctx.inputs);
  if (!prov)
    return {
      do: 'create',
      changes: [
        {
          stage,
          action: 'create',
          resource: n.provider,
          reason: `OIDC, Auth0 code flow, issuer ${issuer}${condition ? `; attribute condition ${condition}` : ''}`,
          ...(awaits ? { awaits } : {}),
        },
      ],
    };
  const d = providerDecision(ctx, prov);
  const stop = (error: CodedError): ProviderPlan => ({
    do: 'refuse',
    error,
    changes: [refused(stage, n.provider, error)],
  });
  if ('refuse' in d) return stop(refusal(d, `the workforce provider ${n.provider}`, ownerOpts(ctx, 'provider')));
  const error = providerRefusal(ctx, prov, d.use, issuer, clientId) ?? conditionRefusal(ctx, prov, d);
  if (error) return stop(error);
  const { mask, missing } = providerMask(ctx, prov, d, issuer, clientId);
  const why = mask.map((f) => FIELD_WHY[f](clientId, missing, wantedCondition(ctx, d.marker))).join('; ');
  const deleted = prov.state === 'DELETED';
  const changes = existingChanges(
    {
      stage,
      resource: n.provider,
      use: d.use,
      marker: d.marker,
      deleted,
      adopting: d.use === 'adopted' && recordedAs(st(ctx), 'provider', n.provider) !== 'adopted',
      fields: mask,
    },
    {
      undelete: "this setup's provider was deleted; its id stays reserved, so it is undeleted",
      adopted: why ? `; ${why}` : '',
      update: why,
      asIs: `signs in with the Auth0 app ${clientId} at ${issuer}`,
      awaits: mask.includes('oidc') ? awaits : undefined,
    },
  );
  return { do: 'use', use: d.use, provider: prov, undelete: deleted, mask, missing, marker: d.marker, changes };
}

/**
 * Why this setup may not use a provider decideUse allowed: a shared one its owner deleted, or one
 * that signs in with another tenant or app (iap-auth0 does not repoint another setup's provider).
 */
function providerRefusal(
  ctx: Pick<CoreContext, 'inputs'>,
  prov: Provider,
  use: 'created' | 'adopted',
  issuer: string,
  clientId: string | undefined,
): CodedError | undefined {
  if (use !== 'adopted') return undefined;
  const n = names(ctx);
  if (prov.state === 'DELETED')
    return new CodedError(
      'PROVIDER_DELETED_BY_OWNER',
      `the workforce provider ${n.provider} this setup shares was deleted by its owner`,
      'choose another --pool',
    );
  const o = prov.oidc ?? {};
  if (o.issuerUri !== issuer || !clientId || o.clientId !== clientId)
    return new CodedError(
      'PROVIDER_SIGNS_IN_ELSEWHERE',
      `the shared workforce provider ${n.provider} signs in with ${o.issuerUri} client ${o.clientId}, not ` +
        `this setup's Auth0 app ${clientId ?? '(created by this run)'} at ${issuer}`,
      'use another --provider',
    );
  return undefined;
}

/** The condition this setup wrote on its provider (recorded), '' when none. */
const ourCondition = (ctx: Pick<CoreContext, 'state'>) => st(ctx).resources.providerCondition ?? '';

/**
 * The condition this setup wants on a provider it created: derived from --allow, or none while other
 * setups sign in through the provider too (one setup's list must not lock out another's people).
 */
const wantedCondition = (ctx: Pick<CoreContext, 'inputs'>, marker: Marker | undefined) =>
  marker?.shared.length ? '' : conditionFor(ctx.inputs);

/**
 * Whether the attribute condition is this setup's to change: on the provider it created, when the
 * condition there is empty or the one it wrote. A shared provider's condition is never touched.
 */
function conditionToWrite(ctx: Pick<CoreContext, 'inputs' | 'state'>, prov: Provider, d: UseAllowed) {
  const want = wantedCondition(ctx, d.marker);
  const live = prov.attributeCondition ?? '';
  return d.use === 'created' && want !== live && (live === '' || live === ourCondition(ctx));
}

/**
 * A condition someone else wrote on this setup's provider, where --allow needs another: refused
 * rather than overwritten (it may be what keeps others out). With `pool` it is left alone.
 */
function conditionRefusal(
  ctx: Pick<CoreContext, 'inputs' | 'state'>,
  prov: Provider,
  d: UseAllowed,
): CodedError | undefined {
  const want = wantedCondition(ctx, d.marker);
  const live = prov.attributeCondition ?? '';
  if (d.use !== 'created' || !want || live === '' || live === want || live === ourCondition(ctx)) return undefined;
  return new CodedError(
    'PROVIDER_CONDITION_FOREIGN',
    `the workforce provider ${names(ctx).provider} has an attribute condition iap-auth0 did not write (${live}); ` +
      `this setup's would be ${want}`,
    'remove that condition (gcloud iam workforce-pools providers update-oidc … --attribute-condition=""), make ' +
      "it this setup's by passing it as --require, or run init with --allow pool to leave it as it is",
  );
}

/**
 * The fields to patch, and the attribute mappings missing. Only what differs is patched; the secret
 * cannot be read back (thumbprint only), so it is re-sent only when the provider was given another
 * Auth0 app's secret. A shared provider is another setup's: iap-auth0 only adds the attribute
 * mappings this setup needs (providerRefusal stopped one that signs in elsewhere).
 */
function providerMask(
  ctx: Pick<CoreContext, 'inputs' | 'state'>,
  prov: Provider,
  d: UseAllowed,
  issuer: string,
  clientId: string | undefined,
): { mask: string[]; missing: string[] } {
  const mask: string[] = [];
  const o = prov.oidc ?? {};
  if (
    d.use === 'created' &&
    (o.issuerUri !== issuer ||
      o.clientId !== clientId ||
      st(ctx).resources.providerSecretFor !== clientId ||
      o.webSsoConfig?.responseType !== 'CODE')
  )
    mask.push('oidc');
  const mapping = desiredMapping(ctx.inputs.allow);
  const missing = Object.keys(mapping).filter(
    (k) =>
      prov.attributeMapping?.[k] !== mapping[k] && (d.use === 'created' || prov.attributeMapping?.[k] === undefined),
  );
  if (missing.length) mask.push('attributeMapping');
  if (conditionToWrite(ctx, prov, d)) mask.push('attributeCondition');
  if (markerToWrite(d.marker, parseDescription(prov.description))) mask.push('description');
  return { mask, missing };
}

/** Why each field is patched, for the plan. */
const FIELD_WHY: Record<string, (clientId: string | undefined, missing: string[], condition: string) => string> = {
  oidc: (clientId) =>
    clientId ? 'the issuer, Auth0 app or its secret differ' : 'the Auth0 app is created by this run',
  attributeMapping: (_, missing) => `mappings ${missing.join(', ')} missing`,
  attributeCondition: (_, __, condition) =>
    condition
      ? `attribute condition ${condition}`
      : 'the attribute condition iap-auth0 set is removed (--allow pool, or other setups share the provider)',
  description: () => 'its marker is put right',
};

type Auth0App = Outputs['auth0Client'];
const step = (ctx: StageContext, text: string) => ctx.emit({ type: 'step', stage, text });

/**
 * Executes the provider's part of the plan (a refusal was thrown before): creates it, or undeletes
 * and patches it. Returns how this setup uses it.
 */
export async function applyProvider(
  ctx: StageContext,
  planned: ProviderPlan,
  issuer: string,
  auth0: Auth0App,
): Promise<'created' | 'adopted'> {
  const plan = planned.do === 'create' ? await createProvider(ctx, issuer, auth0) : planned;
  if (plan?.do !== 'use') return 'created';
  await useProvider(ctx, plan, issuer, auth0);
  return plan.use;
}

/**
 * Creates the provider with the Auth0 app's id and secret. Returns undefined once created; for a
 * provider a retried request or another run created first (a race), the one decision taken again on
 * what is there, for useProvider to carry out.
 */
async function createProvider(ctx: StageContext, issuer: string, auth0: Auth0App): Promise<ProviderPlan | undefined> {
  const pools = ctx.google.iam.locations.workforcePools;
  const n = names(ctx);
  const clientId = auth0.clientId;
  step(ctx, `creating provider ${ctx.inputs.provider} for ${issuer}`);
  const secret = await auth0.secret();
  try {
    const op = await gdata(
      ctx,
      () =>
        pools.providers.create({
          parent: n.pool,
          workforcePoolProviderId: ctx.inputs.provider,
          requestBody: {
            displayName: 'Auth0',
            description: markedDescription({ owner: ctx.inputs.setupId, shared: [] }, providerPurpose(ctx), 256),
            attributeMapping: desiredMapping(ctx.inputs.allow),
            ...(conditionFor(ctx.inputs) ? { attributeCondition: conditionFor(ctx.inputs) } : {}),
            oidc: {
              issuerUri: issuer,
              clientId,
              clientSecret: { value: { plainText: secret } },
              webSsoConfig: WEB_SSO,
            },
          },
        }),
      'workforce-pool',
    );
    await recordUse(ctx, 'workforce-pool', 'provider', n.provider, 'created');
    await waitOp(ctx, 'provider', op);
    await ctx.state.recordResource('workforce-pool', 'providerSecretFor', clientId);
    await recordCondition(ctx, conditionFor(ctx.inputs));
    return undefined;
  } catch (e) {
    if (!isConflict(e)) throw e;
    const plan = decideProvider(
      ctx,
      await gdata(ctx, () => pools.providers.get({ name: n.provider }), 'workforce-pool'),
      issuer,
      clientId,
    );
    if (plan.do === 'refuse') throw plan.error;
    return plan;
  }
}

/** Uses an existing provider: undeletes it, patches the fields the plan names, records how it is used. */
async function useProvider(
  ctx: StageContext,
  plan: Extract<ProviderPlan, { do: 'use' }>,
  issuer: string,
  auth0: Auth0App,
): Promise<void> {
  const pools = ctx.google.iam.locations.workforcePools;
  const n = names(ctx);
  if (plan.undelete) {
    step(ctx, `undeleting provider ${ctx.inputs.provider}`);
    await waitOp(
      ctx,
      'provider',
      await gdata(ctx, () => pools.providers.undelete({ name: n.provider, requestBody: {} }), 'workforce-pool'),
    );
  }
  const body = await patchBody(ctx, plan, issuer, auth0);
  const mask = plan.mask;
  if (mask.length) {
    step(ctx, `updating provider ${ctx.inputs.provider}: ${mask.join(', ')}`);
    await waitOp(
      ctx,
      'provider',
      await gdata(
        ctx,
        () => pools.providers.patch({ name: n.provider, updateMask: mask.join(','), requestBody: body }),
        'workforce-pool',
      ),
    );
    if (mask.includes('oidc')) await ctx.state.recordResource('workforce-pool', 'providerSecretFor', auth0.clientId);
    if (mask.includes('attributeCondition')) await recordCondition(ctx, wantedCondition(ctx, plan.marker));
    if (plan.use === 'adopted' && plan.missing.length) {
      const missing = plan.missing;
      await ctx.state.updateStage('workforce-pool', (s) => {
        s.added = [...new Set([...(s.added ?? []), ...missing.map((k) => `attributeMapping.${k}`)])];
      });
    }
  }
  // A condition already as wanted (given as --require) becomes this setup's to change later.
  const want = wantedCondition(ctx, plan.marker);
  if (plan.use === 'created' && want && plan.provider.attributeCondition === want && ourCondition(ctx) !== want)
    await recordCondition(ctx, want);
  await recordUse(ctx, 'workforce-pool', 'provider', n.provider, plan.use);
}

/** The patch for the fields in the plan's mask (the secret read only when the OIDC settings are re-sent). */
async function patchBody(
  ctx: StageContext,
  plan: Extract<ProviderPlan, { do: 'use' }>,
  issuer: string,
  auth0: Auth0App,
): Promise<Provider> {
  const prov = plan.provider;
  const mapping = desiredMapping(ctx.inputs.allow);
  const body: Provider = {};
  if (plan.mask.includes('oidc'))
    body.oidc = {
      issuerUri: issuer,
      clientId: auth0.clientId,
      clientSecret: { value: { plainText: await auth0.secret() } },
      webSsoConfig: WEB_SSO,
    };
  if (plan.mask.includes('attributeMapping'))
    body.attributeMapping = {
      ...(prov.attributeMapping ?? {}),
      ...Object.fromEntries(plan.missing.map((k) => [k, mapping[k]])),
    };
  if (plan.mask.includes('attributeCondition')) body.attributeCondition = wantedCondition(ctx, plan.marker);
  if (plan.mask.includes('description'))
    body.description = markedDescription(plan.marker!, purposeOf(prov.description) || providerPurpose(ctx), 256);
  return body;
}

/** Records the condition this setup wrote ('' removes the record), so a later run knows it may change it. */
const recordCondition = (ctx: StageContext, condition: string) =>
  ctx.state.updateStage('workforce-pool', (s) => {
    if (condition) s.resources.providerCondition = condition;
    else delete s.resources.providerCondition;
  });
