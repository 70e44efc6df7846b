// The setup's claim on its workforce pool, and the pool's part of the workforce-pool stage's plan.
// The pool is the setup's anchor: its id is global and derived from project, region and service,
// and creating it is the one step two racing setups cannot both win. The claim runs first in every
// run (ctx.claim, memoized), and the other stages create nothing before it succeeded; a run that
// finds the pool owned by another setup stops there, having created nothing. Here rather than in
// the stage because the context runs it for whichever stage needs it first.
import { POOL_RESOURCE, PROVIDER_RESOURCE } from '../lib/ids.js';
import { gdata, opReader, planRead } from './google-call.js';
import { googleFailure, isConflict, unlessNotFound } from './google-errors.js';
import { pollOperation, waitingFor } from './poll.js';
import { CodedError, refusal } from './coded-error.js';
import { decideUse, markedDescription, parseDescription, purposeOf, type Marker } from './ownership.js';
import { existingChanges, markerToWrite } from './decide-resource.js';
import { fieldOf, recordedAs, recordUse } from './records.js';
import { refused, type Change } from './stage.js';
import type { CoreContext } from './context.js';
import type { iam_v1 } from '@googleapis/iam';

export type Pool = iam_v1.Schema$WorkforcePool;
type Ctx = Pick<CoreContext, 'inputs' | 'state' | 'google' | 'signal' | 'emit' | 'env'>;
const stage = 'workforce-pool' as const;

export const poolNames = (ctx: Pick<CoreContext, 'inputs'>) => ({
  pool: POOL_RESOURCE(ctx.inputs.pool),
  provider: PROVIDER_RESOURCE(ctx.inputs.pool, ctx.inputs.provider),
});
export const poolPurpose = (ctx: Pick<CoreContext, 'inputs'>) =>
  `workforce pool for Cloud Run service ${ctx.inputs.service} in ${ctx.inputs.project} (${ctx.inputs.region})`;
export const ownerOpts = (ctx: Pick<CoreContext, 'inputs' | 'state'>, key: 'pool' | 'provider') => ({
  flag: key === 'pool' ? '--pool' : '--provider',
  stateFile: ctx.state.file,
  field: fieldOf('workforce-pool', key),
  me: ctx.inputs.setupId,
});

/** The pool, or undefined; `read` is planRead when planning (an API not enabled yet: absent), gdata when applying. */
export async function readPool(ctx: Ctx, read: 'plan' | 'apply'): Promise<Pool | undefined> {
  const get = () => ctx.google.iam.locations.workforcePools.get({ name: poolNames(ctx).pool });
  const p = read === 'plan' ? planRead(ctx, get) : unlessNotFound(() => gdata(ctx, get, 'workforce-pool'));
  return p.catch((e) => {
    if (googleFailure(e)?.httpStatus === 403)
      throw new Error(
        `cannot read workforce pool ${ctx.inputs.pool}: pool ids are global across all organizations, so ` +
          'another organization may own it; choose another with --pool',
      );
    throw e;
  });
}

/** What this run does with the pool; the change the plan shows is `change`. */
export type PoolDecision =
  | { do: 'create'; change: Change }
  | { do: 'refuse'; change: Change; error: CodedError }
  | {
      do: 'use';
      change: Change;
      use: 'created' | 'adopted';
      pool: Pool;
      undelete: boolean;
      marker?: Marker;
      writeMarker: boolean;
    };

/** Pure: the pool's decision from the pool as read (undefined: absent). */
export function decidePool(ctx: Pick<CoreContext, 'inputs' | 'state'>, pool: Pool | undefined): PoolDecision {
  const n = poolNames(ctx);
  if (!pool)
    return {
      do: 'create',
      change: {
        stage,
        action: 'create',
        resource: n.pool,
        reason: `no pool with this id yet; in organizations/${ctx.inputs.organization}`,
      },
    };
  const recorded = recordedAs(ctx.state.stage('workforce-pool'), 'pool', n.pool);
  const d = decideUse(parseDescription(pool.description), ctx.inputs.setupId, recorded, ctx.inputs.adopt);
  const stop = (error: CodedError): PoolDecision => ({ do: 'refuse', error, change: refused(stage, n.pool, error) });
  if ('refuse' in d) return stop(refusal(d, `the workforce pool ${ctx.inputs.pool}`, ownerOpts(ctx, 'pool')));
  const error = poolRefusal(ctx, pool, d.use);
  if (error) return stop(error);
  const deleted = pool.state === 'DELETED';
  // A deleted pool's marker is left as it is: the claim, which writes markers, runs before the stage undeletes it.
  const writeMarker = !!markerToWrite(d.marker, parseDescription(pool.description)) && !deleted;
  // One change: a deleted pool is this setup's (a shared one is refused above), and so neither adopted nor patched.
  const [change] = existingChanges(
    {
      stage,
      resource: n.pool,
      use: d.use,
      marker: d.marker,
      deleted,
      adopting: d.use === 'adopted' && recorded !== 'adopted',
      fields: writeMarker ? ['description'] : [],
    },
    {
      undelete:
        "this setup's pool was deleted; its id stays reserved for 30 days, so it is undeleted rather than fought",
      adopted: ` (--adopt)${writeMarker ? '; this setup added to its "shared with" marker' : ''}`,
      update:
        d.use === 'created'
          ? "its iap-auth0 marker is not this setup's as it should be: restored"
          : 'this setup added to its "shared with" marker',
      asIs: "this setup's pool, as it should be",
    },
  );
  return { do: 'use', use: d.use, pool, undelete: deleted, marker: d.marker, writeMarker, change };
}

/** Why this setup may not use a pool decideUse allowed: its owner deleted it, or it is in another organization. */
function poolRefusal(ctx: Pick<CoreContext, 'inputs'>, pool: Pool, use: 'created' | 'adopted'): CodedError | undefined {
  if (pool.state === 'DELETED' && use === 'adopted')
    return new CodedError(
      'POOL_DELETED_BY_OWNER',
      `the workforce pool ${ctx.inputs.pool} this setup shares was deleted by its owner`,
      `choose another --pool, or undelete it: gcloud iam workforce-pools undelete ${ctx.inputs.pool} ` +
        '--location=global',
    );
  if (pool.parent !== `organizations/${ctx.inputs.organization}`)
    return new CodedError(
      'POOL_IN_ANOTHER_ORGANIZATION',
      `the workforce pool ${ctx.inputs.pool} belongs to ${pool.parent}, not to the project's organization ` +
        `${ctx.inputs.organization}`,
      'choose another --pool',
    );
  return undefined;
}

/** Patches a description to carry `marker` (an update operation, waited for). */
export async function writeMarker(
  ctx: Ctx,
  kind: 'pool' | 'provider',
  current: string | null | undefined,
  marker: Marker,
  purpose: string,
): Promise<void> {
  const pools = ctx.google.iam.locations.workforcePools;
  const description = markedDescription(marker, purposeOf(current) || purpose, 256);
  const name = poolNames(ctx)[kind];
  const op =
    kind === 'pool'
      ? await gdata(
          ctx,
          () => pools.patch({ name, updateMask: 'description', requestBody: { description } }),
          'workforce-pool',
        )
      : await gdata(
          ctx,
          () => pools.providers.patch({ name, updateMask: 'description', requestBody: { description } }),
          'workforce-pool',
        );
  await waitOp(ctx, kind, op);
}

/** A pool or provider operation's wait as its progress line says it, with how long so far (poll.ts). */
export const operationWait = (ctx: Pick<Ctx, 'emit' | 'inputs'>, kind: 'pool' | 'provider') =>
  waitingFor(ctx.emit, stage, `Google is finishing the change to workforce ${kind} ${ctx.inputs[kind]}`);

/** Waits for a pool or provider operation, recorded first so a killed run polls it instead of acting again. */
export async function waitOp(ctx: Ctx, kind: 'pool' | 'provider', op: iam_v1.Schema$Operation): Promise<void> {
  if (!op.name || op.done) return;
  const pools = ctx.google.iam.locations.workforcePools;
  const get = opReader(
    ctx,
    kind === 'pool'
      ? (name: string) => pools.operations.get({ name })
      : (name: string) => pools.providers.operations.get({ name }),
    'workforce-pool',
  );
  await ctx.state.recordOperation('workforce-pool', kind, op.name);
  await unlessNotFound(() => pollOperation(get, op, { signal: ctx.signal, onPoll: operationWait(ctx, kind) }));
  await ctx.state.recordOperation('workforce-pool', kind, undefined);
}

/**
 * The claim, as planned (`planned`), or read and decided now when the workforce-pool stage is not
 * part of this run: creates the pool when absent (the create is accepted at once; the stage waits
 * for its operation), or checks that this setup may use it and puts its marker right (ours
 * restored, this setup added to the "shared with" list of a pool it adopts). Undeleting is the
 * stage's: a deleted pool of this setup's claims nothing new.
 */
export async function claimPool(ctx: CoreContext, planned?: PoolDecision): Promise<'created' | 'adopted'> {
  await ctx.apisReady();
  const pools = ctx.google.iam.locations.workforcePools;
  const n = poolNames(ctx);
  let d = planned ?? decidePool(ctx, await readPool(ctx, 'apply'));
  if (d.do === 'create') {
    ctx.emit({ type: 'step', stage: 'workforce-pool', text: `creating workforce pool ${ctx.inputs.pool}` });
    try {
      const op = await gdata(
        ctx,
        () =>
          pools.create({
            location: 'locations/global',
            workforcePoolId: ctx.inputs.pool,
            requestBody: {
              parent: `organizations/${ctx.inputs.organization}`,
              displayName: `iap-auth0 ${ctx.inputs.service}`.slice(0, 32),
              description: markedDescription({ owner: ctx.inputs.setupId, shared: [] }, poolPurpose(ctx), 256),
              sessionDuration: '3600s',
            },
          }),
        'workforce-pool',
      );
      if (op.name && !op.done) await ctx.state.recordOperation('workforce-pool', 'pool', op.name);
      await recordUse(ctx, 'workforce-pool', 'pool', n.pool, 'created');
      return 'created';
    } catch (e) {
      // Created by a retried request, or by another run at the same moment: whose is it? (a race:
      // the one decision taken again, on what is there now)
      if (!isConflict(e)) throw e;
      d = decidePool(ctx, await gdata(ctx, () => pools.get({ name: n.pool }), 'workforce-pool'));
      if (d.do === 'create') throw e;
    }
  }
  if (d.do === 'refuse') throw d.error;
  if (d.writeMarker) {
    ctx.emit({
      type: 'step',
      stage: 'workforce-pool',
      text:
        d.use === 'created'
          ? `restoring the iap-auth0 marker of pool ${ctx.inputs.pool}`
          : `recording that this setup shares pool ${ctx.inputs.pool}`,
    });
    await writeMarker(ctx, 'pool', d.pool.description, d.marker!, poolPurpose(ctx));
  }
  await recordUse(ctx, 'workforce-pool', 'pool', n.pool, d.use);
  return d.use;
}
