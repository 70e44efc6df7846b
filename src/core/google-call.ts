// Every Google call goes through here: bounded retries on rate limits, server errors and network
// hiccups, and on SERVICE_DISABLED for about two minutes after an API was enabled (propagation).
// Creates are safe to retry because every id is deterministic: a create that did succeed answers
// 409 on the retry, and the stage then reads the resource by id.
import { withRetry } from './retry.js';
import { retryWhile, type Cadence } from './backoff.js';
import { googleFailure, isServiceDisabled, isTransient } from './google-errors.js';
import type { CoreContext } from './context.js';
import type { StageId } from '../state/schema.js';
import { debug, debugEnabled } from '../lib/debug.js';
import { requestTimeoutMs, settleNetworkError } from '../lib/net.js';

/** One line per Google call under --debug: method, URL, status and time. */
function traced<T>(fn: () => Promise<T>): () => Promise<T> {
  if (!debugEnabled()) return fn;
  return async () => {
    const start = Date.now();
    try {
      const r = await fn();
      const c = r as { config?: { method?: string; url?: string }; status?: number };
      debug(
        `${c.config?.method ?? 'GET'} ${String(c.config?.url ?? '?')} → ${c.status ?? '?'} in ${Date.now() - start} ms`,
      );
      return r;
    } catch (e) {
      const x = e as { config?: { method?: string; url?: string }; response?: { status?: number }; message?: string };
      debug(
        `${x.config?.method ?? '?'} ${String(x.config?.url ?? '?')} → ` +
          `${x.response?.status ?? 'network error'} in ${Date.now() - start} ms: ` +
          `${String(x.message).split('\n')[0]}`,
      );
      throw e;
    }
  };
}

/**
 * The call, its failures read against the network breakers (a given-up endpoint fails at once). The
 * timeout is the one the run's env gave the clients (googleClients), for the breaker's message.
 */
function settled<T>(fn: () => Promise<T>, ctx: Pick<CoreContext, 'signal' | 'env'>): () => Promise<T> {
  return async () => {
    try {
      return await fn();
    } catch (e) {
      throw settleNetworkError(e, ctx.signal, requestTimeoutMs(ctx.env));
    }
  };
}

/**
 * An API just enabled answers SERVICE_DISABLED until the enablement has propagated (about a minute
 * at most): the call is asked again on a fixed, short cadence rather than backing off
 * exponentially, so it goes through soon after the API is ready; often enough to notice within a
 * fraction of a second at first, gently after that, with up to 100 ms of jitter.
 */
export const ENABLING_CADENCE: Cadence = {
  steps: [
    { beforeMs: 5_000, pauseMs: 150 },
    { beforeMs: 30_000, pauseMs: 1_000 },
  ],
  thenMs: 2_000,
  jitterMs: 100,
};
/** SERVICE_DISABLED is retried while this much has passed since the call began, at most. */
export const ENABLING_LIMIT_MS = 120_000;

export async function gcall<T>(
  ctx: Pick<CoreContext, 'signal' | 'emit' | 'env'>,
  fn: () => Promise<T>,
  stage?: StageId,
): Promise<T> {
  let retries = 0;
  const attempt = () =>
    withRetry(settled(traced(fn), ctx), {
      signal: ctx.signal,
      attempts: 14,
      baseMs: 250,
      maxMs: 10_000,
      retryable: isTransient,
      onRetry: (e, n, delay) => {
        const f = googleFailure(e);
        ctx.emit({
          type: 'retry',
          stage,
          text: `${`${f?.httpStatus ?? 'network'} ${f?.status ?? ''}`.trim()}; retry ${n} in ${delay} ms`,
        });
      },
    });
  // No budget: a SERVICE_DISABLED that comes within the limit is waited out with a whole pause, even
  // one that ends past the limit; the first one after it is the failure.
  return retryWhile(attempt, {
    backoff: ENABLING_CADENCE,
    signal: ctx.signal,
    retryable: (e, waited) => isServiceDisabled(e) && waited <= ENABLING_LIMIT_MS,
    onRetry: (_e, _waited, delay) =>
      ctx.emit({ type: 'retry', stage, text: `API still being enabled; retry ${++retries} in ${delay} ms` }),
  });
}

/**
 * An operations.get for pollOperation, retried as every call here is: transient errors, and SERVICE_DISABLED
 * while an enablement propagates (seen mid-poll under load when a racing setup enabled the same API; the poll
 * used to fail the stage at once).
 */
export function opReader<T>(
  ctx: Pick<CoreContext, 'signal' | 'emit' | 'env'>,
  get: (name: string) => Promise<{ data: T }>,
  stage?: StageId,
): (name: string) => Promise<{ data: T }> {
  return (name) => gcall(ctx, () => get(name), stage);
}

/** The data of a generated-client call (they answer {data}). */
export async function gdata<T>(
  ctx: Pick<CoreContext, 'signal' | 'emit' | 'env'>,
  fn: () => Promise<{ data: T }>,
  stage?: StageId,
): Promise<T> {
  return (await gcall(ctx, fn, stage)).data;
}

/**
 * One attempt, no retry: for writes whose caller retries a larger unit itself (an IAM
 * read-modify-write must re-read after a failed write, never resend a policy with a stale etag).
 */
export async function gonce<T>(fn: () => Promise<{ data: T }>, ctx: Pick<CoreContext, 'signal' | 'env'>): Promise<T> {
  return (await settled(traced(fn), ctx)()).data;
}

/**
 * A read for plan(): absent (undefined) when the resource does not exist or its API is not
 * enabled yet (a fresh project: nothing can exist there). Retries only transient errors, so a
 * dry run never waits out an enablement window.
 */
export async function planRead<T>(
  ctx: Pick<CoreContext, 'signal' | 'emit' | 'env'>,
  fn: () => Promise<{ data: T }>,
): Promise<T | undefined> {
  try {
    // 10 tries like a stage's reads (a plan now reads everything apply acts on): at 30 % resets, 5
    // tries failed one read in ~400, often enough to stop an init; a black hole is cut short by
    // the circuit breaker, not by this bound.
    return (await withRetry(settled(traced(fn), ctx), { signal: ctx.signal, attempts: 10, baseMs: 250 })).data;
  } catch (e) {
    if (googleFailure(e)?.httpStatus === 404 || isServiceDisabled(e)) return undefined;
    throw e;
  }
}
