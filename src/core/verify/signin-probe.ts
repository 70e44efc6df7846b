// The sign-in probe: what a browser sees before anyone types a password. An unauthenticated GET of
// the service URL, then each redirect by hand (never following blindly), from a fresh cookie jar:
// service → Google's workforce sign-in /authorize (→ any further hops on that origin: a
// /signin/{provider} hop, a provider chooser) → Auth0 /authorize → Auth0's login page. Each hop's
// answer is judged by probe-pages.ts. No credentials, no browser.
//
// Every hop is also written to a trace (for verify --report) holding only what cannot carry a
// secret: method, host, path, status, the NAMES of the query parameters and of the cookies set,
// and the kind of page recognised. Values (codes, states, nonces, cookie values) never enter it.
import { Browserless, type FetchLike } from '../../lib/browserless.js';
import { IAP_REDIRECT_URI } from '../../lib/ids.js';
import { runCheck, failed, type CheckResult, type Outcome } from '../check.js';
import {
  entryVerdict,
  signinVerdict,
  auth0Verdict,
  loginPageVerdict,
  loginPageKind,
  type EntryExpect,
  type HopAnswer,
  type Verdict,
} from './probe-pages.js';

export interface ProbeTarget {
  serviceUrl: string;
  signinOrigin: string;
  oauthClientId: string;
  auth0Domain: string;
  auth0ClientId: string;
  callback: string;
  /** This setup's provider, locations/global/workforcePools/P/providers/X. */
  provider?: string;
  /** For the Google-sign-in-after-the-window diagnosis (see probe-pages.ts). */
  settingsAgeMs?: number;
  scope?: EntryExpect['scope'];
  settingsResource?: string;
  projectScopeCommand?: string;
}

/** One hop as verify --report shows it: names only, never values. */
export interface ProbeHop {
  method: string;
  host: string;
  path: string;
  status: number;
  /** Names of the query parameters sent (values left out). */
  query: string[];
  /** Names of the cookies the answer set (values left out). */
  setCookies: string[];
  /** Where a redirect pointed (host, path and parameter names). */
  location?: { host: string; path: string; query: string[] };
  /** What the probe recognised the answer as. */
  kind: string;
  at: string;
  ms: number;
}

/** Hops that stay on the sign-in origin are followed up to this many (loop-safe). */
export const MAX_SIGNIN_HOPS = 5;

/** `timeoutMs`: each request's, the run's requestTimeoutMs (Browserless's default when not given). */
export function probeSignin(
  t: ProbeTarget,
  opts: { signal?: AbortSignal; fetch?: FetchLike; trace?: ProbeHop[]; timeoutMs?: number } = {},
): Promise<CheckResult> {
  return runCheck('signin', 'signin-probe', 'Sign-in probe', () => probe(t, opts), undefined, opts.signal);
}

const names = (u: URL) => [...new Set(u.searchParams.keys())];
const cookieName = (line: string) => line.slice(0, Math.max(0, line.indexOf('='))).trim();

async function probe(
  t: ProbeTarget,
  opts: { signal?: AbortSignal; fetch?: FetchLike; trace?: ProbeHop[]; timeoutMs?: number },
): Promise<Outcome> {
  const signal = AbortSignal.any([AbortSignal.timeout(30_000), ...(opts.signal ? [opts.signal] : [])]);
  const hop = hopper(new Browserless({ fetch: opts.fetch, signal, timeoutMs: opts.timeoutMs }), opts.trace ?? []);
  const entry = await entryHop(t, hop);
  if ('end' in entry) return entry.end;
  const signin = await signinHops(t, hop, entry.next);
  if ('end' in signin) return signin.end;
  return auth0Hops(t, hop, signin.next, signin.via);
}

/** One request of the walk, answered and recorded in the trace (names only). */
type Hop = (
  url: string,
  init?: { method?: 'GET' | 'POST'; body?: string },
) => Promise<{ answer: HopAnswer; record: ProbeHop }>;

/** Makes each request through `b` (its cookie jar), and writes each hop to `trace`. */
function hopper(b: Browserless, trace: ProbeHop[]): Hop {
  return async (url, init = {}) => {
    const u = new URL(url);
    const t0 = Date.now();
    const at = new Date(t0).toISOString();
    const res = await b.request(
      url,
      init.body !== undefined
        ? { method: init.method, body: init.body, headers: { 'content-type': 'application/x-www-form-urlencoded' } }
        : { method: init.method },
    );
    const location = res.headers.get('location') ?? undefined;
    const answer: HopAnswer = {
      status: res.status,
      location,
      iapGenerated: res.headers.get('x-goog-iap-generated-response') === 'true',
      text: await res.text(),
    };
    const to = locationRecord(location, url);
    const record: ProbeHop = {
      method: init.method ?? 'GET',
      host: u.host,
      path: u.pathname,
      status: res.status,
      query: names(u),
      setCookies: res.headers.getSetCookie().map(cookieName).filter(Boolean),
      ...(to ? { location: to } : {}),
      kind: 'unjudged',
      at,
      ms: Date.now() - t0,
    };
    trace.push(record);
    return { answer, record };
  };
}

/** Where a redirect pointed, for the trace: host, path and parameter names. */
function locationRecord(location: string | undefined, url: string): ProbeHop['location'] {
  try {
    if (location) {
      const l = new URL(location, url);
      return { host: l.host, path: l.pathname, query: names(l) };
    }
  } catch {
    /* an unparsable Location is judged below */
  }
  return undefined;
}

/** Writes the verdict's kind into the hop's trace record. */
function judged<V extends Verdict>(record: ProbeHop, v: V): V {
  record.kind = v.kind;
  return v;
}

/** 1. The service URL. */
async function entryHop(t: ProbeTarget, hop: Hop): Promise<Verdict> {
  const url = `${t.serviceUrl.replace(/\/+$/, '')}/`;
  const first = await hop(url);
  return judged(
    first.record,
    entryVerdict(first.answer, url, {
      signinOrigin: t.signinOrigin,
      oauthClientId: t.oauthClientId,
      redirectUri: IAP_REDIRECT_URI(t.oauthClientId),
      provider: t.provider,
      settingsAgeMs: t.settingsAgeMs,
      scope: t.scope,
      settingsResource: t.settingsResource,
      projectScopeCommand: t.projectScopeCommand,
    }),
  );
}

/**
 * 2. Google's workforce sign-in: follow hops on its origin, bounded and loop-safe, until it sends the browser on.
 * Ends with where it sent the browser and the paths it went through, or with the outcome.
 */
async function signinHops(
  t: ProbeTarget,
  hop: Hop,
  authorize: URL,
): Promise<{ end: Outcome } | { next: URL; via: string[] }> {
  const providerNamed = authorize.searchParams.get('provider_name');
  let next: { url: URL; method?: 'GET' | 'POST'; body?: string } = { url: authorize };
  const seen: string[] = [];
  const via: string[] = [];
  for (let i = 0; ; i++) {
    const url = next.url.toString();
    const key = `${next.method ?? 'GET'} ${url}`;
    const stuck = stuckWalk(i, key, seen);
    if (stuck) return { end: stuck };
    seen.push(key);
    const { answer, record } = await hop(url, { method: next.method, body: next.body });
    const v = judged(
      record,
      signinVerdict(answer, url, {
        auth0Domain: t.auth0Domain,
        auth0ClientId: t.auth0ClientId,
        callback: t.callback,
        signinOrigin: t.signinOrigin,
        provider: t.provider,
        providerNamed,
      }),
    );
    const path = shortPath(key).replace(/^GET /, '');
    via.push(v.kind === 'provider-chooser' ? `${path}: provider chooser` : path);
    if ('end' in v) return { end: v.end };
    next = { url: v.next, method: v.method, body: v.body };
    if (v.next.origin !== t.signinOrigin) break;
  }
  return { next: next.url, via };
}

/** The sign-in walk's bounds: more than MAX_SIGNIN_HOPS hops, or a request it already made. */
function stuckWalk(i: number, key: string, seen: string[]): Outcome | undefined {
  if (i >= MAX_SIGNIN_HOPS) {
    return failed(
      `Google's workforce sign-in took more than ${MAX_SIGNIN_HOPS} steps without sending the browser to ` +
        `Auth0: ${seen.map(shortPath).join(' → ')}`,
      'open the service URL in a browser to see where it stops, and attach iap-auth0 verify --report FILE ' +
        'to a bug report',
    );
  }
  if (seen.includes(key)) {
    return failed(
      `Google's workforce sign-in goes round in a loop: ${[...seen, key].map(shortPath).join(' → ')}`,
      'a stale sign-in cookie or a misconfigured provider; open the service URL in a private browser ' +
        'window, and attach iap-auth0 verify --report FILE to a bug report',
    );
  }
  return undefined;
}

/** 3. Auth0's /authorize, then its login page. */
async function auth0Hops(t: ProbeTarget, hop: Hop, authorize: URL, via: string[]): Promise<Outcome> {
  const url = authorize.toString();
  const a0 = await hop(url);
  const auth0 = judged(
    a0.record,
    auth0Verdict(a0.answer, url, { callback: t.callback, auth0ClientId: t.auth0ClientId }),
  );
  if ('end' in auth0) return auth0.end;
  const login = await hop(auth0.next.toString());
  login.record.kind = loginPageKind(login.answer);
  return loginPageVerdict(login.answer, via.length > 1 ? via : []);
}

/**
 * "GET https://host/signin/locations/…/providers/x?…" → "GET /signin/locations/…/providers/x" (no query: values stay
 * out of messages).
 */
function shortPath(key: string): string {
  const [method, url] = key.split(' ');
  try {
    return `${method} ${new URL(url).pathname}`;
  } catch {
    return method;
  }
}
