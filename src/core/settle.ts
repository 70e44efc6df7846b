// Waiting out Google's eventual consistency right after a create. A new service account cannot
// be run as for a while (Cloud Run answers "Permission 'iam.serviceaccounts.actAs' denied on
// service account X (or it may not exist)"), a new OAuth client or credential reads 404 for a few
// seconds, and a freshly generated service agent cannot be named in a policy ("Service account
// service-N@gcp-sa-iap.iam.gserviceaccount.com does not exist."). Sources: docs/SANDBOX.md
// "Eventual consistency after a create".
//
// Only the answers that mean "not settled yet", only for a resource this very run created (the
// caller passes when; undefined means "not ours, not now": the call runs once and its failure is
// real), and only for a bounded time: after SETTLE_LIMIT_MS the last answer is the failure.
// Polled often enough to go on within about a second of the resource becoming usable, by the one
// poll helper (backoff.ts retryWhile) with the cadence SETTLE_CADENCE.
import { googleFailure } from './google-errors.js';
import { cadencePause, retryWhile, type Cadence } from './backoff.js';
import type { CoreContext } from './context.js';
import type { StageId } from '../state/schema.js';

/** How long after its create a resource may stay unusable before the answer counts as a failure. */
export const SETTLE_LIMIT_MS = 120_000;

export interface Settling {
  stage: StageId;
  /** What is awaited, as the user reads it: "the new service account". */
  what: string;
  /** When this run created the resource (Date.now()); undefined: not created by this run. */
  since: number | undefined;
  /** Whether an error is the "not settled yet" answer for this resource. */
  unsettled: (err: unknown) => boolean;
  limitMs?: number;
  /** Injected in tests: the time source and the sleep. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The pause before the next try: every 250 ms at first, 500 ms after 5 s, 1 s after 20 s. */
export const SETTLE_CADENCE: Cadence = {
  steps: [
    { beforeMs: 5_000, pauseMs: 250 },
    { beforeMs: 20_000, pauseMs: 500 },
  ],
  thenMs: 1_000,
};

/** The pause of SETTLE_CADENCE after `elapsedMs` since the create. */
export function pollDelay(elapsedMs: number): number {
  return cadencePause(SETTLE_CADENCE, elapsedMs);
}

/**
 * Runs `attempt`; while it fails with the "not settled yet" answer within the window after this
 * run's own create, tells the user what it waits for and tries again (the last pause is cut to the
 * window, and the last answer in it is the failure).
 */
export async function untilSettled<T>(
  ctx: Pick<CoreContext, 'emit' | 'signal'>,
  s: Settling,
  attempt: () => Promise<T>,
): Promise<T> {
  if (s.since === undefined) return attempt();
  const now = s.now ?? Date.now;
  const limit = s.limitMs ?? SETTLE_LIMIT_MS;
  let waitedFrom: number | undefined;
  const result = await retryWhile(attempt, {
    backoff: SETTLE_CADENCE,
    since: s.since,
    budgetMs: limit,
    retryable: (e) => s.unsettled(e),
    signal: ctx.signal,
    now,
    sleep: s.sleep,
    onRetry: () => {
      if (waitedFrom === undefined) {
        waitedFrom = now();
        const text =
          `waiting for ${s.what} to be usable (Google takes a moment to propagate a new resource; up to ` +
          `${seconds(limit)})`;
        ctx.emit({ type: 'step', stage: s.stage, text });
      }
      ctx.emit({
        type: 'waiting',
        stage: s.stage,
        text: `waiting for ${s.what} to be usable`,
        elapsedMs: now() - waitedFrom,
      });
    },
  });
  if (waitedFrom !== undefined)
    ctx.emit({ type: 'step', stage: s.stage, text: `${s.what} is usable (waited ${seconds(now() - waitedFrom)})` });
  return result;
}

const seconds = (ms: number) =>
  ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;

const names = (err: unknown, what: string) =>
  googleFailure(err)?.message.toLowerCase().includes(what.toLowerCase()) ?? false;

/** A new service account not usable yet: Cloud Run's actAs 403 naming it, or the 404 / 400 variants that name it. */
export const accountUnsettled =
  (email: string) =>
  (err: unknown): boolean => {
    const f = googleFailure(err);
    return !!f && [400, 403, 404].includes(f.httpStatus ?? 0) && names(err, email);
  };
/** A new OAuth client or credential not readable yet: 404. */
export const notFoundYet = (err: unknown): boolean => googleFailure(err)?.httpStatus === 404;

/** A new service agent not grantable yet: 400 "Service account EMAIL does not exist." */
export const agentUnsettled =
  (email: string) =>
  (err: unknown): boolean => {
    const f = googleFailure(err);
    return f?.httpStatus === 400 && /does not exist/i.test(f.message) && names(err, email);
  };

/**
 * After a create answered 409 (so the resource exists), reads it. A 404 then means it is so new
 * that reads do not see it yet (a create of ours whose answer was lost, or another run's): the
 * read waits, and `since` says when, so the calls that use the resource next wait for it too.
 */
export async function readAfterConflict<T>(
  ctx: Pick<CoreContext, 'emit' | 'signal'>,
  stage: StageId,
  what: string,
  read: () => Promise<T>,
): Promise<{ value: T; since?: number }> {
  const since = Date.now();
  let fresh = false;
  const value = await untilSettled(
    ctx,
    {
      stage,
      what,
      since,
      unsettled: (e) => {
        const y = notFoundYet(e);
        fresh ||= y;
        return y;
      },
    },
    read,
  );
  return { value, since: fresh ? since : undefined };
}
