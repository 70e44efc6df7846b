// One stage = read (reads only) + decide (pure: the changes to make, each with its reason) + apply
// (executes exactly those changes) + verify + destroy. The plan people confirm, print with
// --dry-run and get in --json is the list apply runs: both come from one decide() over one read.
// Apply re-reads only to resolve races (an IAM etag, a create that met 409) and to wait (an
// operation, a service becoming Ready); a change whose value another stage makes at run time (the
// Auth0 app's id for the provider, the OAuth client's for the IAP settings) names that output in
// `awaits`, and apply fills the value in when the runner hands it over.
//
// The runner starts every stage at once; a stage awaits ctx.need(output) right where it needs
// another stage's output (declared in stage-graph.ts), so independent work overlaps and the run
// takes about as long as its critical path.
import { STAGES, STAGE_GRAPH, PROVIDER, dependenciesOf, type OutputName } from './stage-graph.js';
import { recorded, type Outputs, type Prospects } from './outputs.js';
import { Refusal, type CodedError } from './coded-error.js';
import type { CoreContext } from './context.js';
import type { StageId, StageState } from '../state/schema.js';
import type { CheckResult } from './check.js';

/**
 * create, update (`fields` say which), adopt (use someone else's resource with consent: `fields`
 * are what it changes on it, maybe none), undelete, grant and revoke (`members`), delete, none
 * (nothing to do), refuse (someone else's and nothing gave consent: init stops before any change).
 */
export type ChangeKind = 'create' | 'update' | 'adopt' | 'undelete' | 'grant' | 'revoke' | 'delete' | 'none' | 'refuse';

export interface Change {
  stage: StageId;
  action: ChangeKind;
  resource: string;
  /** Why: what was read that makes this change needed (or not). */
  reason: string;
  fields?: string[];
  members?: string[];
  /** A value not known until another stage (or an earlier change of this one) made it: apply fills it in. */
  awaits?: string;
  /**
   * Made only if the awaited value allows it (the Auth0 login URI: only a public https URL): apply may find nothing to
   * do.
   */
  conditional?: boolean;
  hint?: string;
  code?: string;
  /** For a refusal: what its hint is made of, so init can say it once for all of one owner's resources. */
  refusal?: { kind: Refusal['kind']; owner?: string; flag: string; adoptable: boolean };
}

/** The plan as the user reads it (the changes, in stage order). */
export type PlanItem = Change;

/** A change that leaves a resource alone because it is not this setup's. */
export const refused = (stage: StageId, resource: string, e: CodedError): Change => ({
  stage,
  action: 'refuse',
  resource,
  reason: e.message,
  hint: e.hint,
  code: e.code,
  ...(e instanceof Refusal ? { refusal: { kind: e.kind, owner: e.owner, flag: e.flag, adoptable: e.adoptable } } : {}),
});

/** What a stage gets while it applies: the context, and the outputs of the stages it declared it needs. */
export interface StageContext extends CoreContext {
  /** Resolves with `name` once its stage provided it (rejects with DependencyFailed if that stage failed first). */
  need<K extends OutputName>(name: K): Promise<Outputs[K]>;
  /** Hands `name` to the stages that need it; a stage provides only what it declared. */
  provide<K extends OutputName>(name: K, value: Outputs[K]): void;
}

/** One stage's plan: its changes and the function that makes exactly them. */
export interface StagePlan {
  stage: StageId;
  changes: Change[];
  /** What this stage will provide, as far as known before anything runs (the stages that need it plan with it). */
  prospects: Partial<Prospects>;
  apply(ctx: StageContext): Promise<string>;
  /** Project-wide facts this plan carries, run once by whichever stage needs them first (the APIs, the pool claim). */
  shared?: {
    apisReady?: (ctx: CoreContext) => Promise<void>;
    claim?: (ctx: CoreContext) => Promise<'created' | 'adopted'>;
  };
}

/** The pure part of a plan: what to do, given what was read and what the needed stages will provide. */
export type Decide = (ahead: Partial<Prospects>) => StagePlan;

/** What `owned` reads: the recorded stages (the state file alone, no network). */
export interface RecordedStages {
  stage(id: StageId): StageState;
}

export interface Stage {
  id: StageId;
  /** Reads only (never writes): returns the decision over what it read. */
  read(ctx: CoreContext): Promise<Decide>;
  /** Reads only: is what apply made still there and as recorded? Never throws. */
  verify(ctx: CoreContext): Promise<CheckResult[]>;
  /** What destroy would remove, from the state file alone (no network). */
  owned(recorded: RecordedStages): string[];
  /** Removes what this stage created or added, as recorded; not-found counts as done; safe to repeat. */
  destroy(ctx: CoreContext): Promise<string>;
}

export const titleOf = (id: StageId) => STAGE_GRAPH[id].title;

export class DependencyFailed extends Error {
  constructor(
    readonly stage: StageId,
    readonly dependency: StageId,
    override readonly cause?: unknown,
  ) {
    // Said from the waiting stage's side: it may have done part of its work before it needed the output.
    super(`waiting for ${titleOf(dependency)}, which failed`);
  }
}

/** What a read that failed is planned as: its stage reads again when it applies. */
export interface Unreadable {
  stage: StageId;
  error: unknown;
}

/**
 * Plans `stages` (and, reads only, the stages they need, for what those will provide): every read
 * at once, then the pure decisions in dependency order. A stage whose read failed gets a plan of
 * one change saying so (`onUnreadable` words it), and reads again when it applies.
 */
export async function planStages(
  stages: Stage[],
  ctx: CoreContext,
  onUnreadable?: (u: Unreadable) => Change,
): Promise<Map<StageId, StagePlan>> {
  const all = new Map(stages.map((s) => [s.id, s]));
  const wanted = new Set<StageId>();
  const visit = (id: StageId) => {
    if (wanted.has(id)) return;
    wanted.add(id);
    dependenciesOf(id).forEach(visit);
  };
  for (const s of stages) visit(s.id);
  if ([...wanted].some((id) => !all.has(id))) {
    // Loaded here, not at the top: the stage modules import this one.
    const { STAGE_IMPLEMENTATIONS } = await import('./stages/index.js');
    for (const id of wanted) if (!all.has(id)) all.set(id, STAGE_IMPLEMENTATIONS[id]);
  }
  const order = STAGES.filter((id) => wanted.has(id));
  const reads = new Map(
    order.map((id) => {
      const p = all
        .get(id)!
        .read(ctx)
        .then(
          (decide) => ({ decide }),
          (error: unknown) => ({ error }),
        );
      return [id, p] as const;
    }),
  );
  const plans = new Map<StageId, StagePlan>();
  const prospects: Partial<Prospects> = {};
  for (const id of order) {
    const r = await reads.get(id)!;
    const ahead = Object.fromEntries(
      STAGE_GRAPH[id].needs.map((n) => [n, prospects[n]]).filter(([, v]) => v !== undefined),
    ) as Partial<Prospects>;
    const plan = 'decide' in r ? r.decide(ahead) : unreadablePlan(all.get(id)!, ahead, r.error, onUnreadable);
    Object.assign(prospects, plan.prospects);
    plans.set(id, plan);
  }
  return new Map(stages.map((s) => [s.id, plans.get(s.id)!]));
}

function unreadablePlan(
  stage: Stage,
  ahead: Partial<Prospects>,
  error: unknown,
  word?: (u: Unreadable) => Change,
): StagePlan {
  const change = word?.({ stage: stage.id, error }) ?? {
    stage: stage.id,
    action: 'create',
    resource: titleOf(stage.id),
    reason: `cannot read yet: ${describe(error)}`,
  };
  // Nothing is known of what it provides: the stages that need it plan as if this run makes it.
  return {
    stage: stage.id,
    changes: [change],
    prospects: {},
    apply: async (ctx) => (await stage.read(ctx))(ahead).apply(ctx),
  };
}

/** A stage's changes alone (tests, and a one-stage look). */
export async function planOf(stage: Stage, ctx: CoreContext): Promise<Change[]> {
  return (await planStages([stage], ctx)).get(stage.id)!.changes;
}

export interface StageResult {
  id: StageId;
  ok: boolean;
  summary?: string;
  error?: unknown;
  /** Stopped by Ctrl-C (or the run's deadline), not failed. */
  interrupted?: boolean;
  /** For an interrupted stage: what it was doing then (its last step, or the stage it was waiting for). */
  during?: string;
}

/** What a stage is doing as the runner sees it: its last step, or the stage whose output it awaits. */
interface Doing {
  step?: string;
  waitingFor?: StageId;
}

/** "waiting for Cloud Run service", or the stage's last step, or nothing when it had not begun. */
const doingWords = (d: Doing) => (d.waitingFor ? `waiting for ${titleOf(d.waitingFor)}` : d.step);

/**
 * Applies the plans of `stages` (planned now when none is given), concurrently as their needs
 * allow; never rejects, reports per stage. IAP_AUTH0_SEQUENTIAL=1 runs them one after the other
 * in dependency order (the benchmark's contrast run).
 */
export async function runStages(
  stages: Stage[],
  ctx: CoreContext,
  plans?: Map<StageId, StagePlan>,
): Promise<StageResult[]> {
  const planned = plans ?? (await planStages(stages, ctx));
  const inRun = new Set(stages.map((s) => s.id));
  const outputs = outputSlots(inRun);
  const base = withSharedFacts(ctx, planned);
  const one = (id: StageId) => {
    const doing: Doing = {};
    return applyOne(id, stageContext(id, base, outputs, doing), planned.get(id)!, doing, (error?: unknown) =>
      settleOutputs(id, base, outputs, error),
    );
  };
  const ids = STAGES.filter((id) => inRun.has(id));
  if (ctx.env?.IAP_AUTH0_SEQUENTIAL === '1') {
    const out: StageResult[] = [];
    for (const id of ids) out.push(await one(id));
    return out;
  }
  return Promise.all(ids.map(one));
}

/** One output of a stage in this run: what `need` waits on, settled once. */
interface OutputSlot {
  promise: Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  settled: boolean;
}

/** A slot for each output the stages in this run provide. */
function outputSlots(inRun: Set<StageId>): Map<OutputName, OutputSlot> {
  const outputs = new Map<OutputName, OutputSlot>();
  for (const id of inRun) {
    for (const name of STAGE_GRAPH[id].provides) {
      let resolve!: (v: unknown) => void, reject!: (e: unknown) => void;
      const promise = new Promise<unknown>((y, n) => {
        resolve = y;
        reject = n;
      });
      promise.catch(() => undefined); // observed through need(); avoid unhandled rejections
      outputs.set(name, { promise, resolve, reject, settled: false });
    }
  }
  return outputs;
}

/** The project-wide facts, each run once, by the plan that carries them when there is one. */
function withSharedFacts(ctx: CoreContext, planned: Map<StageId, StagePlan>): CoreContext {
  const once = <T>(f: () => Promise<T>) => {
    let p: Promise<T> | undefined;
    return () => (p ??= f());
  };
  const sharedOf = <K extends 'apisReady' | 'claim'>(k: K) =>
    [...planned.values()].map((p) => p.shared?.[k]).find(Boolean);
  const apis = sharedOf('apisReady'),
    claim = sharedOf('claim');
  const base: CoreContext = { ...ctx };
  if (apis) base.apisReady = once(() => apis(base));
  if (claim) base.claim = once(() => claim(base));
  return base;
}

/** Stage `id`'s context: `need` and `provide`, limited to what it declared; `doing` follows its steps and waits. */
function stageContext(
  id: StageId,
  base: CoreContext,
  outputs: Map<OutputName, OutputSlot>,
  doing: Doing,
): StageContext {
  return {
    ...base,
    emit: (e) => {
      if (e.type === 'step' && e.stage === id) doing.step = e.text;
      base.emit(e);
    },
    need: async <K extends OutputName>(name: K) => {
      if (!STAGE_GRAPH[id].needs.includes(name))
        throw new Error(`stage ${id} needs ${name} but does not declare it (stage-graph.ts)`);
      const o = outputs.get(name);
      if (!o) {
        // Not made in this run: its stage was done earlier, and the state file recorded it.
        const value = recorded(base, name);
        if (!value) throw new Error(`${titleOf(PROVIDER[name])} is not recorded yet; run iap-auth0 init again`);
        return value;
      }
      if (!o.settled) base.emit({ type: 'stage-waiting', stage: id, for: PROVIDER[name] });
      doing.waitingFor = PROVIDER[name];
      return o.promise.then(
        (v) => {
          doing.waitingFor = undefined;
          return v as Outputs[K];
        },
        (e) => {
          throw new DependencyFailed(id, PROVIDER[name], e);
        },
      );
    },
    provide: (name, value) => {
      if (!STAGE_GRAPH[id].provides.includes(name))
        throw new Error(`stage ${id} provides ${name} but does not declare it (stage-graph.ts)`);
      const o = outputs.get(name)!;
      o.settled = true;
      o.resolve(value);
    },
  };
}

/**
 * Once stage `id` ended: each output it did not provide resolves with the recorded value (it was
 * done earlier) or, failing that, rejects with its error.
 */
function settleOutputs(id: StageId, base: CoreContext, outputs: Map<OutputName, OutputSlot>, error?: unknown): void {
  for (const name of STAGE_GRAPH[id].provides) {
    const o = outputs.get(name)!;
    if (o.settled) continue;
    o.settled = true;
    const value = error === undefined ? recorded(base, name) : undefined;
    if (value) o.resolve(value);
    else o.reject(error ?? new Error(`${id} finished without providing ${name}`));
  }
}

/** Applies one stage's plan, recording its status and reporting it; never rejects. */
async function applyOne(
  id: StageId,
  c: StageContext,
  plan: StagePlan,
  doing: Doing,
  settle: (error?: unknown) => void,
): Promise<StageResult> {
  try {
    if (c.state.stage(id).status !== 'done') {
      await c.state.updateStage(id, (st) => {
        st.status = 'in-progress';
        st.startedAt ??= new Date().toISOString();
        delete st.error;
      });
    }
    c.emit({ type: 'stage-start', stage: id });
    const summary = await plan.apply(c);
    await c.state.updateStage(id, (st) => {
      st.status = 'done';
      st.finishedAt = new Date().toISOString();
    });
    c.emit({ type: 'stage-done', stage: id, summary });
    settle();
    return { id, ok: true, summary };
  } catch (error) {
    settle(error);
    // After Ctrl-C every unfinished stage was interrupted, whatever it was doing or waiting for:
    // not failed, and not "waiting for a stage that failed" either.
    const interrupted = c.signal.aborted;
    const during = interrupted ? doingWords(doing) : undefined;
    const blocked = !interrupted && error instanceof DependencyFailed;
    await c.state
      .updateStage(id, (st) => {
        if (blocked && st.status === 'done') return; // done in an earlier run: still is, as before
        // A stage that stopped because another failed is not finished, and did not fail itself.
        st.status = interrupted || blocked ? 'in-progress' : 'failed';
        st.error = interrupted ? 'interrupted' : describe(error);
      })
      .catch(() => undefined);
    c.emit({
      type: 'stage-failed',
      stage: id,
      error: interrupted ? 'interrupted' : describe(error),
      ...(interrupted ? { interrupted, ...(during ? { during } : {}) } : {}),
      ...(blocked ? { blockedBy: error.dependency } : {}),
    });
    return { id, ok: false, error, ...(interrupted ? { interrupted, ...(during ? { during } : {}) } : {}) };
  }
}

const describe = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 300);
