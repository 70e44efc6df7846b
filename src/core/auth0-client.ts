// The Auth0 side: the official SDK's ManagementClient (loaded only when needed: ~300 ms to import)
// and the tenant's discovery document, whose issuer is copied verbatim into the workforce provider.
// Every request to Auth0 goes through `auth0FetchFor`, so --debug traces each one (method, URL
// without query values, status, time) as it traces Google's. Each function takes the run's `env`
// for its request timeout (IAP_AUTH0_REQUEST_TIMEOUT), never this process's own.
import type { ManagementClient } from 'auth0';
import { debug, debugEnabled } from '../lib/debug.js';
import { netFailure, netFetch, requestTimeoutMs, Unreachable } from '../lib/net.js';

export interface Auth0Env {
  domain: string;
  clientId: string;
  clientSecret: string;
}

/** A URL as --debug prints it: query parameter names kept, their values (codes, states, emails) dropped. */
export function traceUrl(u: string): string {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return '(unparsable URL)';
  }
  const names = [...new Set(url.searchParams.keys())];
  return `${url.origin}${url.pathname}${names.length ? `?${names.map((n) => `${n}=…`).join('&')}` : ''}`;
}

/**
 * fetch for Auth0: each request with `env`'s timeout and its domain's breaker (lib/net.ts), aborted
 * with `signal` (the run's Ctrl-C), and traced under --debug: one line per request. Bodies and
 * headers (the secret, the bearer token) are never looked at.
 */
export function auth0FetchFor(env: NodeJS.ProcessEnv, signal?: AbortSignal): typeof fetch {
  const guarded = netFetch({ signal, timeoutMs: requestTimeoutMs(env) });
  return async (input, init) => {
    if (!debugEnabled()) return guarded(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const started = Date.now();
    try {
      const res = await guarded(input, init);
      debug(`Auth0 ${method} ${traceUrl(url)} → ${res.status} in ${Date.now() - started} ms`);
      return res;
    } catch (e) {
      const kind = netFailure(e, signal);
      debug(`Auth0 ${method} ${traceUrl(url)} → ${kind ?? 'error'} in ${Date.now() - started} ms`);
      throw e;
    }
  };
}

// The SDK's own timeout is set past ours, so ours fires first and says which endpoint.
const sdkTimeout = (env: NodeJS.ProcessEnv) => Math.ceil(requestTimeoutMs(env) / 1000) + 5;

/** A client that authenticates with the M2M credentials itself (the SDK's own token provider). */
export async function auth0Management(
  a: Auth0Env,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<ManagementClient> {
  const { ManagementClient } = await import('auth0');
  return new ManagementClient({
    domain: a.domain,
    clientId: a.clientId,
    clientSecret: a.clientSecret,
    telemetry: false,
    fetch: auth0FetchFor(env, signal),
    timeoutInSeconds: sdkTimeout(env),
  });
}

/** A client on a token obtained already (the preflight's): no second token request. */
export async function auth0ManagementWithToken(
  domain: string,
  token: () => Promise<string>,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<ManagementClient> {
  const { ManagementClient } = await import('auth0');
  return new ManagementClient({
    domain,
    token,
    telemetry: false,
    fetch: auth0FetchFor(env, signal),
    timeoutInSeconds: sdkTimeout(env),
  });
}

export interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
  [k: string]: unknown;
}

export class DiscoveryError extends Error {
  /** For `unreachable`: the network error itself (timeout, refused, reset, DNS). */
  constructor(
    message: string,
    readonly kind: 'unreachable' | 'status' | 'shape',
    readonly netCause?: unknown,
  ) {
    super(message);
  }
}

export async function auth0Discovery(domain: string, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<Discovery> {
  const url = `https://${domain}/.well-known/openid-configuration`;
  let res: Response;
  try {
    res = await auth0FetchFor(env, signal)(url, { redirect: 'error' });
  } catch (e) {
    if (signal?.aborted) throw e;
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why =
      e instanceof Unreachable
        ? e.message
        : netFailure(e) === 'timeout'
          ? `no answer within ${Math.round(requestTimeoutMs(env) / 1000)} s`
          : (cause?.code ?? cause?.message ?? (e as Error).message);
    throw new DiscoveryError(
      `cannot reach Auth0 at ${url} (${why}); check AUTH0_DOMAIN / --auth0-domain`,
      'unreachable',
      e,
    );
  }
  if (!res.ok)
    throw new DiscoveryError(
      `Auth0 discovery at ${url} answered ${res.status}; check that ${domain} is your tenant's domain`,
      'status',
    );
  const doc = (await res.json().catch(() => ({}))) as Discovery;
  if (typeof doc.issuer !== 'string' || !doc.issuer.startsWith('https://'))
    throw new DiscoveryError(`Auth0 discovery at ${url} has no https issuer`, 'shape');
  return doc;
}
