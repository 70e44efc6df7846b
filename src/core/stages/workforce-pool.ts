// Stage 3: the workforce pool under the project's organization and its OIDC provider pointing at
// Auth0. The issuer is the discovery document's, verbatim, trailing slash included (peers P6); the
// mapping includes google.email so IAP's JWT carries the email (P8). A pool or provider with our id
// that was deleted is undeleted rather than fought (ids stay reserved 30 days, P5). Operations are
// recorded before they are polled, so a resumed run polls instead of creating again.
//
// The pool is the setup's anchor (pool-claim.ts): the claim runs first in every run, as this
// stage planned it, and the other stages create nothing before it succeeded. The provider's
// decision and the steps that carry it out are in workforce-provider.ts.
import { gdata, opReader, planRead } from '../google-call.js';
import { unlessNotFound } from '../google-errors.js';
import { pollOperation } from '../poll.js';
import { decideUse, markedDescription, parseDescription, type Fate } from '../ownership.js';
import { recordedAs } from '../records.js';
import { runCheck, failed, firstFailure, type CheckResult, type Outcome } from '../check.js';
import {
  claimPool,
  decidePool,
  poolNames as names,
  poolPurpose,
  readPool,
  waitOp,
  operationWait,
  writeMarker,
  type PoolDecision,
} from '../pool-claim.js';
import {
  applyProvider,
  decideProvider,
  desiredMapping,
  providerPurpose,
  type Provider,
  type ProviderPlan,
} from './workforce-provider.js';
import { poolFates } from '../fates.js';
import { recorded } from '../outputs.js';
import type { Change, Stage, StageContext } from '../stage.js';
import type { Prospects } from '../outputs.js';
import type { CoreContext } from '../context.js';
import type { iam_v1 } from '@googleapis/iam';

const st = (ctx: Pick<CoreContext, 'state'>) => ctx.state.stage('workforce-pool');
const stage = 'workforce-pool' as const;

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
async function applyPool(ctx: StageContext, d: PoolStageDecision, issuer: string): Promise<string> {
  if (d.pool.do === 'refuse') throw d.pool.error;
  if (d.provider.do === 'refuse') throw d.provider.error;
  const use = await ctx.claim();
  await finishOperations(ctx);
  if (d.pool.do === 'use' && d.pool.undelete) await undeletePool(ctx);
  // The provider needs the Auth0 app (client id and secret), as the Auth0 stage provides it.
  const provUse = await applyProvider(ctx, d.provider, issuer, await ctx.need('auth0Client'));
  ctx.provide('pool', recorded(ctx, 'pool')!);
  const shared = [use === 'adopted' && 'pool', provUse === 'adopted' && 'provider'].filter(Boolean);
  return (
    `pool ${ctx.inputs.pool} with provider ${ctx.inputs.provider} (issuer ` +
    `${issuer})${shared.length ? `; ${shared.join(' and ')} shared, never deleted by this setup` : ''}`
  );
}

/** Waits for the operations still running: the claim's create, or what a killed run started. */
async function finishOperations(ctx: StageContext): Promise<void> {
  const pools = ctx.google.iam.locations.workforcePools;
  const poolOp = opReader(ctx, (name) => pools.operations.get({ name }), 'workforce-pool');
  const provOp = opReader(ctx, (name) => pools.providers.operations.get({ name }), 'workforce-pool');
  for (const [key, op] of Object.entries(st(ctx).operations)) {
    const kind = key.startsWith('provider') ? 'provider' : 'pool';
    await unlessNotFound(() =>
      pollOperation(
        kind === 'provider' ? provOp : poolOp,
        { name: op },
        { signal: ctx.signal, onPoll: operationWait(ctx, kind) },
      ),
    );
    await ctx.state.recordOperation('workforce-pool', key, undefined);
  }
}

async function undeletePool(ctx: StageContext): Promise<void> {
  const pools = ctx.google.iam.locations.workforcePools;
  ctx.emit({
    type: 'step',
    stage,
    text: `undeleting workforce pool ${ctx.inputs.pool} (a deleted pool id stays reserved for 30 days)`,
  });
  await waitOp(
    ctx,
    'pool',
    await gdata(ctx, () => pools.undelete({ name: names(ctx).pool, requestBody: {} }), 'workforce-pool'),
  );
}

/**
 * The pool is active in our organization; the provider is active, points at Auth0's issuer byte for byte, with our app
 * and the code flow.
 */
async function verifyPool(ctx: CoreContext): Promise<CheckResult[]> {
  return Promise.all([checkPool(ctx), checkProvider(ctx)]);
}

/** A failed check when the resource's description lost this setup's marker. */
function markerProblem(
  ctx: CoreContext,
  what: string,
  description: string | null | undefined,
  key: 'pool' | 'provider',
): Outcome | undefined {
  const n = names(ctx);
  const d = decideUse(parseDescription(description), ctx.inputs.setupId, recordedAs(st(ctx), key, n[key]), false);
  return 'refuse' in d
    ? failed(
        `${what} no longer carries this setup's iap-auth0 marker in its description`,
        'put it back: its description must start with ' +
          `"${markedDescription({ owner: ctx.inputs.setupId, shared: [] }, '', 256).replace(/: $/, ':')}"`,
      )
    : undefined;
}

/** The pool: there, not deleted or disabled, in the project's organization, with this setup's marker. */
function checkPool(ctx: CoreContext): Promise<CheckResult> {
  const pools = ctx.google.iam.locations.workforcePools;
  const n = names(ctx);
  return runCheck(
    'workforce-pool',
    'workforce-pool',
    'Workforce pool',
    async () => {
      const p = await unlessNotFound(() => gdata(ctx, () => pools.get({ name: n.pool })));
      if (!p) return failed(`${n.pool} no longer exists`, 'run iap-auth0 init to create it again');
      const marker = markerProblem(ctx, n.pool, p.description, 'pool');
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
}

/** The provider: read, then judged by providerFailures against the issuer and the recorded Auth0 app. */
function checkProvider(ctx: CoreContext): Promise<CheckResult> {
  const pools = ctx.google.iam.locations.workforcePools;
  const n = names(ctx);
  return runCheck(
    'workforce-pool',
    'workforce-provider',
    'Workforce provider',
    async () => {
      const p = await unlessNotFound(() => gdata(ctx, () => pools.providers.get({ name: n.provider })));
      if (!p) return failed(`${n.provider} no longer exists`, 'run iap-auth0 init to create it again');
      const issuer = await ctx.auth0Issuer();
      const o = p.oidc ?? {};
      return firstFailure(
        providerFailures(ctx, p, issuer, recorded(ctx, 'auth0Client')?.clientId),
        `issuer ${issuer}, Auth0 client ${o.clientId}`,
      );
    },
    ctx.inputs.project,
    ctx.signal,
  );
}

/** What can be wrong with the provider, in the order verify reports the first. */
function providerFailures(
  ctx: CoreContext,
  p: Provider,
  issuer: string,
  clientId: string | undefined,
): [boolean, Outcome][] {
  const n = names(ctx);
  const o = p.oidc ?? {};
  const marker = markerProblem(ctx, n.provider, p.description, 'provider');
  return [
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
    ...allowFailures(ctx, p),
    [!!marker, marker!],
  ];
}

/**
 * What --allow needs of the provider: the mappings its members match on (the verified email, the
 * groups claim), and the attribute condition iap-auth0 wrote, unchanged.
 */
function allowFailures(ctx: CoreContext, p: Provider): [boolean, Outcome][] {
  const want = desiredMapping(ctx.inputs.allow);
  const lost = ['attribute.email', 'google.groups'].filter((k) => want[k] && p.attributeMapping?.[k] !== want[k]);
  const ours = st(ctx).resources.providerCondition;
  const live = p.attributeCondition ?? '';
  return [
    [
      lost.length > 0,
      failed(
        `${lost.join(' and ')} ${lost.length > 1 ? 'are' : 'is'} not mapped as --allow needs: the email:, role: ` +
          'or group: grants match nobody',
        'run iap-auth0 init (puts the mapping back)',
      ),
    ],
    [
      !!ours && live !== ours,
      live
        ? failed(
            `the provider's attribute condition is not the one iap-auth0 wrote: ${live}`,
            "if that is wanted, make it this setup's with iap-auth0 init --require '<it>'; else clear it and run " +
              'iap-auth0 init',
          )
        : failed(
            `the attribute condition iap-auth0 wrote was removed: anyone in the tenant reaches IAP`,
            'run iap-auth0 init (writes it back)',
          ),
    ],
  ];
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
