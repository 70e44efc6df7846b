// Waiting for something to become true by asking again: one helper for every such loop (a
// long-running operation, a Cloud Run service becoming ready or gone, verify's checks that are
// still propagating). The pause starts small, so what is fast is seen promptly, and grows to a cap,
// so what is slow is not busy-waited yet is seen within one cap of happening.
import { sleep } from './retry.js';

export interface Backoff {
  /** The first pause. */
  firstMs: number;
  /** Each pause is the last one times this (rounded)... */
  factor: number;
  /** ...up to this. */
  maxMs: number;
}

/** The pauses of `b`, for ever: firstMs, firstMs × factor, … maxMs, maxMs, … */
export function* delays(b: Backoff): Generator<number, never> {
  for (let ms = b.firstMs; ; ms = Math.min(Math.round(ms * b.factor), b.maxMs)) yield ms;
}

export interface PollOptions<T> {
  backoff: Backoff;
  signal?: AbortSignal;
  /** Stop asking after this long from the start; the last answer is returned, not done. Default: no limit. */
  budgetMs?: number;
  /** The answer already in hand, so the first read is skipped (verify's first round of checks). */
  first?: { value: T };
  /** Before each pause: the answer that is not done yet, the time since the start and the coming pause. */
  onWait?: (value: T, elapsedMs: number, nextInMs: number) => void;
  /** Injected in tests: the time source and the pause. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
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
 * error ends the wait (retrying a failing read is the caller's business, e.g. withRetry).
 */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  o: PollOptions<T>,
): Promise<Polled<T>> {
  const now = o.now ?? Date.now;
  const start = now();
  let value = o.first ? o.first.value : await read();
  let waitedMs = o.first ? 0 : now() - start;
  for (const pause of delays(o.backoff)) {
    if (done(value)) return { value, done: true, waitedMs };
    const left = o.budgetMs === undefined ? Infinity : o.budgetMs - (now() - start);
    if (left <= 0) return { value, done: false, waitedMs };
    const next = Math.min(pause, left);
    o.onWait?.(value, now() - start, next);
    await (o.sleep ?? sleep)(next, o.signal);
    value = await read();
    waitedMs = now() - start;
  }
  throw new Error('unreachable: delays() never ends');
}
