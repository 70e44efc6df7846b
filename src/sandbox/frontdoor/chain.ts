// What the hops of the browser chain share: the origins, IAP's signing keys, the outbound HTTPS
// client, and the short-lived server-side records each hop hands to the next (IAP's state, the
// sign-in transaction, the one-time codes and tokens, IAP sessions). Expiry uses the sandbox
// clock, so advancing it (control endpoint) expires sessions like real time would.
import type http from 'node:http';
import { createHmac, randomBytes } from 'node:crypto';
import type { World } from '../world.js';
import type { TlsMaterial } from '../core/tls.js';
import { readBody, send, sleep, type ApiResult } from '../core/http.js';
import type { CaClient } from '../../lib/ca-fetch.js';
import type { IapSigner } from './iap-signer.js';
import type { MappedIdentity } from './attribute-mapping.js';
import { parseCookies } from '../../lib/cookies.js';

export class TtlStore<T> {
  private readonly items = new Map<string, { value: T; expiresAt: number }>();
  constructor(
    private readonly world: World,
    private readonly ttlMs: number,
  ) {}
  put(value: T, ttlMs = this.ttlMs): string {
    const now = this.world.clock.now();
    for (const [k, v] of this.items) if (v.expiresAt <= now) this.items.delete(k);
    const id = randomBytes(24).toString('base64url');
    // States, codes, tokens and session ids are bearer values: remembered so tests can prove none leaked.
    this.world.issuedSecrets.add(id);
    this.items.set(id, { value, expiresAt: now + ttlMs });
    return id;
  }
  get(id: string | null | undefined): T | undefined {
    if (!id) return undefined;
    const v = this.items.get(id);
    if (!v) return undefined;
    if (v.expiresAt <= this.world.clock.now()) {
      this.items.delete(id);
      return undefined;
    }
    return v.value;
  }
  /** One-time read: the record is gone afterwards whether or not it was still valid. */
  take(id: string | null | undefined): T | undefined {
    const v = this.get(id);
    if (id) this.items.delete(id);
    return v;
  }
  delete(id: string): void {
    this.items.delete(id);
  }
}

/** The identity STS hands to IAP after a successful federated sign-in. */
export interface FederatedIdentity extends MappedIdentity {
  pool: string;
  provider: string;
  /** Opaque STS subject, stable per pool+subject: the JWT's `sub` without "sts.google.com:". */
  stsSub: string;
}

/** IAP's `state`: which resource and URL the browser asked for. */
export interface IapState {
  serviceKey: string;
  resource: string;
  originalUrl: string;
}

/**
 * One sign-in at the IdP. `iap`: started by IAP's /authorize request (direct hops), the callback
 * answers IAP with a code; `continueUrl`: started at /signin/{provider} (signin-path and chooser
 * hops), the callback opens a workforce session and goes back there.
 */
export interface SigninTxn {
  pool: string;
  provider: string;
  nonce: string;
  iap?: { state: string; clientId: string; redirectUri: string };
  continueUrl?: string;
  discovery: {
    issuer: string;
    authorization_endpoint: string;
    token_endpoint: string;
    userinfo_endpoint?: string;
    jwks_uri: string;
  };
}

/** A browser's session at the workforce sign-in origin (signin-path and chooser hops). */
export interface WorkforceSession {
  identity: FederatedIdentity;
}

export interface AuthCode {
  identity: FederatedIdentity;
  clientId: string;
  redirectUri: string;
}
export interface RedirectToken {
  identity: FederatedIdentity;
  serviceKey: string;
  resource: string;
  originalUrl: string;
}
export interface Session {
  identity: FederatedIdentity;
  resource: string;
  expiresAt: number;
}

export interface ChainContext {
  world: World;
  tls: TlsMaterial;
  https: CaClient;
  signer: IapSigner;
  signinOrigin: string;
  /** Where the sandbox serves iap.googleapis.com's browser endpoints (see iap-redirect.ts). */
  iapOrigin: string;
  jwksUrl: string;
  frontDoorOrigin(serviceKey: string): string | undefined;
  iapStates: TtlStore<IapState>;
  signinTxns: TtlStore<SigninTxn>;
  codes: TtlStore<AuthCode>;
  redirectTokens: TtlStore<RedirectToken>;
  sessions: TtlStore<Session>;
  workforceSessions: TtlStore<WorkforceSession>;
  stsSub(pool: string, subject: string): string;
}

export function newStores(world: World) {
  const secret = randomBytes(32);
  return {
    // Assumptions (lifetimes not documented): an hour to finish signing in, a minute for codes.
    iapStates: new TtlStore<IapState>(world, 3_600_000),
    signinTxns: new TtlStore<SigninTxn>(world, 3_600_000),
    codes: new TtlStore<AuthCode>(world, 60_000),
    redirectTokens: new TtlStore<RedirectToken>(world, 60_000),
    sessions: new TtlStore<Session>(world, 3_600_000),
    workforceSessions: new TtlStore<WorkforceSession>(world, 3_600_000),
    stsSub: (pool: string, subject: string) =>
      'AAF' + createHmac('sha256', secret).update(`${pool}\n${subject}`).digest('base64url').slice(0, 40),
  };
}

export interface ChainRequest {
  method: string;
  /** Raw path as sent (still percent-encoded). */
  rawPath: string;
  /** Percent-decoded path, for routing. */
  path: string;
  query: URLSearchParams;
  /** Path plus query as sent. */
  rawUrl: string;
  headers: http.IncomingHttpHeaders;
  cookies: Record<string, string>;
  form: URLSearchParams;
}

/**
 * One hop's HTTP plumbing: the browser latency of the profile, the request log (path only: codes
 * and tokens travel in queries and stay out of the log) and a page instead of a crash.
 */
export function chainHandler(
  world: World,
  api: 'signin' | 'frontdoor',
  handle: (req: ChainRequest) => Promise<ApiResult>,
): http.RequestListener {
  return async (req, res) => {
    const rawUrl = req.url ?? '/';
    const url = new URL(rawUrl, 'https://x');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      path = url.pathname;
    }
    const method = req.method ?? 'GET';
    let result: ApiResult;
    try {
      const raw = method === 'POST' ? await readBody(req) : '';
      if (world.profile.latencyMs.browser) await sleep(world.profile.latencyMs.browser);
      result = await handle({
        method,
        rawPath: url.pathname,
        path,
        query: url.searchParams,
        rawUrl,
        headers: req.headers,
        cookies: parseCookies(req.headers.cookie),
        form: new URLSearchParams(raw),
      });
    } catch (err) {
      result = { status: 500, text: `Internal error in the sandbox's ${api} emulation: ${(err as Error).message}\n` };
    }
    world.record({ api, method, path, status: result.status ?? 200, mutating: false });
    send(res, result);
  };
}

export const redirect = (
  location: string,
  headers: Record<string, string | string[]> = {},
  status = 302,
): ApiResult => ({
  status,
  headers: { location, ...headers },
  html:
    '<HTML><HEAD><meta http-equiv="content-type" content="text/html;charset=utf-8">\n' +
    '<TITLE>302 Moved</TITLE></HEAD><BODY>\n<H1>302 Moved</H1>\nThe document has moved\n' +
    `<A HREF="${location.replace(/"/g, '&quot;')}">here</A>.\n</BODY></HTML>\n`,
});
