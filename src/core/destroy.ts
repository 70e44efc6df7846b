// `destroy` without a terminal: removes what the state file says iap-auth0 created or added, one
// stage at a time in reverse dependency order (access before the IAP settings that name the pool,
// the OAuth client and pool before the Auth0 app the provider points at, the service last). Each
// stage is marked `destroying` before it starts and `destroyed` (its records cleared) when done,
// so a killed run resumes, and a second run finds nothing to do and sends no request.
import { DEFAULT_STATE_PATH, acquireLock, assertWritable } from '../state/store.js';
import { STAGES, type StageId, type State } from '../state/schema.js';
import { UserError, EXIT } from '../cli/exit-codes.js';
import { ALL_STAGES } from './stages/index.js';
import { readRecorded, contextFromState } from './recorded-setup.js';
import { checkCredentials, asUsageError } from './local-checks.js';
import { explain } from './explain.js';
import type { EventSink } from './events.js';

export const DESTROY_ORDER: StageId[] = ['access', 'iap-settings', 'oauth-client', 'workforce-pool', 'auth0-app', 'deploy'];

export interface DestroyPlanItem { stage: StageId; title: string; items: string[]; kept: boolean }

export interface DestroyOptions {
  env: NodeJS.ProcessEnv; statePath?: string; keep: StageId[]; emit: EventSink; signal: AbortSignal;
  /** Called with the plan before anything changes; false = stop, nothing deleted. */
  confirm?: (plan: DestroyPlanItem[]) => Promise<boolean>;
}

export interface DestroyResult {
  ok: boolean; stateFile: string; plan: DestroyPlanItem[]; nothingToDo: boolean;
  stages: { id: StageId; title: string; ok: boolean; kept?: boolean; summary?: string; code?: string; error?: string; hint?: string }[];
}

/** Every stage with something recorded to remove, from the state alone (no network). */
export function destroyPlan(state: State, keep: StageId[]): DestroyPlanItem[] {
  const view = { inputs: state.inputs as never, state: { stage: (id: StageId) => state.stages[id] ?? { status: 'pending', operations: {}, resources: {} } } as never };
  return DESTROY_ORDER.map((id) => {
    const stage = ALL_STAGES.find((s) => s.id === id)!;
    return { stage: id, title: stage.title, items: stage.owned(view), kept: keep.includes(id) };
  }).filter((p) => p.items.length > 0 && state.stages[p.stage]?.status !== 'destroyed');
}

/** Parses --keep: stage ids, comma-separated. */
export function parseKeep(text: string | undefined): StageId[] {
  if (!text) return [];
  const ids = text.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = ids.filter((id) => !(STAGES as readonly string[]).includes(id));
  if (bad.length) throw new UserError(`--keep: unknown stage ${bad.join(', ')}`, EXIT.USAGE, `use any of ${STAGES.join(', ')}, comma-separated (e.g. --keep auth0-app)`);
  return ids as StageId[];
}

export async function runDestroy(o: DestroyOptions): Promise<DestroyResult> {
  const statePath = o.statePath ?? DEFAULT_STATE_PATH;
  const state = await readRecorded(statePath, 'destroy');
  const plan = destroyPlan(state, o.keep);
  const base = { stateFile: statePath, plan };
  if (!plan.some((p) => !p.kept)) return { ok: true, nothingToDo: true, stages: [], ...base };
  checkCredentials(o.env);
  await assertWritable(statePath).catch((e) => { throw asUsageError(e); });
  if (o.confirm && !(await o.confirm(plan))) throw new UserError('destroy cancelled; nothing was deleted.', EXIT.FAILURE);

  const release = await acquireLock(statePath, 'destroy').catch((e) => { throw asUsageError(e); });
  try {
    const ctx = contextFromState({ env: o.env, state, statePath, emit: o.emit, signal: o.signal, persist: true });
    const results: DestroyResult['stages'] = [];
    for (const p of plan) {
      const stage = ALL_STAGES.find((s) => s.id === p.stage)!;
      if (p.kept) { results.push({ id: p.stage, title: p.title, ok: true, kept: true, summary: 'kept (--keep)' }); continue; }
      o.emit({ type: 'stage-start', stage: p.stage });
      await ctx.state.updateStage(p.stage, (st) => { st.status = 'destroying'; delete st.error; });
      try {
        const summary = await stage.destroy(ctx);
        await ctx.state.updateStage(p.stage, (st) => {
          st.status = 'destroyed'; st.finishedAt = new Date().toISOString();
          st.resources = {}; st.operations = {}; delete st.added; delete st.error;
        });
        o.emit({ type: 'stage-done', stage: p.stage, summary });
        results.push({ id: p.stage, title: p.title, ok: true, summary });
      } catch (e) {
        const x = explain(o.signal.aborted ? new Error('interrupted') : e, state.inputs.project);
        await ctx.state.updateStage(p.stage, (st) => { st.error = x.error; }).catch(() => undefined);
        o.emit({ type: 'stage-failed', stage: p.stage, error: x.error });
        results.push({ id: p.stage, title: p.title, ok: false, ...x });
        // Later stages depend on this one being gone (reverse dependency order): stop here.
        break;
      }
    }
    const ok = results.every((r) => r.ok) && results.length === plan.length;
    // Stages that had nothing of their own to remove (e.g. every member was already there) are over too.
    if (ok) {
      await ctx.state.update((s) => {
        for (const id of STAGES) {
          const st = s.stages[id];
          if (st && !o.keep.includes(id) && st.status !== 'destroyed') Object.assign(st, { status: 'destroyed', resources: {}, operations: {}, added: undefined, error: undefined });
        }
      });
    }
    await ctx.state.flush();
    return { ok, nothingToDo: false, stages: results, ...base };
  } finally {
    await release();
  }
}
