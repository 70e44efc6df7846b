// The Auth0 side: the official SDK's ManagementClient (loaded only when needed: ~300 ms to import)
// and the tenant's discovery document, whose issuer is copied verbatim into the workforce provider.
// Every request to Auth0 goes through `auth0Fetch`, so --debug traces each one (method, URL
// without query values, status, time) as it traces Google's.
import type { ManagementClient } from 'auth0';
import { debug, debugEnabled } from '../lib/debug.js';

export interface Auth0Env { domain: string; clientId: string; clientSecret: string }

/** A URL as --debug prints it: query parameter names kept, their values (codes, states, emails) dropped. */
export function traceUrl(u: string): string {
  let url: URL;
  try { url = new URL(u); } catch { return '(unparsable URL)'; }
  const names = [...new Set(url.searchParams.keys())];
  return `${url.origin}${url.pathname}${names.length ? `?${names.map((n) => `${n}=…`).join('&')}` : ''}`;
}

/**
 * global fetch, traced under --debug: one line per request, as the SDK's `fetch` option and the
 * token and discovery requests use it. Bodies and headers (the secret, the bearer token) are never
 * looked at.
 */
export const auth0Fetch: typeof fetch = async (input, init) => {
  if (!debugEnabled()) return fetch(input, init);
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
  const started = Date.now();
  try {
    const res = await fetch(input, init);
    debug(`Auth0 ${method} ${traceUrl(url)} → ${res.status} in ${Date.now() - started} ms`);
    return res;
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    debug(`Auth0 ${method} ${traceUrl(url)} → ${(e as Error).name === 'AbortError' || (e as Error).name === 'TimeoutError' ? 'aborted' : 'network error'} in ${Date.now() - started} ms${cause ? ` (${cause})` : ''}`);
    throw e;
  }
};

/** A client that authenticates with the M2M credentials itself (the SDK's own token provider). */
export async function auth0Management(a: Auth0Env): Promise<ManagementClient> {
  const { ManagementClient } = await import('auth0');
  return new ManagementClient({ domain: a.domain, clientId: a.clientId, clientSecret: a.clientSecret, telemetry: false, fetch: auth0Fetch });
}

/** A client on a token obtained already (the preflight's): no second token request. */
export async function auth0ManagementWithToken(domain: string, token: () => Promise<string>): Promise<ManagementClient> {
  const { ManagementClient } = await import('auth0');
  return new ManagementClient({ domain, token, telemetry: false, fetch: auth0Fetch });
}

export interface Discovery { issuer: string; authorization_endpoint: string; token_endpoint: string; jwks_uri: string; userinfo_endpoint?: string; [k: string]: unknown }

export class DiscoveryError extends Error {
  constructor(message: string, readonly kind: 'unreachable' | 'status' | 'shape') { super(message); }
}

export async function auth0Discovery(domain: string, signal?: AbortSignal): Promise<Discovery> {
  const url = `https://${domain}/.well-known/openid-configuration`;
  let res: Response;
  try { res = await auth0Fetch(url, { signal, redirect: 'error' }); } catch (e) {
    if (signal?.aborted) throw e;
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new DiscoveryError(`cannot reach Auth0 at ${url} (${cause?.code ?? cause?.message ?? (e as Error).message}); check AUTH0_DOMAIN / --auth0-domain`, 'unreachable');
  }
  if (!res.ok) throw new DiscoveryError(`Auth0 discovery at ${url} answered ${res.status}; check that ${domain} is your tenant's domain`, 'status');
  const doc = (await res.json().catch(() => ({}))) as Discovery;
  if (typeof doc.issuer !== 'string' || !doc.issuer.startsWith('https://')) throw new DiscoveryError(`Auth0 discovery at ${url} has no https issuer`, 'shape');
  return doc;
}
