// `destroy` without a terminal: removes what the state file says iap-auth0 created or added, one
// stage at a time in reverse dependency order (access before the IAP settings that name the pool,
// the OAuth client and pool before the Auth0 app the provider points at, the service last). Each
// stage is marked `destroying` before it starts and `destroyed` (its records cleared) when done,
// so a killed run resumes, and a second run finds nothing to do and sends no request.
import { DEFAULT_STATE_PATH, acquireLock, assertWritable } from '../state/store.js';
import { STAGES, type StageId, type State } from '../state/schema.js';
import { REVERSE_STAGES } from './stage-graph.js';
import { titleOf } from './stage.js';
import { UserError, EXIT } from '../lib/exit-codes.js';
import { STAGE_IMPLEMENTATIONS } from './stages/index.js';
import { readRecorded, contextFromState } from './recorded-setup.js';
import { checkCredentials, checkGoogleCredentials, asUsageError } from './local-checks.js';
import { openAuth0Session } from './auth0-session.js';
import { ACTION_REMOVAL_SCOPES } from './auth0-preflight.js';
import { explain } from './explain.js';
import { auth0AppFate, oauthClientFate, poolFates, serviceFate } from './fates.js';
import { fieldOf } from './records.js';
import type { Fate } from './ownership.js';
import type { CoreContext } from './context.js';
import type { EventSink } from './events.js';

export interface DestroyPlanItem {
  stage: StageId;
  title: string;
  items: string[];
  kept: boolean;
}

export interface DestroyOptions {
  env: NodeJS.ProcessEnv;
  statePath?: string;
  keep: StageId[];
  emit: EventSink;
  signal: AbortSignal;
  /** Called with the plan before anything changes; false = stop, nothing deleted. */
  confirm?: (plan: DestroyPlanItem[]) => Promise<boolean>;
}

export interface DestroyResult {
  ok: boolean;
  stateFile: string;
  plan: DestroyPlanItem[];
  nothingToDo: boolean;
  stages: {
    id: StageId;
    title: string;
    ok: boolean;
    kept?: boolean;
    summary?: string;
    code?: string;
    error?: string;
    hint?: string;
  }[];
  /** What was deleted, and what was kept (with why), by name: read from the stages' summaries. */
  deleted: string[];
  kept: string[];
}

/** Every stage with something recorded to remove, from the state alone (no network). */
export function destroyPlan(state: State, keep: StageId[]): DestroyPlanItem[] {
  const recorded = {
    stage: (id: StageId) => state.stages[id] ?? { status: 'pending' as const, operations: {}, resources: {} },
  };
  // Dependants first (the reverse of the declared dependency order): access before the IAP
  // settings that name the pool, the OAuth client and pool before the Auth0 app the provider
  // points at, the service last.
  return REVERSE_STAGES.map((id) => ({
    stage: id,
    title: titleOf(id),
    items: STAGE_IMPLEMENTATIONS[id].owned(recorded),
    kept: keep.includes(id),
  })).filter((p) => p.items.length > 0 && state.stages[p.stage]?.status !== 'destroyed');
}

/** Parses --keep: stage ids, comma-separated. */
export function parseKeep(text: string | undefined): StageId[] {
  if (!text) return [];
  const ids = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = ids.filter((id) => !(STAGES as readonly string[]).includes(id));
  if (bad.length)
    throw new UserError(
      `--keep: unknown stage ${bad.join(', ')}`,
      EXIT.USAGE,
      `use any of ${STAGES.join(', ')}, comma-separated (e.g. --keep auth0-app)`,
    );
  return ids as StageId[];
}

export async function runDestroy(o: DestroyOptions): Promise<DestroyResult> {
  const statePath = o.statePath ?? DEFAULT_STATE_PATH;
  const state = await readRecorded(statePath, 'destroy');
  const plan = destroyPlan(state, o.keep);
  const base = { stateFile: statePath, plan };
  if (!plan.some((p) => !p.kept)) return { ok: true, nothingToDo: true, stages: [], deleted: [], kept: [], ...base };
  checkCredentials(o.env);
  await checkGoogleCredentials(o.env);
  await assertWritable(statePath).catch((e) => {
    throw asUsageError(e);
  });
  if (o.confirm && !(await o.confirm(plan)))
    throw new UserError('destroy cancelled; nothing was deleted.', EXIT.FAILURE);

  const release = await acquireLock(statePath, 'destroy').catch((e) => {
    throw asUsageError(e);
  });
  try {
    const ctx = await destroyContext(o, state, statePath, plan);
    await checkMarkers(
      ctx,
      plan.filter((p) => !p.kept).map((p) => p.stage),
    );
    const results = await destroyStages(o, ctx, plan, state.inputs.project);
    const ok = results.every((r) => r.ok) && results.length === plan.length;
    if (ok) await markRestDestroyed(ctx, o.keep);
    await ctx.state.flush();
    return { ok, nothingToDo: false, stages: results, ...summarize(results.map((r) => r.summary)), ...base };
  } finally {
    await release();
  }
}

/** The context destroy runs in, read from the state file; with an Auth0 session when the Auth0 app goes. */
async function destroyContext(
  o: DestroyOptions,
  state: State,
  statePath: string,
  plan: DestroyPlanItem[],
): Promise<CoreContext> {
  // The Auth0 credential check, after the confirmation and before the first request, when the
  // Auth0 app or the post-login Action is to be removed (its token is the one destroy then uses).
  const removes = (id: StageId) => plan.some((p) => p.stage === id && !p.kept);
  const auth0 =
    removes('auth0-app') || removes('auth0-action')
      ? await openAuth0Session({
          env: o.env,
          domain: state.inputs.auth0Domain,
          signal: o.signal,
          command: 'destroy',
          extra: removes('auth0-action') ? ACTION_REMOVAL_SCOPES : [],
        })
      : undefined;
  return contextFromState({
    env: o.env,
    state,
    statePath,
    emit: o.emit,
    signal: o.signal,
    persist: true,
    ...(auth0 ? { auth0 } : {}),
  });
}

/** Each planned stage in turn (kept ones only reported); stops at the first that fails. */
async function destroyStages(
  o: DestroyOptions,
  ctx: CoreContext,
  plan: DestroyPlanItem[],
  project: string,
): Promise<DestroyResult['stages']> {
  const results: DestroyResult['stages'] = [];
  for (const p of plan) {
    if (p.kept) {
      results.push({
        id: p.stage,
        title: p.title,
        ok: true,
        kept: true,
        summary: `kept ${p.items.join(', ')} (--keep)`,
      });
      continue;
    }
    const result = await destroyOne(o, ctx, p, project);
    results.push(result);
    // Later stages depend on this one being gone (reverse dependency order): stop here.
    if (!result.ok) break;
  }
  return results;
}

/** One stage: marked `destroying`, destroyed, then marked `destroyed` with its records cleared. */
async function destroyOne(
  o: DestroyOptions,
  ctx: CoreContext,
  p: DestroyPlanItem,
  project: string,
): Promise<DestroyResult['stages'][number]> {
  const stage = STAGE_IMPLEMENTATIONS[p.stage];
  o.emit({ type: 'stage-start', stage: p.stage });
  await ctx.state.updateStage(p.stage, (st) => {
    st.status = 'destroying';
    delete st.error;
  });
  try {
    const summary = await stage.destroy(ctx);
    await ctx.state.updateStage(p.stage, (st) => {
      st.status = 'destroyed';
      st.finishedAt = new Date().toISOString();
      st.resources = {};
      st.operations = {};
      delete st.added;
      delete st.error;
    });
    o.emit({ type: 'stage-done', stage: p.stage, summary });
    return { id: p.stage, title: p.title, ok: true, summary };
  } catch (e) {
    const x = explain(e, project, o.signal);
    await ctx.state
      .updateStage(p.stage, (st) => {
        st.error = x.error;
      })
      .catch(() => undefined);
    o.emit({
      type: 'stage-failed',
      stage: p.stage,
      error: x.error,
      ...(x.code === 'INTERRUPTED' ? { interrupted: true, during: 'removing it' } : {}),
    });
    return { id: p.stage, title: p.title, ok: false, ...x };
  }
}

/** Stages that had nothing of their own to remove (e.g. every member was already there) are over too. */
async function markRestDestroyed(ctx: CoreContext, keep: StageId[]): Promise<void> {
  await ctx.state.update((s) => {
    for (const id of STAGES) {
      const st = s.stages[id];
      if (st && !keep.includes(id) && st.status !== 'destroyed')
        Object.assign(st, {
          status: 'destroyed',
          resources: {},
          operations: {},
          added: undefined,
          error: undefined,
        });
    }
  });
}

/**
 * The cloud is the truth: before anything is deleted, every resource the state file records as
 * created by this setup must still carry this setup's marker. A state file edited to name someone
 * else's service, app, pool or OAuth client stops destroy here, with nothing deleted.
 */
async function checkMarkers(ctx: CoreContext, stages: StageId[]): Promise<void> {
  const r = (id: StageId) => ctx.state.stage(id).resources;
  let pools: ReturnType<typeof poolFates> | undefined; // one read of the pool and provider for both checks
  const poolsOnce = () => {
    pools ??= poolFates(ctx);
    return pools;
  };
  const checks: [StageId, string, () => Promise<Fate | undefined>][] = [
    ['deploy', 'service', async () => (await serviceFate(ctx))?.fate],
    ['auth0-app', 'clientId', async () => (await auth0AppFate(ctx))?.fate],
    ['workforce-pool', 'pool', async () => (await poolsOnce()).pool],
    ['workforce-pool', 'provider', async () => (await poolsOnce()).provider],
    ['oauth-client', 'oauthClient', () => oauthClientFate(ctx)],
  ];
  const problems = (
    await Promise.all(
      checks
        .filter(([id]) => stages.includes(id))
        .map(async ([id, key, fate]) =>
          (await fate())?.fate === 'mismatch'
            ? {
                id,
                text:
                  `${fieldOf(id, key)} names ${r(id)[key]}, which does not carry the iap-auth0 marker of setup ` +
                  `${ctx.inputs.setupId || '(none)'}`,
              }
            : undefined,
        ),
    )
  ).filter((x): x is { id: StageId; text: string } => !!x);
  if (problems.length) {
    const keep = [...new Set(problems.map((p) => p.id))].join(',');
    throw new UserError(
      `nothing was deleted: the state file ${ctx.state.file} does not match the ` +
        `cloud\n${problems.map((p) => `  - ${p.text}`).join('\n')}`,
      EXIT.USAGE,
      'iap-auth0 deletes only what carries its marker: if the state file was edited, restore it; to leave ' +
        `${problems.length > 1 ? 'those' : 'that'} alone and remove the rest, pass --keep ${keep}`,
    );
  }
}

/** Deleted and kept, by name, from the stages' summaries ("deleted X; kept Y: why; …"). */
export function summarize(summaries: (string | undefined)[]): { deleted: string[]; kept: string[] } {
  const parts = summaries.flatMap((s) => (s ?? '').split('; ')).filter(Boolean);
  return {
    deleted: parts
      .filter((p) => /^(deleted|removed|cleared) /.test(p))
      .map((p) => p.replace(/^(deleted|removed|cleared) /, '')),
    kept: parts.filter((p) => /^kept /.test(p)).map((p) => p.replace(/^kept /, '')),
  };
}
