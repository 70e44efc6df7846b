// Bounded retries with exponential backoff and full jitter, honouring Retry-After and Auth0's
// x-ratelimit-reset. Only errors the caller marks as retryable are retried: a create that may have
// succeeded is never blindly repeated (stages re-read by id or tag instead).
import { googleFailure, isNetworkError, isTransient } from './google-errors.js';

export interface RetryOptions {
  attempts?: number; // total tries, default 6
  baseMs?: number; // first delay, default 200
  maxMs?: number; // cap, default 8000
  retryable?: (err: unknown) => boolean;
  signal?: AbortSignal;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  random?: () => number;
}

export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 6;
  const base = opts.baseMs ?? 200;
  const max = opts.maxMs ?? 8000;
  const retryable = opts.retryable ?? isTransient;
  const random = opts.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !retryable(err)) throw err;
      const hinted = serverDelayMs(err);
      const backoff = Math.min(max, base * 2 ** (attempt - 1));
      // Full jitter spreads retries of concurrent clients; a server hint is a floor.
      const delay = Math.max(hinted ?? 0, Math.round(random() * backoff));
      opts.onRetry?.(err, attempt, delay);
      await sleep(delay, opts.signal);
    }
  }
}

/** Delay the server asked for: Retry-After (seconds or date) or x-ratelimit-reset (epoch seconds). */
export function serverDelayMs(err: unknown, now = Date.now()): number | undefined {
  const g = googleFailure(err);
  if (g?.retryAfterMs !== undefined) return Math.min(g.retryAfterMs, 60_000);
  const headers = (err as { rawResponse?: { headers?: Headers }; headers?: Headers })?.rawResponse?.headers;
  const get = (n: string) => (headers && typeof headers.get === 'function' ? headers.get(n) : undefined);
  const ra = get('retry-after');
  if (ra) return Math.min(/^\d+$/.test(ra) ? Number(ra) * 1000 : Math.max(0, Date.parse(ra) - now), 60_000);
  const reset = get('x-ratelimit-reset');
  if (reset && /^\d+$/.test(reset)) return Math.min(Math.max(0, Number(reset) * 1000 - now), 60_000);
  return undefined;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export { isNetworkError, isTransient };
