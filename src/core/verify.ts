// `verify` without a terminal: every check of every stage plus the sign-in probe, concurrently,
// read-only (no lock: it changes nothing). With a wait budget, checks that may still be
// propagating are re-run with backoff until they pass or the budget is spent.
import { EXIT, UserError } from '../lib/exit-codes.js';
import { DEFAULT_STATE_PATH } from '../state/store.js';
import { STAGES, type StageId, type State } from '../state/schema.js';
import { stagesInOrder } from './stages/index.js';
import { titleOf } from './stage.js';
import { callbackUrl } from './stages/auth0-app.js';
import { whoHasAccess, type AccessEntry } from './stages/access.js';
import { probeSignin, type ProbeHop } from './verify/signin-probe.js';
import { PAST_WINDOW } from './verify/probe-pages.js';
import { iapSettingsResource } from './stages/iap-settings.js';
import { readRecorded, contextFromState } from './recorded-setup.js';
import { checkCredentials, checkGoogleCredentials } from './local-checks.js';
import { auth0Preflight } from './auth0-preflight.js';
import { pollUntil, type Backoff } from './backoff.js';
import { Deadline, requestTimeoutMs } from '../lib/net.js';
import { formatDuration } from '../lib/duration.js';
import type { CheckResult } from './check.js';
import { explain } from './explain.js';
import type { CoreContext } from './context.js';
import type { FetchLike } from '../lib/browserless.js';

export type VerifyEvent =
  | { type: 'checked'; results: CheckResult[] }
  | { type: 'waiting'; pending: CheckResult[]; elapsedMs: number; nextInMs: number };

export interface VerifyOptions {
  env: NodeJS.ProcessEnv;
  statePath?: string;
  /** How long to keep re-checking what may still be propagating; 0 = check once. */
  waitMs: number;
  emit: (e: VerifyEvent) => void;
  signal: AbortSignal;
  /** For an in-process sandbox whose CA this process does not trust (the demo). */
  fetch?: FetchLike;
}

export interface VerifyResult {
  ok: boolean;
  stateFile: string;
  serviceUrl?: string;
  /** Wall time of the whole run, and of the part spent waiting for propagation. */
  elapsedMs: number;
  waitedMs: number;
  /** Wall time of each group of checks (a stage's, the probe's) in its last round. */
  timings: Record<string, number>;
  checks: (CheckResult & { ok: boolean })[];
  /**
   * Everyone who may pass IAP to the service (iap-auth0's grants and others'); undefined when the policies could not be
   * read.
   */
  access?: AccessEntry[];
  /** Why the list of who may pass could not be read ("could not read who may sign in: …"), when it could not. */
  accessError?: string;
  /** When the run started (ISO 8601). */
  startedAt: string;
  /** The sign-in probe's hops in its last round (names only, never values), and how many rounds ran. */
  probe: { hops: ProbeHop[]; rounds: number };
  /** What the state file records, minus nothing secret (it holds no secret): for verify --report. */
  setup: {
    setupId?: string;
    inputs: Record<string, unknown>;
    stages: Record<string, { status: string; finishedAt?: string }>;
  };
}

/** verify --wait's re-checks: 0.5 s, growing x1.5 to 2 s. */
const PROPAGATION_BACKOFF: Backoff = { firstMs: 500, factor: 1.5, maxMs: 2_000 };

/** Check groups: each stage's checks, and the probe; a group is re-run as a whole. */
interface Group {
  id: StageId | 'signin';
  run(): Promise<CheckResult[]>;
}

/** The commands that move a service-level setup to project-level IAP settings (see probe-pages.ts). */
export function projectScopeCommand(statePath: string): string {
  const state =
    statePath === DEFAULT_STATE_PATH
      ? ''
      : ` --state ${/^[\w@%+=:,./-]+$/.test(statePath) ? statePath : `'${statePath.replace(/'/g, `'\\''`)}'`}`;
  return (
    `iap-auth0 destroy --force --keep deploy,auth0-app,workforce-pool,oauth-client${state} && iap-auth0 init ` +
    `--scope project --yes${state}`
  );
}

function groups(
  ctx: CoreContext,
  statePath: string,
  probeLog: { hops: ProbeHop[]; rounds: number },
  fetch?: FetchLike,
): Group[] {
  const out: Group[] = stagesInOrder().map((stage) => ({
    id: stage.id,
    run: async () => {
      const status = ctx.state.stage(stage.id).status;
      if (status !== 'done') {
        return [
          {
            id: stage.id,
            stage: stage.id,
            title: titleOf(stage.id),
            status: 'failed',
            detail: `not set up (stage is ${status})`,
            hint: 'run iap-auth0 init to finish it',
          },
        ];
      }
      return stage.verify(ctx);
    },
  }));
  const r = (id: StageId) => ctx.state.stage(id).resources;
  out.push({
    id: 'signin',
    run: async () => {
      const [serviceUrl, oauthClientId, auth0ClientId] = [
        r('deploy').uri,
        r('oauth-client').clientId,
        r('auth0-app').clientId,
      ];
      if (!serviceUrl || !oauthClientId || !auth0ClientId) {
        return [
          {
            id: 'signin-probe',
            stage: 'signin',
            title: 'Sign-in probe',
            status: 'failed',
            detail: 'cannot probe: the service URL, OAuth client or Auth0 app is not recorded yet',
            hint: 'run iap-auth0 init to finish',
          },
        ];
      }
      // Google sends sign-in to the domain of the issuer init gave the provider (a custom domain,
      // if used): as recorded, so the probe starts at once; else as Auth0 says now.
      let auth0Domain: string;
      try {
        auth0Domain = new URL(r('auth0-app').signInIssuer ?? (await ctx.auth0Issuer())).host;
      } catch (e) {
        return [
          {
            id: 'signin-probe',
            stage: 'signin',
            title: 'Sign-in probe',
            status: 'failed',
            detail: `cannot probe: ${(e as Error).message}`,
            hint: 'fix the Auth0 checks above',
          },
        ];
      }
      // When init last wrote (or confirmed) the IAP settings: the stage's finishedAt, which a later
      // run only moves forward, so the age below never overstates how long IAP has had them.
      const written = Date.parse(ctx.state.stage('iap-settings').finishedAt ?? '');
      const trace: ProbeHop[] = [];
      const result = await probeSignin(
        {
          serviceUrl,
          signinOrigin: ctx.signinOrigin,
          oauthClientId,
          auth0Domain,
          auth0ClientId,
          callback: callbackUrl(ctx),
          provider: `locations/global/workforcePools/${ctx.inputs.pool}/providers/${ctx.inputs.provider}`,
          settingsAgeMs: Number.isFinite(written) ? Date.now() - written : undefined,
          scope: ctx.inputs.scope,
          settingsResource: ctx.inputs.projectNumber ? iapSettingsResource(ctx) : undefined,
          projectScopeCommand: projectScopeCommand(statePath),
        },
        { signal: ctx.signal, fetch, trace, timeoutMs: requestTimeoutMs(ctx.env) },
      );
      probeLog.hops = trace;
      probeLog.rounds++;
      return [result];
    },
  });
  return out;
}

/**
 * A probe that looks like "not applied yet" is only that while every configuration check passes;
 * when one failed, the probe's symptom is its consequence, not propagation.
 */
export function settle(results: CheckResult[]): CheckResult[] {
  const broken = results.some((c) => c.stage !== 'signin' && c.status === 'failed');
  // Likewise "past the propagation window": with a failed check, that is the cause, not the window.
  const pending = (c: CheckResult) =>
    c.status === 'propagating' || (c.stage === 'signin' && c.detail.includes(PAST_WINDOW));
  return results.map((c) =>
    broken && pending(c)
      ? {
          ...c,
          status: 'failed',
          detail: `${c.detail} (a consequence of the failed checks above)`,
          hint: 'fix the failed checks above first: run iap-auth0 init',
        }
      : c,
  );
}

export async function runVerify(o: VerifyOptions): Promise<VerifyResult> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const statePath = o.statePath ?? DEFAULT_STATE_PATH;
  const state = await readRecorded(statePath, 'verify');
  checkCredentials(o.env);
  await checkGoogleCredentials(o.env);
  const { signal, timer } = waitDeadline(o.waitMs, o.signal);
  // The Auth0 credential check (and the sign-in domain) before any Auth0 request; the Google
  // checks start alongside it, and a refusal ends verify with its message (exit 2), not a report.
  const auth0 = auth0Preflight({ env: o.env, inputs: state.inputs, recorded: state.inputs, signal, command: 'verify' });
  const session = auth0.then((a) => a.session);
  session.catch(() => undefined); // awaited below; checks that never ask for it must not leave it unhandled
  const ctx = contextFromState({
    env: o.env,
    state,
    statePath,
    emit: () => undefined,
    signal,
    persist: false,
    auth0: session,
  });
  // Who may pass IAP: read alongside the checks, reported once at the end; a failed read is said, not dropped.
  const access: Promise<{ access?: AccessEntry[]; accessError?: string }> = whoHasAccess(ctx).then(
    (list) => ({ access: list }),
    (e: unknown) => {
      const x = explain(e, ctx.inputs.project, signal);
      return { accessError: `could not read who may sign in: ${x.error}${x.hint ? ` (${x.hint})` : ''}` };
    },
  );
  const probe = { hops: [] as ProbeHop[], rounds: 0 };
  const rounds = await firstRound(groups(ctx, statePath, probe, o.fetch), auth0).catch((e: unknown) => {
    // On a slow machine or network the --wait deadline can pass before the Auth0 preflight has
    // answered: that is verify running out of time (exit 3), said plainly, never an unexpected error.
    if (!(signal.reason instanceof Deadline)) throw e;
    throw new UserError(
      `${signal.reason.message}: the Auth0 credential check had not answered yet`,
      EXIT.VERIFY_FAILED,
      'run iap-auth0 verify again with a longer --wait (such as --wait 5m)',
    );
  });
  o.emit({ type: 'checked', results: rounds.current() });
  const { waitedMs } = await untilPropagated(o, rounds);
  const checks = inStageOrder(rounds.current());
  if (timer) clearTimeout(timer);
  const setup = setupOf(state);
  return {
    ok: checks.every((c) => c.ok),
    stateFile: statePath,
    serviceUrl: ctx.state.stage('deploy').resources.uri,
    elapsedMs: Date.now() - started,
    waitedMs,
    timings: rounds.timings,
    checks,
    ...(await access),
    startedAt,
    probe,
    setup,
  };
}

/**
 * --wait is a deadline: requests still in flight when it passes are abandoned (a black-holed
 * endpoint must not keep verify past it), their checks saying so.
 */
function waitDeadline(waitMs: number, outer: AbortSignal): { signal: AbortSignal; timer?: NodeJS.Timeout } {
  const deadline = new AbortController();
  const timer =
    waitMs > 0
      ? setTimeout(
          () => deadline.abort(new Deadline(`no answer before the --wait deadline (${formatDuration(waitMs)})`)),
          waitMs + 1000,
        )
      : undefined;
  timer?.unref();
  return { signal: AbortSignal.any([outer, deadline.signal]), timer };
}

/** The check groups, each one's latest results, and how long each took in its last round. */
interface Rounds {
  all: Group[];
  byGroup: Map<string, CheckResult[]>;
  timings: Record<string, number>;
  /** Runs one group, timing it. */
  timed(g: Group): Promise<CheckResult[]>;
  /** Every group's latest results, settled. */
  current(): CheckResult[];
}

/** Every group at once; the results count once the Auth0 preflight (and its sign-in domain) passed. */
async function firstRound(all: Group[], auth0: ReturnType<typeof auth0Preflight>): Promise<Rounds> {
  const timings: Record<string, number> = {};
  const timed = async (g: Group) => {
    const t0 = Date.now();
    const r = await g.run();
    timings[g.id] = Date.now() - t0;
    return r;
  };
  const first = Promise.all(all.map(async (g) => [g.id, await timed(g)] as const));
  first.catch(() => undefined);
  await (await auth0).signIn;
  const byGroup = new Map<string, CheckResult[]>(await first);
  const current = () => settle(all.flatMap((g) => byGroup.get(g.id)!));
  return { all, byGroup, timings, timed, current };
}

/**
 * Propagation: re-check every 0.5 s growing to 2 s until it passes or time is up, so a change
 * that has just propagated is noticed within about 2 s (these are a few reads per round).
 */
function untilPropagated(o: VerifyOptions, rounds: Rounds): Promise<{ waitedMs: number }> {
  const { all, byGroup, timed, current } = rounds;
  const propagating = (results: CheckResult[]) => results.filter((c) => c.status === 'propagating');
  const recheck = async () => {
    const again = all.filter((g) => byGroup.get(g.id)!.some((c) => c.status === 'propagating'));
    await Promise.all(again.map(async (g) => byGroup.set(g.id, await timed(g))));
    return current();
  };
  return pollUntil(recheck, (results) => !propagating(results).length, {
    backoff: PROPAGATION_BACKOFF,
    signal: o.signal,
    budgetMs: o.waitMs,
    first: { value: current() },
    onWait: (results, elapsedMs, nextInMs) =>
      o.emit({ type: 'waiting', pending: propagating(results), elapsedMs, nextInMs }),
  });
}

/** The checks as reported: each with `ok`, in stage order, the sign-in probe last. */
function inStageOrder(results: CheckResult[]): VerifyResult['checks'] {
  const checks = results.map((c) => ({ ...c, ok: c.status === 'ok' }));
  const order = (s: CheckResult['stage']) => (s === 'signin' ? STAGES.length : STAGES.indexOf(s));
  checks.sort((a, b) => order(a.stage) - order(b.stage));
  return checks;
}

/** What the state file records, for verify --report. */
function setupOf(state: State): VerifyResult['setup'] {
  return {
    setupId: state.setupId,
    inputs: { ...state.inputs },
    stages: Object.fromEntries(
      Object.entries(state.stages).map(([id, st]) => [
        id,
        { status: st!.status, ...(st!.finishedAt ? { finishedAt: st!.finishedAt } : {}) },
      ]),
    ),
  };
}
