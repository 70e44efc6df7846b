// The Auth0 side: the official SDK's ManagementClient (loaded only when needed: ~300 ms to import)
// and the tenant's discovery document, whose issuer is copied verbatim into the workforce provider.
import type { ManagementClient } from 'auth0';
import { netFailure, netFetch, requestTimeoutMs, Unreachable } from '../lib/net.js';

export interface Auth0Env { domain: string; clientId: string; clientSecret: string }

/** `signal` (the run's Ctrl-C) aborts requests in flight; each request has a timeout and the domain's breaker (lib/net.ts). */
export async function auth0Management(a: Auth0Env, signal?: AbortSignal): Promise<ManagementClient> {
  const { ManagementClient } = await import('auth0');
  return new ManagementClient({ domain: a.domain, clientId: a.clientId, clientSecret: a.clientSecret, telemetry: false, fetch: netFetch({ signal }),
    timeoutInSeconds: Math.ceil(requestTimeoutMs() / 1000) + 5 }); // ours fires first and says which endpoint
}

export interface Discovery { issuer: string; authorization_endpoint: string; token_endpoint: string; jwks_uri: string; userinfo_endpoint?: string; [k: string]: unknown }

export class DiscoveryError extends Error {}

export async function auth0Discovery(domain: string, signal?: AbortSignal): Promise<Discovery> {
  const url = `https://${domain}/.well-known/openid-configuration`;
  let res: Response;
  try { res = await netFetch({ signal })(url, { redirect: 'error' }); } catch (e) {
    if (signal?.aborted) throw e;
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = e instanceof Unreachable ? e.message : netFailure(e) === 'timeout' ? `no answer within ${Math.round(requestTimeoutMs() / 1000)} s` : cause?.code ?? cause?.message ?? (e as Error).message;
    throw new DiscoveryError(`cannot reach Auth0 at ${url} (${why}); check AUTH0_DOMAIN / --auth0-domain`);
  }
  if (!res.ok) throw new DiscoveryError(`Auth0 discovery at ${url} answered ${res.status}; check that ${domain} is your tenant's domain`);
  const doc = (await res.json()) as Discovery;
  if (typeof doc.issuer !== 'string' || !doc.issuer.startsWith('https://')) throw new DiscoveryError(`Auth0 discovery at ${url} has no https issuer`);
  return doc;
}
