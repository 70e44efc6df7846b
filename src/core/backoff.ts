// Waiting for something to become true by asking again: one helper for every such loop (a
// long-running operation, a Cloud Run service becoming ready or gone, verify's checks that are
// still propagating, a new resource settling, an API just enabled). The pause starts small, so
// what is fast is seen promptly, and grows to a cap, so what is slow is not busy-waited yet is
// seen within one cap of happening. It grows either with each pause (a Backoff) or with the time
// waited so far (a Cadence). Bounded retries of transient errors are withRetry's (retry.ts).
import { sleep } from './retry.js';

export interface Backoff {
  /** The first pause. */
  firstMs: number;
  /** Each pause is the last one times this (rounded)... */
  factor: number;
  /** ...up to this. */
  maxMs: number;
}

/**
 * Pauses set by how long the wait has lasted, not by how many came before: the pause of the first
 * step whose `beforeMs` the time waited has not reached, else `thenMs`; plus, with `jitterMs`, a
 * random 0…jitterMs (rounded), so that concurrent waiters spread out.
 */
export interface Cadence {
  steps: { beforeMs: number; pauseMs: number }[];
  thenMs: number;
  jitterMs?: number;
}

/** The pauses of `b`, for ever: firstMs, firstMs × factor, … maxMs, maxMs, … */
export function* delays(b: Backoff): Generator<number, never> {
  for (let ms = b.firstMs; ; ms = Math.min(Math.round(ms * b.factor), b.maxMs)) yield ms;
}

/** The pause of `c` after `elapsedMs` of waiting. */
export function cadencePause(c: Cadence, elapsedMs: number, random: () => number = Math.random): number {
  const pause = c.steps.find((s) => elapsedMs < s.beforeMs)?.pauseMs ?? c.thenMs;
  return c.jitterMs ? pause + Math.round(random() * c.jitterMs) : pause;
}

/** The next pause, given the time waited so far. */
function pauses(b: Backoff | Cadence, random?: () => number): (elapsedMs: number) => number {
  if ('steps' in b) return (elapsedMs) => cadencePause(b, elapsedMs, random);
  const it = delays(b);
  return () => it.next().value;
}

export interface PollOptions<T> {
  backoff: Backoff | Cadence;
  signal?: AbortSignal;
  /** Stop asking after this long from the start; the last answer is returned, not done. Default: no limit. */
  budgetMs?: number;
  /**
   * The start, when the wait began before this call (a resource created a while ago): the budget,
   * a cadence and every elapsed time count from it. Default: now.
   */
  since?: number;
  /** The answer already in hand, so the first read is skipped (verify's first round of checks). */
  first?: { value: T };
  /** Before each pause: the answer that is not done yet, the time since the start and the coming pause. */
  onWait?: (value: T, elapsedMs: number, nextInMs: number) => void;
  /** Injected in tests: the time source, the pause and the jitter's randomness. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

export interface Polled<T> {
  value: T;
  done: boolean;
  /** From the start to the end of the last read (0 when the first answer was already done). */
  waitedMs: number;
}

/**
 * Reads until `done(value)`: at once (unless `first` is given), then after each pause of the
 * backoff. The last pause is cut to what is left of the budget, so the budget is kept. A read's
 * error ends the wait (retrying a failing read is the caller's business, e.g. withRetry or
 * retryWhile).
 */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  o: PollOptions<T>,
): Promise<Polled<T>> {
  const now = o.now ?? Date.now;
  const start = o.since ?? now();
  const next = pauses(o.backoff, o.random);
  let value = o.first ? o.first.value : await read();
  let waitedMs = o.first ? 0 : now() - start;
  for (;;) {
    if (done(value)) return { value, done: true, waitedMs };
    const elapsed = now() - start;
    const left = o.budgetMs === undefined ? Infinity : o.budgetMs - elapsed;
    if (left <= 0) return { value, done: false, waitedMs };
    const pause = Math.min(next(elapsed), left);
    o.onWait?.(value, elapsed, pause);
    await (o.sleep ?? sleep)(pause, o.signal);
    value = await read();
    waitedMs = now() - start;
  }
}

export interface RetryWhileOptions extends Omit<PollOptions<unknown>, 'first' | 'onWait'> {
  /** Whether a failure is one to wait out, given how long the wait had lasted when it came. */
  retryable: (err: unknown, elapsedMs: number) => boolean;
  /** Before each pause: the failure, the time since the start and the coming pause. */
  onRetry?: (err: unknown, elapsedMs: number, nextInMs: number) => void;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown; atMs: number };

/**
 * Runs `attempt` until it succeeds, polling with pollUntil: a failure that `retryable` accepts is
 * tried again after the next pause; any other failure, or the last one once the budget is spent,
 * is thrown.
 */
export async function retryWhile<T>(attempt: () => Promise<T>, o: RetryWhileOptions): Promise<T> {
  const now = o.now ?? Date.now;
  const since = o.since ?? now();
  const tried = async (): Promise<Outcome<T>> => {
    try {
      return { ok: true, value: await attempt() };
    } catch (error) {
      return { ok: false, error, atMs: now() - since };
    }
  };
  const onRetry = o.onRetry;
  const { value: last } = await pollUntil(tried, (r) => r.ok || !o.retryable(r.error, r.atMs), {
    backoff: o.backoff,
    signal: o.signal,
    budgetMs: o.budgetMs,
    since,
    now,
    sleep: o.sleep,
    random: o.random,
    onWait: onRetry && ((r, elapsedMs, nextInMs) => onRetry(r.ok ? undefined : r.error, elapsedMs, nextInMs)),
  });
  if (last.ok) return last.value;
  throw last.error;
}
