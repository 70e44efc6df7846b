// One stage = plan (read-only) + apply (idempotent). The runner starts every stage at once; a
// stage awaits ctx.after(dep) right where it needs another stage's result, so independent work
// (Cloud Run deploy, Auth0 app, pool, OAuth client) overlaps and the run takes about as long as
// its critical path.
import type { CoreContext } from './context.js';
import type { StageId } from '../state/schema.js';
import type { CheckResult } from './check.js';
import { Refusal, type CodedError } from './coded-error.js';

/** refuse: the resource is someone else's and nothing gave consent (init stops before any change). */
export type PlanAction = 'create' | 'adopt' | 'update' | 'undelete' | 'remove' | 'none' | 'refuse';
export interface PlanItem {
  stage: StageId; action: PlanAction; resource: string; detail?: string; hint?: string; code?: string;
  /** For a refusal: what its hint is made of, so init can say it once for all of one owner's resources. */
  refusal?: { kind: Refusal['kind']; owner?: string; flag: string; adoptable: boolean };
}

/** A plan item for a resource init will not use. */
export const refusedItem = (stage: StageId, resource: string, e: CodedError): PlanItem => ({
  stage, action: 'refuse', resource, detail: e.message, hint: e.hint, code: e.code,
  ...(e instanceof Refusal ? { refusal: { kind: e.kind, owner: e.owner, flag: e.flag, adoptable: e.adoptable } } : {}),
});

export interface Stage {
  id: StageId;
  title: string;
  /** Reads only: what apply would do. */
  plan(ctx: CoreContext): Promise<PlanItem[]>;
  /** Makes it so; safe to repeat; returns a one-line summary. */
  apply(ctx: CoreContext): Promise<string>;
  /** Reads only: is what apply made still there and as recorded? Never throws. */
  verify(ctx: CoreContext): Promise<CheckResult[]>;
  /** What destroy would remove, from the state file alone (no network). */
  owned(ctx: Pick<CoreContext, 'inputs' | 'state'>): string[];
  /** Removes what this stage created or added, as recorded; not-found counts as done; safe to repeat. */
  destroy(ctx: CoreContext): Promise<string>;
}

export class DependencyFailed extends Error {
  constructor(readonly stage: StageId, readonly dependency: StageId, override readonly cause?: unknown) { super(`${stage} did not run because ${dependency} failed`); }
}

export interface StageResult { id: StageId; ok: boolean; summary?: string; error?: unknown }

/** Applies all stages concurrently, honouring their awaits; never rejects, reports per stage. */
export async function runStages(stages: Stage[], ctx: Omit<CoreContext, 'after' | 'until' | 'reach'>): Promise<StageResult[]> {
  const done = new Map<StageId, Promise<void>>();
  const resolvers = new Map<StageId, { resolve: () => void; reject: (e: unknown) => void }>();
  for (const s of stages) {
    done.set(s.id, new Promise<void>((resolve, reject) => resolvers.set(s.id, { resolve, reject })));
    done.get(s.id)!.catch(() => undefined); // observed through after(); avoid unhandled rejections
  }
  const marks = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  const mark = (name: string) => {
    let m = marks.get(name);
    if (!m) { let resolve!: () => void; const promise = new Promise<void>((r) => (resolve = r)); marks.set(name, (m = { promise, resolve })); }
    return m;
  };
  const full = (id: StageId): CoreContext => ({
    ...ctx,
    after: (dep) => {
      const p = done.get(dep);
      if (!p) return Promise.resolve(); // not part of this run: already done earlier
      return p.catch(() => { throw new DependencyFailed(id, dep); });
    },
    until: (milestone) => {
      const dep = milestone.split(':')[0] as StageId;
      const p = done.get(dep);
      if (!p) return Promise.resolve();
      return Promise.race([mark(milestone).promise, p]).catch(() => { throw new DependencyFailed(id, dep); });
    },
    reach: (point) => mark(`${id}:${point}`).resolve(),
  });
  const one = async (s: Stage): Promise<StageResult> => {
    const c = full(s.id);
    try {
      if (c.state.stage(s.id).status !== 'done') {
        await c.state.updateStage(s.id, (st) => { st.status = 'in-progress'; st.startedAt ??= new Date().toISOString(); delete st.error; });
      }
      c.emit({ type: 'stage-start', stage: s.id });
      const summary = await s.apply(c);
      await c.state.updateStage(s.id, (st) => { st.status = 'done'; st.finishedAt = new Date().toISOString(); });
      c.emit({ type: 'stage-done', stage: s.id, summary });
      resolvers.get(s.id)!.resolve();
      return { id: s.id, ok: true, summary };
    } catch (error) {
      resolvers.get(s.id)!.reject(error);
      const aborted = c.signal.aborted;
      if (!(error instanceof DependencyFailed)) {
        await c.state.updateStage(s.id, (st) => { st.status = aborted ? 'in-progress' : 'failed'; st.error = aborted ? 'interrupted' : describe(error); }).catch(() => undefined);
      }
      // After Ctrl-C every unfinished stage was interrupted, whatever it was waiting for.
      c.emit({ type: 'stage-failed', stage: s.id, error: aborted ? 'interrupted' : describe(error) });
      return { id: s.id, ok: false, error };
    }
  };
  // IAP_AUTH0_SEQUENTIAL=1 runs one stage after the other (the benchmark's contrast run).
  if (ctx.env?.IAP_AUTH0_SEQUENTIAL === '1') {
    const out: StageResult[] = [];
    for (const s of stages) out.push(await one(s));
    return out;
  }
  return Promise.all(stages.map(one));
}

const describe = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 300);
