// `init` without a terminal: resolve inputs, check what can be checked locally, take the lock,
// learn the project's number and organization, plan every stage, and (unless --dry-run) apply
// them concurrently. Everything the user sees comes back as events and the result; nothing here
// prints. Nothing is written before the inputs are valid and the plan was made.
import { readState, acquireLock, assertWritable, DEFAULT_STATE_PATH } from '../state/store.js';
import { STATE_VERSION, type State, type StageId } from '../state/schema.js';
import { judge, promptCheck, resolveInputs, type InitFlags, type Prompt } from '../inputs/resolve.js';
import { organizationSchema } from '../inputs/schema.js';
import { googleClients } from '../google/clients.js';
import { IAP_AUDIENCE } from '../lib/ids.js';
import { UserError, EXIT } from '../lib/exit-codes.js';
import { StateHandle } from './state-handle.js';
import { createContext } from './create-context.js';
import { projectFacts } from './preflight.js';
import { auth0Preflight, allowScopes } from './auth0-preflight.js';
import { checkAllowTargets } from './allow-check.js';
import { googleFailure, describeGoogleFailure } from './google-errors.js';
import { explain } from './explain.js';
import { checkCredentials, checkGoogleCredentials, asUsageError, INIT_CREDENTIALS } from './local-checks.js';
import { planStages, runStages, titleOf, type PlanItem, type Stage, type StagePlan } from './stage.js';
import { newSetupId, SETUP_ID } from './ownership.js';
import { netFailure } from '../lib/net.js';
import { refusalHint } from './coded-error.js';
import { stagesInOrder } from './stages/index.js';
import { labelledResources } from './resource-labels.js';
import type { EventSink } from './events.js';
import type { CoreContext, ResolvedInputs } from './context.js';

export interface InitOptions {
  env: NodeJS.ProcessEnv;
  flags: InitFlags & { organization?: string; setup?: string };
  statePath?: string;
  interactive: boolean;
  dryRun: boolean;
  emit: EventSink;
  signal: AbortSignal;
  prompt?: Prompt;
  /**
   * Asked once the plan is made and nothing refused it, before anything is written: false stops
   * the run there with nothing changed (the guided init's "Apply?").
   */
  confirm?: (plan: PlanItem[]) => Promise<boolean>;
  /** The guided init asked its questions before: the inputs ask nothing more (only a missing organization is). */
  guided?: boolean;
}

/** One stage's end in a run. */
export interface InitStageResult {
  id: string;
  title: string;
  ok: boolean;
  summary?: string;
  code?: string;
  error?: string;
  hint?: string;
  /** Stopped by Ctrl-C, not failed; `during` is what it was doing then. */
  interrupted?: boolean;
  during?: string;
  /** A stage that did not finish: what it has made so far, in words ("service account: …"). */
  made?: string[];
}

export interface InitResult {
  ok: boolean;
  dryRun: boolean;
  /** The plan was shown and the answer to "Apply?" was no: nothing was changed. */
  declined?: boolean;
  stateFile: string;
  plan: PlanItem[];
  stages: InitStageResult[];
  serviceUrl?: string;
  audience?: string;
  signIn: string[];
  next: string;
  /** This setup's id, in the marker of everything it created. */
  setupId: string;
  /** Where the Management API is called and where users sign in (the workforce provider's issuer). */
  auth0: { domain: string; signInDomain: string; issuer: string; via: 'tenant' | 'custom-domain' | 'input' };
  /** What the user should know that stopped nothing (e.g. a scope only verify needs). */
  warnings: string[];
}

export async function runInit(o: InitOptions): Promise<InitResult> {
  const statePath = o.statePath ?? DEFAULT_STATE_PATH;
  const local = await checkLocally(o, statePath);
  const release = await lockUnlessDryRun(o.dryRun, statePath);
  try {
    return await initLocked(o, statePath, local);
  } finally {
    await release();
  }
}

/** What the local checks settled, before any request. */
interface LocalInputs {
  recorded: State | undefined;
  inputs: Awaited<ReturnType<typeof resolveInputs>>;
  organizationFlag: string | undefined;
  setupId: string;
}

/** The result's fields that a dry run and a real run share. */
type InitBase = Omit<InitResult, 'ok' | 'dryRun' | 'stages' | 'serviceUrl'>;

/** Local checks first: none of these needs the network. */
async function checkLocally(o: InitOptions, statePath: string): Promise<LocalInputs> {
  checkCredentials(o.env, INIT_CREDENTIALS);
  let recorded: State | undefined;
  try {
    recorded = await readState(statePath);
  } catch (e) {
    throw asUsageError(e);
  }
  // --scope only decides where the IAP settings and access grants go: it may change once neither is in place.
  const scopeFree = (['iap-settings', 'access'] as const).every((id) =>
    ['pending', 'destroyed', undefined].includes(recorded?.stages[id]?.status),
  );
  const inputs = await resolveInputs({
    flags: o.flags,
    env: o.env,
    recorded: recorded?.inputs,
    interactive: o.interactive && !o.guided,
    prompt: o.prompt,
    scopeFree,
  });
  let organizationFlag: string | undefined;
  if (o.flags.organization !== undefined)
    organizationFlag = judge(organizationSchema, o.flags.organization, '--organization');
  const setupId = chooseSetupId(o.flags.setup, recorded, statePath);
  // Google credentials before any request (and in --dry-run too): none at all is a first-timer's usage error.
  await checkGoogleCredentials(o.env);
  return { recorded, inputs, organizationFlag, setupId };
}

/** Checks the state file can be written and takes its lock; a dry run writes nothing and takes no lock. */
async function lockUnlessDryRun(dryRun: boolean, statePath: string): Promise<() => Promise<void>> {
  if (!dryRun)
    await assertWritable(statePath).catch((e) => {
      throw asUsageError(e);
    });
  return dryRun
    ? async () => undefined
    : await acquireLock(statePath, 'init').catch((e) => {
        throw asUsageError(e);
      });
}

/** Everything after the lock: the project's facts, the Auth0 preflight, the plan, and (unless --dry-run) apply. */
async function initLocked(o: InitOptions, statePath: string, local: LocalInputs): Promise<InitResult> {
  const { recorded, inputs, setupId } = local;
  const facts = await readProjectFacts(o, inputs.project);
  const organization = await chooseOrganization(o, local, facts.organization);
  // ---- Auth0 preflight (auth0-preflight.ts): the M2M credentials and their scopes before anything
  // is planned, the domain users sign in on (one more request with read:custom_domains) while the
  // stages plan, both before anything is changed; a refusal names the variable, the cause and the
  // fix (exit 2). Its token is the one every later Auth0 call of this run uses.
  const { session, signIn: signInP } = await auth0Preflight({
    env: o.env,
    inputs,
    flags: o.flags,
    recorded: recorded?.inputs,
    signal: o.signal,
    command: 'init',
    extra: allowScopes(inputs.allow, !!recorded?.stages['auth0-action']?.resources?.actionId),
  });
  // ----

  const resolved: ResolvedInputs = {
    ...inputs,
    projectNumber: facts.projectNumber,
    organization,
    adopt: !!o.flags.adopt,
    setupId,
  };
  const handle = new StateHandle(statePath, stateToWrite(recorded, resolved), !o.dryRun);
  const ctx = createContext({
    env: o.env,
    inputs: resolved,
    state: handle,
    emit: o.emit,
    signal: o.signal,
    auth0: session,
  });
  // --allow against the tenant (allow-check.ts): an unknown role: is refused before any change.
  const allowChecked = checkAllowTargets(session, inputs.allow, o);
  allowChecked.catch(() => undefined);
  const stages = stagesInOrder();
  // The plan is what apply will do: each stage's changes, decided once over one read.
  const plans = await planStages(stages, ctx, ({ stage, error }) => unreadable(stage, error, inputs.project, o.signal));
  const plan = [...plans.values()].flatMap((p) => p.changes);
  unreachable(plan);
  badRegion(plan);
  const signIn = await signInP; // Auth0 preflight, continued: a refusal here still precedes any change
  await allowChecked;
  for (const text of session.warnings) o.emit({ type: 'warning', text });
  refuseForeign(plan);
  const base: InitBase = {
    stateFile: statePath,
    plan,
    audience: IAP_AUDIENCE(facts.projectNumber, inputs.region, inputs.service),
    signIn: inputs.allow,
    next: 'iap-auth0 verify',
    setupId,
    auth0: { domain: session.domain, signInDomain: signIn.domain, issuer: signIn.issuer, via: signIn.via },
    warnings: session.warnings,
  };
  if (o.dryRun) return { ok: true, dryRun: true, stages: [], ...base };
  if (o.confirm && !(await o.confirm(plan))) return { ok: true, dryRun: false, declined: true, stages: [], ...base };
  return applyPlan(o, { handle, ctx, stages, plans, base, project: inputs.project });
}

/** The project's number (IAP names and the audience use it) and organization (pools live there). */
export async function readProjectFacts(
  o: Pick<InitOptions, 'env' | 'signal' | 'emit'>,
  project: string,
): Promise<{ projectNumber: string; organization?: string }> {
  const bare = { env: o.env, signal: o.signal, emit: o.emit, google: googleClients(o.env, { signal: o.signal }) };
  try {
    return await projectFacts(bare, project);
  } catch (e) {
    const f = googleFailure(e);
    if (f?.httpStatus === 403 || f?.httpStatus === 404)
      throw new UserError(
        `project ${project} was not found or you may not read it`,
        EXIT.USAGE,
        'check --project / GOOGLE_CLOUD_PROJECT, and that you are signed in as an account with access ' +
          '(gcloud auth application-default login)',
      );
    if (f) {
      const d = describeGoogleFailure(f, project);
      throw new UserError(d.message, f.httpStatus === 401 ? EXIT.USAGE : EXIT.FAILURE, d.hint);
    }
    throw e;
  }
}

/**
 * The organization the pool goes in: the project's own, else --organization, else the recorded one, else
 * (on a terminal) asked; a project's organization that differs from --organization is refused.
 */
async function chooseOrganization(
  o: InitOptions,
  { inputs, organizationFlag }: LocalInputs,
  projectOrganization: string | undefined,
): Promise<string> {
  let organization = projectOrganization ?? organizationFlag ?? inputs.organization;
  if (!organization && o.interactive && o.prompt) {
    // Asked only when Resource Manager cannot tell (a project outside any organization).
    organization = judge(
      organizationSchema,
      await o.prompt({
        name: 'organization',
        message: `Project ${inputs.project} has no organization. Organization id for the workforce pool`,
        validate: promptCheck(organizationSchema),
      }),
      'organization',
    );
  }
  if (!organization) {
    throw new UserError(
      `project ${inputs.project} is not in an organization, and workforce pools live in one`,
      EXIT.USAGE,
      'move the project into your organization, or pass --organization ORG_ID if you can create workforce ' +
        'pools there (gcloud organizations list)',
    );
  }
  if (projectOrganization && organizationFlag && projectOrganization !== organizationFlag) {
    throw new UserError(
      `--organization ${organizationFlag} differs from the project's organization ${projectOrganization}; ` +
        `the pool must be in the project's organization`,
    );
  }
  return organization;
}

/** The state this run writes: the recorded one with these inputs, or a new one. */
function stateToWrite(recorded: State | undefined, resolved: ResolvedInputs): State {
  const now = new Date().toISOString();
  const { adopt: _a, setupId, deployImage: _d, ...toRecord } = resolved;
  return recorded
    ? { ...recorded, setupId, inputs: { ...recorded.inputs, ...toRecord } }
    : {
        version: STATE_VERSION,
        tool: 'iap-auth0',
        createdAt: now,
        updatedAt: now,
        setupId,
        inputs: toRecord,
        stages: {},
      };
}

/** A stage whose read failed, as one plan line; unreachable endpoints and a refused region carry a code. */
function unreadable(stage: StageId, error: unknown, project: string, signal: AbortSignal): PlanItem {
  const why = explain(error, project, signal);
  const code = netFailure(error, signal) ? 'UNREACHABLE' : why.code === 'GOOGLE_INVALID_REGION' ? why.code : undefined;
  return {
    stage,
    action: 'create',
    resource: titleOf(stage),
    reason: `cannot read yet: ${why.error}`,
    ...(code ? { code, ...(why.hint ? { hint: why.hint } : {}) } : {}),
  };
}

/** Shows the plan, writes the inputs, applies every stage's plan, and reports each stage. */
async function applyPlan(
  o: InitOptions,
  run: {
    handle: StateHandle;
    ctx: CoreContext;
    stages: Stage[];
    plans: Map<StageId, StagePlan>;
    base: InitBase;
    project: string;
  },
): Promise<InitResult> {
  const { handle, base } = run;
  o.emit({ type: 'plan', items: base.plan });
  await handle.update(() => undefined); // the inputs are on disk before the first change
  const results = await runStages(run.stages, run.ctx, run.plans);
  await handle.flush();
  return {
    ok: results.every((r) => r.ok),
    dryRun: false,
    ...base,
    serviceUrl: handle.stage('deploy').resources.uri,
    stages: results.map((r) => ({
      id: r.id,
      title: titleOf(r.id),
      ok: r.ok,
      summary: r.summary,
      ...(r.ok ? {} : explain(r.error, run.project, o.signal)),
      ...(r.interrupted ? { interrupted: true, ...(r.during ? { during: r.during } : {}) } : {}),
      ...(r.ok ? {} : madeSoFar(r.id, handle)),
    })),
  };
}

/** What an unfinished stage has recorded (made or found and kept), in words; nothing when it has nothing. */
function madeSoFar(id: StageId, handle: StateHandle): { made?: string[] } {
  const made = labelledResources(id, handle.stage(id)).map((r) => `${r.label}: ${r.value}`);
  return made.length ? { made } : {};
}

/**
 * This setup's id: the state file's; else --setup (taking back a setup whose state file was lost:
 * its resources carry that id); else a new one. A state file is one setup: another id is refused.
 */
function chooseSetupId(flag: string | undefined, recorded: State | undefined, statePath: string): string {
  if (flag !== undefined && !SETUP_ID.test(flag)) {
    throw new UserError(
      `--setup: "${flag}" is not a setup id`,
      EXIT.USAGE,
      'use the 8-character id iap-auth0 printed, e.g. --setup k3vq7xa2 (it is in the markers of the ' +
        'resources, after "iap-auth0 setup")',
    );
  }
  if (recorded?.setupId && flag && flag !== recorded.setupId) {
    throw new UserError(
      `--setup is ${flag} but ${statePath} is setup ${recorded.setupId}`,
      EXIT.USAGE,
      'one state file holds one setup: pass another --state to take back setup ' + flag,
    );
  }
  return recorded?.setupId ?? flag ?? newSetupId();
}

/** Stops before any change when the plan meets resources that are someone else's and nothing gave consent. */
function refuseForeign(plan: PlanItem[]): void {
  const refused = plan.filter((p) => p.action === 'refuse');
  if (!refused.length) return;
  // One hint per owner: "setup X: --setup X, --adopt, or other ids with --service, --pool", not one per resource.
  const groups = new Map<string, NonNullable<PlanItem['refusal']> & { flags: string[] }>();
  for (const r of refused.map((p) => p.refusal).filter((x): x is NonNullable<PlanItem['refusal']> => !!x)) {
    const key = `${r.kind}/${r.owner ?? ''}/${r.adoptable}`;
    const g = groups.get(key) ?? { ...r, flags: [] };
    if (!g.flags.includes(r.flag)) g.flags.push(r.flag);
    groups.set(key, g);
  }
  const hints = [
    ...new Set([
      ...[...groups.values()].map((g) => refusalHint(g.kind, g.owner, g.flags, g.adoptable)),
      ...refused
        .filter((p) => !p.refusal)
        .map((p) => p.hint)
        .filter((h): h is string => !!h),
    ]),
  ];
  throw new UserError(
    `nothing was changed: ${refused.length === 1 ? 'a resource' : `${refused.length} resources`} this setup ` +
      `would use ${refused.length === 1 ? 'is' : 'are'} not its own\n` +
      refused.map((p) => `  - ${p.reason ?? p.resource}`).join('\n'),
    EXIT.USAGE,
    hints.join('\n  hint: '),
  );
}

/**
 * Cloud Run refused the region while the plan was read (one let through by IAP_AUTH0_ALLOW_REGION): a usage error,
 * before any change.
 */
function badRegion(plan: PlanItem[]): void {
  const bad = plan.find((p) => p.code === 'GOOGLE_INVALID_REGION');
  if (bad)
    throw new UserError(
      `--region: ${bad.reason.replace(/^cannot read yet: /, '')} Nothing was changed.`,
      EXIT.USAGE,
      bad.hint,
    );
}

/**
 * A plan read that failed on the network (after its retries): nothing can be done there; stop now, having changed
 * nothing.
 */
function unreachable(plan: PlanItem[]): void {
  const dead = plan.filter((p) => p.code === 'UNREACHABLE');
  if (dead.length) {
    throw new UserError(
      `nothing was changed: ${dead[0].reason.replace(/^cannot read yet: /, '')}`,
      EXIT.FAILURE,
      'check your network, proxy or firewall (or that the sandbox runs, for an endpoint override), then run ' +
        'iap-auth0 init again',
    );
  }
}
