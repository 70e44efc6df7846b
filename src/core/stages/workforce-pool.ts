// Stage 3: the workforce pool under the project's organization and its OIDC provider pointing at
// Auth0. The issuer is the discovery document's, verbatim, trailing slash included (peers P6); the
// mapping includes google.email so IAP's JWT carries the email (P8). A pool or provider with our id
// that was deleted is undeleted rather than fought (ids stay reserved 30 days, P5). Operations are
// recorded before they are polled, so a resumed run polls instead of creating again.
//
// The pool is the setup's anchor (pool-claim.ts): the claim runs first in every run, as this
// stage planned it, and the other stages create nothing before it succeeded.
import { GROUPS_CLAIM } from '../../lib/ids.js';
import { gdata, planRead } from '../google-call.js';
import { isConflict, unlessNotFound } from '../google-errors.js';
import { pollOperation } from '../poll.js';
import { CodedError, refusal } from '../coded-error.js';
import {
  decideUse,
  markedDescription,
  parseDescription,
  purposeOf,
  type Fate,
  type Marker,
  type UseAllowed,
  type UseDecision,
} from '../ownership.js';
import { existingChanges, markerToWrite } from '../decide-resource.js';
import { recordedAs, recordUse } from '../records.js';
import { runCheck, failed, firstFailure, type CheckResult } from '../check.js';
import {
  claimPool,
  decidePool,
  ownerOpts,
  poolNames as names,
  readPool,
  waitOp,
  writeMarker,
  type PoolDecision,
} from '../pool-claim.js';
import { poolFates } from '../fates.js';
import { recorded } from '../outputs.js';
import { refused, type Change, type Stage, type StageContext } from '../stage.js';
import type { Prospects } from '../outputs.js';
import type { CoreContext } from '../context.js';
import type { iam_v1 } from '@googleapis/iam';

type Provider = iam_v1.Schema$WorkforcePoolProvider;

export function desiredMapping(allow: string[]): Record<string, string> {
  const m: Record<string, string> = {
    'google.subject': 'assertion.sub',
    'google.email': 'assertion.email',
    'google.display_name': 'assertion.name',
  };
  if (allow.some((a) => a.startsWith('group:'))) m['google.groups'] = `assertion['${GROUPS_CLAIM}']`;
  return m;
}
const WEB_SSO = {
  responseType: 'CODE',
  assertionClaimsBehavior: 'MERGE_USER_INFO_OVER_ID_TOKEN_CLAIMS',
  additionalScopes: ['email', 'profile'],
};

const poolPurpose = (ctx: Pick<CoreContext, 'inputs'>) =>
  `workforce pool for Cloud Run service ${ctx.inputs.service} in ${ctx.inputs.project} (${ctx.inputs.region})`;
const providerPurpose = (ctx: Pick<CoreContext, 'inputs'>) =>
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
  if (!prov)
    return {
      do: 'create',
      changes: [
        {
          stage,
          action: 'create',
          resource: n.provider,
          reason: `OIDC, Auth0 code flow, issuer ${issuer}`,
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
  const error = providerRefusal(ctx, prov, d.use, issuer, clientId);
  if (error) return stop(error);
  const { mask, missing } = providerMask(ctx, prov, d, issuer, clientId);
  const why = mask.map((f) => FIELD_WHY[f](clientId, missing)).join('; ');
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
  if (markerToWrite(d.marker, parseDescription(prov.description))) mask.push('description');
  return { mask, missing };
}

/** Why each field is patched, for the plan. */
const FIELD_WHY: Record<string, (clientId: string | undefined, missing: string[]) => string> = {
  oidc: (clientId) =>
    clientId ? 'the issuer, Auth0 app or its secret differ' : 'the Auth0 app is created by this run',
  attributeMapping: (_, missing) => `mappings ${missing.join(', ')} missing`,
  description: () => 'its marker is put right',
};

export interface PoolStageDecision {
  changes: Change[];
  pool: PoolDecision;
  provider: ProviderPlan;
}

export const workforcePoolStage: Stage = {
  id: 'workforce-pool',
  verify: verifyPool,
  owned: (rec) => {
    const r = rec.stage('workforce-pool');
    const tag = (k: string) => (r.adopted?.includes(k) ? ' (adopted: kept)' : '');
    return [
      r.resources.provider && `workforce provider ${r.resources.provider}${tag('provider')}`,
      r.resources.pool &&
        'workforce pool ' +
          `${r.resources.pool}${tag('pool') || ' (Google keeps its id for 30 days; a later init undeletes it)'}`,
    ].filter((x): x is string => !!x);
  },
  destroy: destroyPool,

  async read(ctx) {
    const pools = ctx.google.iam.locations.workforcePools;
    const n = names(ctx);
    const [pool, issuer] = await Promise.all([readPool(ctx, 'plan'), ctx.auth0Issuer()]);
    const prov = pool && (await planRead(ctx, () => pools.providers.get({ name: n.provider })));
    return (ahead) => {
      const p = decidePool(ctx, pool);
      const clientId = (ahead.auth0Client as Prospects['auth0Client'] | undefined)?.clientId;
      const provider = decideProvider(ctx, prov, issuer, clientId);
      const d: PoolStageDecision = { changes: [p.change, ...provider.changes], pool: p, provider };
      return {
        stage,
        changes: d.changes,
        prospects: { pool: { ours: p.do === 'create' || (p.do === 'use' && p.use === 'created') } },
        apply: (c) => applyPool(c, d, issuer),
        shared: { claim: (c) => claimPool(c, p) },
      };
    };
  },
};

/** Executes the workforce-pool decision: the pool (claimed, undeleted) and the provider (created or patched). */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: not yet split into named steps (issue 13, item 4)
async function applyPool(ctx: StageContext, d: PoolStageDecision, issuer: string): Promise<string> {
  const pools = ctx.google.iam.locations.workforcePools;
  const step = (text: string) => ctx.emit({ type: 'step', stage, text });
  const n = names(ctx);
  if (d.pool.do === 'refuse') throw d.pool.error;
  if (d.provider.do === 'refuse') throw d.provider.error;
  const poolOp = (name: string) => pools.operations.get({ name });
  const provOp = (name: string) => pools.providers.operations.get({ name });

  const use = await ctx.claim();
  // Operations still running: the claim's create, or what a killed run started.
  for (const [key, op] of Object.entries(st(ctx).operations)) {
    await unlessNotFound(() =>
      pollOperation(key.startsWith('provider') ? provOp : poolOp, { name: op }, { signal: ctx.signal }),
    );
    await ctx.state.recordOperation('workforce-pool', key, undefined);
  }
  if (d.pool.do === 'use' && d.pool.undelete) {
    step(`undeleting workforce pool ${ctx.inputs.pool} (a deleted pool id stays reserved for 30 days)`);
    await waitOp(
      ctx,
      'pool',
      await gdata(ctx, () => pools.undelete({ name: n.pool, requestBody: {} }), 'workforce-pool'),
    );
  }

  // The provider needs the Auth0 app (client id and secret), as the Auth0 stage provides it.
  const auth0 = await ctx.need('auth0Client');
  const clientId = auth0.clientId;
  const mapping = desiredMapping(ctx.inputs.allow);
  let plan: ProviderPlan = d.provider;
  if (plan.do === 'create') {
    step(`creating provider ${ctx.inputs.provider} for ${issuer}`);
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
              attributeMapping: mapping,
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
    } catch (e) {
      if (!isConflict(e)) throw e;
      // Created by a retried request or another run (a race): the one decision taken again on what is there.
      plan = decideProvider(
        ctx,
        await gdata(ctx, () => pools.providers.get({ name: n.provider }), 'workforce-pool'),
        issuer,
        clientId,
      );
      if (plan.do === 'refuse') throw plan.error;
    }
  }
  let provUse: 'created' | 'adopted' = 'created';
  if (plan.do === 'use') {
    provUse = plan.use;
    if (plan.undelete) {
      step(`undeleting provider ${ctx.inputs.provider}`);
      await waitOp(
        ctx,
        'provider',
        await gdata(ctx, () => pools.providers.undelete({ name: n.provider, requestBody: {} }), 'workforce-pool'),
      );
    }
    const prov = plan.provider;
    const body: Provider = {};
    if (plan.mask.includes('oidc'))
      body.oidc = {
        issuerUri: issuer,
        clientId,
        clientSecret: { value: { plainText: await auth0.secret() } },
        webSsoConfig: WEB_SSO,
      };
    if (plan.mask.includes('attributeMapping'))
      body.attributeMapping = {
        ...(prov.attributeMapping ?? {}),
        ...Object.fromEntries(plan.missing.map((k) => [k, mapping[k]])),
      };
    if (plan.mask.includes('description'))
      body.description = markedDescription(plan.marker!, purposeOf(prov.description) || providerPurpose(ctx), 256);
    if (plan.mask.length) {
      const mask = plan.mask;
      step(`updating provider ${ctx.inputs.provider}: ${mask.join(', ')}`);
      await waitOp(
        ctx,
        'provider',
        await gdata(
          ctx,
          () => pools.providers.patch({ name: n.provider, updateMask: mask.join(','), requestBody: body }),
          'workforce-pool',
        ),
      );
      if (mask.includes('oidc')) await ctx.state.recordResource('workforce-pool', 'providerSecretFor', clientId);
      if (provUse === 'adopted' && plan.missing.length) {
        const missing = plan.missing;
        await ctx.state.updateStage('workforce-pool', (s) => {
          s.added = [...new Set([...(s.added ?? []), ...missing.map((k) => `attributeMapping.${k}`)])];
        });
      }
    }
    await recordUse(ctx, 'workforce-pool', 'provider', n.provider, provUse);
  }
  ctx.provide('pool', recorded(ctx, 'pool')!);
  const shared = [use === 'adopted' && 'pool', provUse === 'adopted' && 'provider'].filter(Boolean);
  return (
    `pool ${ctx.inputs.pool} with provider ${ctx.inputs.provider} (issuer ` +
    `${issuer})${shared.length ? `; ${shared.join(' and ')} shared, never deleted by this setup` : ''}`
  );
}

/**
 * The pool is active in our organization; the provider is active, points at Auth0's issuer byte for byte, with our app
 * and the code flow.
 */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: not yet split into named steps (issue 13, item 4)
async function verifyPool(ctx: CoreContext): Promise<CheckResult[]> {
  const pools = ctx.google.iam.locations.workforcePools;
  const n = names(ctx);
  const markerProblem = (what: string, description: string | null | undefined, key: 'pool' | 'provider') => {
    const d = decideUse(parseDescription(description), ctx.inputs.setupId, recordedAs(st(ctx), key, n[key]), false);
    return 'refuse' in d
      ? failed(
          `${what} no longer carries this setup's iap-auth0 marker in its description`,
          'put it back: its description must start with ' +
            `"${markedDescription({ owner: ctx.inputs.setupId, shared: [] }, '', 256).replace(/: $/, ':')}"`,
        )
      : undefined;
  };
  const pool = runCheck(
    'workforce-pool',
    'workforce-pool',
    'Workforce pool',
    async () => {
      const p = await unlessNotFound(() => gdata(ctx, () => pools.get({ name: n.pool })));
      if (!p) return failed(`${n.pool} no longer exists`, 'run iap-auth0 init to create it again');
      const marker = markerProblem(n.pool, p.description, 'pool');
      return firstFailure(
        [
          [p.state === 'DELETED', failed(`${n.pool} was deleted`, 'run iap-auth0 init: it undeletes the pool')],
          [
            p.disabled === true,
            failed(
              `${n.pool} is disabled: nobody in it can sign in`,
              `enable it: gcloud iam workforce-pools update ${ctx.inputs.pool} --location=global --no-disabled`,
            ),
          ],
          [
            p.parent !== `organizations/${ctx.inputs.organization}`,
            failed(
              `${n.pool} belongs to ${p.parent}, not organizations/${ctx.inputs.organization}`,
              "the pool must be in the project's organization; choose another --pool and run init",
            ),
          ],
          [!!marker, marker!],
        ],
        `${n.pool}, active`,
      );
    },
    ctx.inputs.project,
    ctx.signal,
  );
  const provider = runCheck(
    'workforce-pool',
    'workforce-provider',
    'Workforce provider',
    async () => {
      const p = await unlessNotFound(() => gdata(ctx, () => pools.providers.get({ name: n.provider })));
      if (!p) return failed(`${n.provider} no longer exists`, 'run iap-auth0 init to create it again');
      const issuer = await ctx.auth0Issuer();
      const clientId = recorded(ctx, 'auth0Client')?.clientId;
      const o = p.oidc ?? {};
      const marker = markerProblem(n.provider, p.description, 'provider');
      return firstFailure(
        [
          [p.state === 'DELETED', failed(`${n.provider} was deleted`, 'run iap-auth0 init: it undeletes the provider')],
          [
            p.disabled === true,
            failed(
              `${n.provider} is disabled`,
              `enable it: gcloud iam workforce-pools providers update-oidc ${ctx.inputs.provider} ` +
                `--workforce-pool=${ctx.inputs.pool} --location=global --no-disabled`,
            ),
          ],
          [
            o.issuerUri !== issuer,
            failed(
              `the provider's issuer is ${o.issuerUri ?? '(none)'} but Auth0's discovery says ${issuer}; they ` +
                'must match byte for byte (trailing slash included) or Google answers "Error connecting to the ' +
                `given credential's issuer"`,
              'run iap-auth0 init (sets the issuer from discovery)',
            ),
          ],
          [
            !!clientId && o.clientId !== clientId,
            failed(
              `the provider signs in with Auth0 client ${o.clientId}, not the recorded app ${clientId}`,
              'run iap-auth0 init (points it back at the app and re-sends its secret)',
            ),
          ],
          [
            o.webSsoConfig?.responseType !== 'CODE',
            failed(
              `the provider uses the ${o.webSsoConfig?.responseType ?? 'unset'} response type, not CODE`,
              'run iap-auth0 init (sets the code flow)',
            ),
          ],
          [
            !p.attributeMapping?.['google.email'],
            failed(
              "google.email is not mapped: IAP's JWT would carry no email",
              'run iap-auth0 init (adds google.email = assertion.email)',
            ),
          ],
          [!!marker, marker!],
        ],
        `issuer ${issuer}, Auth0 client ${o.clientId}`,
      );
    },
    ctx.inputs.project,
    ctx.signal,
  );
  return Promise.all([pool, provider]);
}

/** Deletes the provider then the pool when they are this setup's; hands over or unshares what others use. */
async function destroyPool(ctx: CoreContext): Promise<string> {
  const r = st(ctx).resources;
  const pools = ctx.google.iam.locations.workforcePools;
  const fates = await poolFates(ctx);
  const done: string[] = [];
  const step = (text: string) => ctx.emit({ type: 'step', stage: 'workforce-pool', text });
  const act = async (
    key: 'pool' | 'provider',
    name: string,
    fate: Fate | undefined,
    del: () => Promise<{ data: iam_v1.Schema$Operation }>,
  ) => {
    if (!fate) {
      done.push(`${name} was already gone`);
      return;
    }
    if (fate.fate === 'delete') {
      step(`deleting ${name}`);
      const op = await unlessNotFound(() => gdata(ctx, del, 'workforce-pool'));
      if (op) await waitOp(ctx, key, op);
      done.push(`deleted ${name}`);
    } else if (fate.fate === 'hand-over' || fate.fate === 'unshare') {
      const x =
        key === 'pool'
          ? await gdata(ctx, () => pools.get({ name }), 'workforce-pool')
          : await gdata(ctx, () => pools.providers.get({ name }), 'workforce-pool');
      await writeMarker(ctx, key, x.description, fate.marker, key === 'pool' ? poolPurpose(ctx) : providerPurpose(ctx));
      done.push(
        fate.fate === 'hand-over'
          ? `kept ${name}: handed over to iap-auth0 setup ${fate.to}, which still uses it`
          : `kept ${name}: another setup's, no longer shared with this one`,
      );
    } else if (fate.fate === 'release' || fate.fate === 'not-ours') {
      if (key === 'provider') await removeAddedMappings(ctx, name);
      done.push(`kept ${name}: not created by this setup`);
    } else {
      throw new Error(`${name} no longer carries this setup's iap-auth0 marker: kept`);
    }
  };
  if (r.provider) await act('provider', r.provider, fates.provider, () => pools.providers.delete({ name: r.provider }));
  if (r.pool) await act('pool', r.pool, fates.pool, () => pools.delete({ name: r.pool }));
  return done.length ? done.join('; ') : 'nothing to delete';
}

/** Takes back the attribute mappings this setup added to a provider it shared. */
async function removeAddedMappings(ctx: CoreContext, name: string): Promise<void> {
  const keys = (st(ctx).added ?? [])
    .filter((a) => a.startsWith('attributeMapping.'))
    .map((a) => a.slice('attributeMapping.'.length));
  if (!keys.length) return;
  const pools = ctx.google.iam.locations.workforcePools;
  const p = await unlessNotFound(() => gdata(ctx, () => pools.providers.get({ name }), 'workforce-pool'));
  if (!p?.attributeMapping || !keys.some((k) => k in p.attributeMapping!)) return;
  const attributeMapping = Object.fromEntries(Object.entries(p.attributeMapping).filter(([k]) => !keys.includes(k)));
  await waitOp(
    ctx,
    'provider',
    await gdata(
      ctx,
      () => pools.providers.patch({ name, updateMask: 'attributeMapping', requestBody: { attributeMapping } }),
      'workforce-pool',
    ),
  );
}
