// Networks fail in ways no API reports: a connection reset mid-request, a connection refused (a
// sandbox that is not running, a wrong endpoint override), a server that accepts a connection and
// never answers (a black hole: a firewall dropping packets, a dead proxy). Every request therefore
// gets a timeout, and every origin a circuit breaker: once an origin has timed out twice, or
// refused three times, it is unreachable for the rest of the run, so later calls fail at once
// instead of each waiting out its own timeouts, and a black-holed endpoint ends a command in about
// two timeouts rather than ten minutes.
import { parseDuration } from './duration.js';

/** A request that has not answered after this long is given up (IAP_AUTH0_REQUEST_TIMEOUT overrides it). */
export const DEFAULT_TIMEOUT_MS = 20_000;
const MAX_TIMEOUTS = 2;
const MAX_REFUSED = 3;

/** The request timeout `env` asks for (IAP_AUTH0_REQUEST_TIMEOUT): the run's environment, never this process's own. */
export function requestTimeoutMs(env: NodeJS.ProcessEnv): number {
  const v = env.IAP_AUTH0_REQUEST_TIMEOUT?.trim();
  if (!v) return DEFAULT_TIMEOUT_MS;
  try {
    return Math.max(100, parseDuration(v));
  } catch {
    return DEFAULT_TIMEOUT_MS;
  }
}

/** The reason a run's signal aborts when its own deadline (verify --wait) passes, not Ctrl-C. */
export class Deadline extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Deadline';
  }
}

export type NetFailure = 'timeout' | 'refused' | 'reset' | 'dns' | 'other';

/** An origin given up on for this run. Not retryable: retrying it is what the breaker prevents. */
export class Unreachable extends Error {
  constructor(
    readonly origin: string,
    readonly failure: NetFailure,
    readonly tries: number,
    readonly timeoutMs: number,
  ) {
    super(
      failure === 'timeout'
        ? `no answer from ${origin} within ${Math.round(timeoutMs / 1000)} s (${tries} tries)`
        : failure === 'refused'
          ? `nothing listens at ${origin} (connection refused, ${tries} tries)`
          : `cannot reach ${origin} (${failure})`,
    );
    this.name = 'Unreachable';
  }
}

const NET_CODES: Record<string, NetFailure> = {
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  ERR_STREAM_PREMATURE_CLOSE: 'reset',
  ECONNABORTED: 'reset',
  ECONNREFUSED: 'refused',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ENETUNREACH: 'other',
  EHOSTUNREACH: 'other',
};

/**
 * What kind of network failure `err` is, if any. A request aborted while `signal` (the user's
 * Ctrl-C) is not aborted was aborted by its own timeout. Errors that carry an HTTP status are not
 * network failures, whatever else they carry.
 */
export function netFailure(err: unknown, signal?: AbortSignal): NetFailure | undefined {
  if (err instanceof Unreachable) return err.failure;
  const e = err as {
    code?: unknown;
    name?: string;
    message?: string;
    cause?: { code?: unknown; name?: string };
    response?: { status?: number };
    status?: unknown;
  };
  if (!e || typeof e !== 'object') return undefined;
  if (typeof e.response?.status === 'number' || typeof e.status === 'number') return undefined;
  for (const code of [e.code, e.cause?.code]) if (typeof code === 'string' && NET_CODES[code]) return NET_CODES[code];
  const aborted =
    e.name === 'AbortError' ||
    e.name === 'TimeoutError' ||
    e.cause?.name === 'AbortError' ||
    e.cause?.name === 'TimeoutError' ||
    /operation was aborted|aborted due to timeout/i.test(String(e.message));
  if (aborted) return signal?.aborted ? undefined : 'timeout';
  if (e.name === 'TypeError' && /fetch failed/.test(String(e.message))) return 'other';
  return undefined;
}

/** The origin a failed request went to (gaxios keeps it in `config.url`; our fetch in `url`). */
export function failedOrigin(err: unknown): string | undefined {
  if (err instanceof Unreachable) return err.origin;
  const e = err as { config?: { url?: unknown }; url?: unknown };
  const raw = e?.config?.url ?? e?.url;
  try {
    return raw ? new URL(String(raw)).origin : undefined;
  } catch {
    return undefined;
  }
}

interface Breaker {
  timeouts: number;
  refused: number;
  controller: AbortController;
  open?: Unreachable;
}

/** Per-origin circuit breakers for this process (origins are unique per sandbox, per real API). */
class Breakers {
  private readonly map = new Map<string, Breaker>();
  private get(origin: string): Breaker {
    let b = this.map.get(origin);
    if (!b) {
      b = { timeouts: 0, refused: 0, controller: new AbortController() };
      this.map.set(origin, b);
    }
    return b;
  }
  reset(): void {
    this.map.clear();
  }
  /** Aborted once `origin` is given up: requests carrying it fail at once. */
  signal(origin: string): AbortSignal {
    return this.get(new URL(origin).origin).controller.signal;
  }
  open(origin: string): Unreachable | undefined {
    return this.map.get(origin)?.open;
  }
  /** Counts a failure against its origin; returns the Unreachable error once the breaker opens. */
  note(origin: string, failure: NetFailure, timeoutMs: number): Unreachable | undefined {
    const b = this.get(origin);
    if (b.open) return b.open;
    if (failure === 'timeout') b.timeouts++;
    else if (failure === 'refused' || failure === 'dns') b.refused++;
    const tries = failure === 'timeout' ? b.timeouts : b.refused;
    if (
      (failure === 'timeout' && b.timeouts >= MAX_TIMEOUTS) ||
      ((failure === 'refused' || failure === 'dns') && b.refused >= MAX_REFUSED)
    ) {
      b.open = new Unreachable(origin, failure, tries, timeoutMs);
      b.controller.abort(b.open);
    }
    return b.open;
  }
}
export const breakers = new Breakers();

/** Forgets every breaker (tests that black-hole an endpoint, then bring it back, in one process). */
export function resetBreakers(): void {
  breakers.reset();
}

/**
 * Reads a failed request for the breaker: the Unreachable error when its origin is (now) given
 * up, else the error itself. Call it wherever a request fails, before deciding to retry.
 */
export function settleNetworkError(err: unknown, signal: AbortSignal | undefined, timeoutMs: number): unknown {
  if (signal?.aborted) return err;
  const origin = failedOrigin(err);
  if (!origin) return err;
  const open = breakers.open(origin);
  if (open) return open;
  const failure = netFailure(err, signal);
  return (failure && breakers.note(origin, failure, timeoutMs)) || err;
}

/**
 * fetch with a timeout, the caller's signal (Ctrl-C) and the origin's breaker; failures are
 * settled against the breaker, and carry the URL so messages can name the endpoint.
 */
export function netFetch(opts: { signal?: AbortSignal; timeoutMs: number; fetch?: typeof fetch }): typeof fetch {
  const base = opts.fetch ?? globalThis.fetch;
  const { timeoutMs } = opts;
  return async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const origin = new URL(url).origin;
    const open = breakers.open(origin);
    if (open) throw open;
    const signals = [
      AbortSignal.timeout(timeoutMs),
      breakers.signal(origin),
      ...(opts.signal ? [opts.signal] : []),
      ...(init?.signal ? [init.signal] : []),
    ];
    try {
      return await base(input, { ...init, signal: AbortSignal.any(signals) });
    } catch (e) {
      if (e instanceof Unreachable) throw e;
      // A timeout becomes a plain ETIMEDOUT error: SDKs turn an AbortError into an HTTP-looking 408
      // that no longer says it was the network.
      // A caller's own timeout signal (the Auth0 SDK gives its token request 10 s) counts as a timeout too.
      const callerAborted =
        !!init?.signal?.aborted && (init.signal.reason as Error | undefined)?.name !== 'TimeoutError';
      const timedOut = !opts.signal?.aborted && !callerAborted && netFailure(e) === 'timeout';
      const err = timedOut
        ? Object.assign(new Error(`no answer from ${origin} within ${Math.round(timeoutMs / 1000)} s`), {
            code: 'ETIMEDOUT',
            url,
          })
        : Object.assign(e instanceof Error ? e : new Error(String(e)), { url });
      throw settleNetworkError(err, opts.signal ?? undefined, timeoutMs);
    }
  };
}
