// The Auth0 session of one run: the machine-to-machine credentials checked before anything
// changes, the Management API token reused by every later call, and the domain users sign in on.
//
// 1. The credentials (AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET) are judged locally first: a value
//    with a trailing newline, a carriage return, a space or any invisible character is refused with
//    its exact cause, never trimmed (the same value fails in every other tool, and a silent trim
//    would hide which copy of the secret is wrong).
// 2. POST https://AUTH0_DOMAIN/oauth/token (client credentials, audience https://AUTH0_DOMAIN/api/v2/)
//    once: its refusals name the cause (unknown id or wrong secret, not an M2M app, no grant on the
//    Management API, AUTH0_DOMAIN being a custom domain). Its `scope` says what the app may do, so
//    a missing scope stops the run before the first write instead of halfway.
// 3. The token is handed to the SDK's ManagementClient (`token` supplier): no second token request.
// 4. Sign-in: the domain whose discovery issuer the workforce provider gets. The Management API
//    always stays on AUTH0_DOMAIN (its audience is https://<tenant domain>/api/v2/, whatever
//    custom domains exist); sign-in uses the tenant's ready custom domain when it has one
//    (GET /api/v2/custom-domains, read:custom_domains), or --auth0-issuer-domain.
import type { ManagementClient } from 'auth0';
import { UserError, EXIT } from '../lib/exit-codes.js';
import { checkAuth0Values } from './auth0-values.js';
import {
  auth0Discovery,
  auth0FetchFor,
  auth0ManagementWithToken,
  DiscoveryError,
  type Discovery,
} from './auth0-client.js';
import { tokenRefusal, isCustomDomainRefusal, type TokenFailure } from './auth0-errors.js';
import { DASHBOARD_GRANT } from './auth0-values.js';
import { withRetry } from './retry.js';
import { isNetworkError } from './google-errors.js';
import { describeNetworkFailure } from './net-errors.js';
import { netFailure } from '../lib/net.js';

/** What each command needs from the Management API (a missing one stops it before any change). */
export const NEEDS = {
  init: ['read:clients', 'create:clients', 'update:clients', 'delete:clients', 'read:client_keys'],
  verify: ['read:clients'],
  destroy: ['read:clients', 'update:clients', 'delete:clients'],
  /** `export terraform` reads the application; the secret stays in Auth0 (Terraform's provider reads it). */
  'export terraform': ['read:clients'],
} as const;
export type Auth0Command = keyof typeof NEEDS;
/** Only verify uses it (the app's enabled connections): a warning in init, a failed check in verify. */
export const CONNECTIONS_SCOPE = 'read:connections';
/** Lets iap-auth0 find the tenant's custom domains; without it sign-in uses AUTH0_DOMAIN (or --auth0-issuer-domain). */
export const CUSTOM_DOMAINS_SCOPE = 'read:custom_domains';

const ISSUER_FLAG = '--auth0-issuer-domain (or IAP_AUTH0_ISSUER_DOMAIN)';

/** Where sign-in happens: the domain, its discovery issuer (verbatim) and document, and why that domain. */
export interface SignIn {
  domain: string;
  issuer: string;
  discovery: Discovery;
  /** tenant: AUTH0_DOMAIN itself; custom-domain: the tenant's ready custom domain; input: --auth0-issuer-domain. */
  via: 'tenant' | 'custom-domain' | 'input';
}

export interface Auth0Session {
  /** AUTH0_DOMAIN: the tenant's own domain, where the Management API is called. */
  domain: string;
  /** The token's scopes; undefined when Auth0 did not say (then nothing is refused in advance). */
  scopes?: ReadonlySet<string>;
  /** True when granted, or when the scopes are unknown. */
  has(scope: string): boolean;
  management(): Promise<ManagementClient>;
  /** Memoized. */
  signIn(): Promise<SignIn>;
  /** Things the user should know that stop nothing (a scope verify will miss, custom domains unknown). */
  warnings: string[];
}

export interface SessionOptions {
  env: NodeJS.ProcessEnv;
  /** AUTH0_DOMAIN as resolved (--auth0-domain, AUTH0_DOMAIN or the state file). */
  domain: string;
  /** --auth0-issuer-domain / IAP_AUTH0_ISSUER_DOMAIN / the state file, and where it came from. */
  issuerDomain?: { value: string; from: string };
  signal: AbortSignal;
  /** The command whose needs are checked; without it nothing is refused in advance (stage tests). */
  command?: Auth0Command;
  /** Scopes this run needs beyond the command's (what --allow asks for: auth0-preflight.ts `allowScopes`). */
  extra?: readonly string[];
  /** Fetch AUTH0_DOMAIN's discovery alongside the token (init, verify: it usually is the sign-in issuer). */
  discover?: boolean;
}

interface Token {
  value: string;
  expiresAt: number;
  scopes?: Set<string>;
}

/** The scopes of a client-credentials answer: its `scope`, else the JWT's `scope` claim (not verified: only read). */
function scopesOf(json: { scope?: unknown; access_token?: unknown }): Set<string> | undefined {
  if (typeof json.scope === 'string') return new Set(json.scope.split(/\s+/).filter(Boolean));
  const payload = typeof json.access_token === 'string' ? json.access_token.split('.')[1] : undefined;
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof claims.scope === 'string') return new Set(claims.scope.split(/\s+/).filter(Boolean));
  } catch {
    /* an opaque token: scopes unknown */
  }
  return undefined;
}

class TokenError extends Error {
  constructor(readonly failure: TokenFailure) {
    super(`token request answered ${failure.status}`);
  }
}

async function requestToken(
  domain: string,
  clientId: string,
  clientSecret: string,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
): Promise<Token> {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: clientSecret,
    audience: `https://${domain}/api/v2/`,
  });
  return withRetry(
    async () => {
      const res = await auth0FetchFor(env, signal)(`https://${domain}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: body.toString(),
        redirect: 'error', // the timeout, the breaker and Ctrl-C come with auth0FetchFor
      });
      const text = await res.text();
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(text);
      } catch {
        /* a proxy's HTML page: the status says enough */
      }
      if (!res.ok || typeof json.access_token !== 'string') {
        throw new TokenError({
          status: res.status,
          error: typeof json.error === 'string' ? json.error : undefined,
          description: typeof json.error_description === 'string' ? json.error_description : undefined,
        });
      }
      const ttl = typeof json.expires_in === 'number' ? json.expires_in : 86400;
      return { value: json.access_token, expiresAt: Date.now() + ttl * 1000, scopes: scopesOf(json) };
    },
    {
      signal,
      attempts: 4,
      baseMs: 500,
      retryable: (e) =>
        (e instanceof TokenError && (e.failure.status === 429 || e.failure.status >= 500)) || isNetworkError(e),
    },
  );
}

const unreachable = (domain: string, e: unknown): UserError => {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return new UserError(
    `cannot reach Auth0 at https://${domain}/oauth/token (${cause?.code ?? cause?.message ?? (e as Error).message})`,
    EXIT.USAGE,
    'check --auth0-domain / AUTH0_DOMAIN (your tenant, e.g. dev-abc123.us.auth0.com)',
  );
};

/**
 * Auth0 out of reach on the network (a black hole, a refused connection, resets past the retries):
 * a failure of the network, not of the input, said as for any endpoint (net-errors.ts). A host that
 * does not resolve stays an input problem (a typo in AUTH0_DOMAIN), answered by the callers.
 */
function networkRefusal(e: unknown, env: NodeJS.ProcessEnv): UserError | undefined {
  const cause = e instanceof DiscoveryError ? e.netCause : e;
  // A DNS failure, or a request fetch itself refused (a bad port, a TLS error), is a wrong
  // AUTH0_DOMAIN: the discovery's "cannot reach Auth0 at …" (exit 2) says that better.
  const failure = netFailure(cause);
  if (!failure || failure === 'dns' || failure === 'other') return undefined;
  const d = describeNetworkFailure(cause, env);
  if (!d) return undefined;
  return new UserError(`nothing was changed: ${d.message}`, EXIT.FAILURE, d.hint);
}

const discoveryRefusal = (
  e: DiscoveryError,
  flag = 'check --auth0-domain / AUTH0_DOMAIN (your tenant, e.g. dev-abc123.us.auth0.com)',
) => new UserError(e.message, EXIT.USAGE, flag);

function customDomainRefusal(domain: string, discovered?: Discovery): UserError {
  const signsIn =
    discovered?.issuer === `https://${domain}/`
      ? `Auth0 answers sign-in there (its discovery issuer is ${discovered.issuer}), but `
      : '';
  return new UserError(
    `AUTH0_DOMAIN is ${domain}, which is not your Auth0 tenant's own domain but most likely one of its custom ` +
      `domains: ${signsIn}the Management API belongs to the tenant's domain (the token request for ` +
      `https://${domain}/api/v2/ answered "Service not enabled within domain")`,
    EXIT.USAGE,
    `set AUTH0_DOMAIN (or --auth0-domain) to your tenant's domain, e.g. dev-abc123.us.auth0.com: it is the ` +
      'host in the Identifier of Auth0 dashboard > Applications > APIs > Auth0 Management API (https://<tenant ' +
      `domain>/api/v2/). iap-auth0 will still use ${domain} for sign-in: it finds the tenant's ready custom ` +
      `domains (with read:custom_domains), or pass --auth0-issuer-domain ${domain}`,
  );
}

/**
 * Opens the session: the local check, the token (and AUTH0_DOMAIN's discovery alongside), the
 * scopes the command needs. Every failure is a UserError naming the variable, the cause and the fix.
 */
export async function openAuth0Session(o: SessionOptions): Promise<Auth0Session> {
  checkAuth0Values(o.env);
  const clientId = o.env.AUTH0_CLIENT_ID ?? '';
  const clientSecret = o.env.AUTH0_CLIENT_SECRET ?? '';
  const domain = o.domain;
  const creds = { domain, clientId, clientSecret };

  const tokenP = requestToken(domain, clientId, clientSecret, o.env, o.signal);
  const discoveryP = o.discover ? auth0Discovery(domain, o.env, o.signal) : undefined;
  tokenP.catch(() => undefined);
  discoveryP?.catch(() => undefined);
  const [tokenR, discR] = await Promise.allSettled([tokenP, discoveryP ?? Promise.resolve(undefined)]);
  o.signal.throwIfAborted();
  const net = [tokenR, discR]
    .map((r) => (r.status === 'rejected' ? networkRefusal(r.reason, o.env) : undefined))
    .find(Boolean);
  if (net) throw net;
  // An unreachable or non-Auth0 domain says more than the token's failure there.
  if (discR.status === 'rejected' && discR.reason instanceof DiscoveryError && discR.reason.kind === 'unreachable')
    throw discoveryRefusal(discR.reason);
  if (tokenR.status === 'rejected') {
    const e = tokenR.reason;
    if (e instanceof TokenError) {
      if (isCustomDomainRefusal(e.failure, domain))
        throw customDomainRefusal(domain, discR.status === 'fulfilled' ? discR.value : undefined);
      throw tokenRefusal(e.failure, creds);
    }
    if ((e as Error)?.name === 'AbortError' && o.signal.aborted) throw e;
    throw unreachable(domain, e);
  }
  if (discR.status === 'rejected')
    throw discR.reason instanceof DiscoveryError ? discoveryRefusal(discR.reason) : discR.reason;
  let token: Token = tokenR.value;
  const tenantDiscovery = discR.value;

  const scopes = token.scopes;
  const has = (s: string) => !scopes || scopes.has(s);
  if (o.command) {
    const missing = [...new Set([...NEEDS[o.command], ...(o.extra ?? [])])].filter((s) => !has(s));
    if (missing.length) {
      throw new UserError(
        'the Auth0 Machine to Machine app AUTH0_CLIENT_ID names lacks Management API ' +
          `scope${missing.length > 1 ? 's' : ''} iap-auth0 ${o.command} needs: ${missing.join(', ')} (it has: ` +
          `${[...scopes!].sort().join(' ') || 'none'}); nothing was changed`,
        EXIT.USAGE,
        `add ${missing.length > 1 ? 'them' : 'it'}: ${DASHBOARD_GRANT}, then re-run`,
      );
    }
  }
  const warnings: string[] = [];
  if (o.command === 'init' && !has(CONNECTIONS_SCOPE)) {
    warnings.push(
      'the Auth0 M2M app lacks read:connections: init does not need it, but iap-auth0 verify does, to check ' +
        `that a connection (a way to sign in) is enabled for the app; add it: ${DASHBOARD_GRANT}`,
    );
  }

  // The token is reused for every Management API call; a new one only if a run outlives it (24 h).
  let refreshing: Promise<Token> | undefined;
  const current = async () => {
    if (Date.now() < token.expiresAt - 10_000) return token.value;
    refreshing ??= requestToken(domain, clientId, clientSecret, o.env, o.signal).finally(() => {
      refreshing = undefined;
    });
    try {
      token = await refreshing;
    } catch (e) {
      throw e instanceof TokenError ? tokenRefusal(e.failure, creds) : e;
    }
    return token.value;
  };
  let mgmt: Promise<ManagementClient> | undefined;
  const management = () => (mgmt ??= auth0ManagementWithToken(domain, current, o.env, o.signal));
  let signIn: Promise<SignIn> | undefined;
  const session: Auth0Session & { token(): Promise<string> } = {
    domain,
    scopes,
    has,
    management,
    warnings,
    token: current,
    signIn: () => (signIn ??= resolveSignIn(session, o, tenantDiscovery)),
  };
  return session;
}

interface ReadyDomain {
  domain: string;
  primary?: boolean;
  is_default?: boolean;
}

/**
 * The tenant's ready custom domains; undefined when iap-auth0 may not read them. A plain request
 * with the session's token (GET /api/v2/custom-domains answers an array), so the sign-in domain is
 * known without loading the SDK: verify's sign-in probe waits for it.
 */
async function readyCustomDomains(
  s: Auth0Session & { token(): Promise<string> },
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
): Promise<ReadyDomain[] | undefined> {
  if (s.scopes && !s.scopes.has(CUSTOM_DOMAINS_SCOPE)) return undefined;
  const url = `https://${s.domain}/api/v2/custom-domains`;
  class Status extends Error {
    constructor(
      readonly status: number,
      readonly body: { message?: string },
    ) {
      super(`${url} answered ${status}`);
    }
  }
  const list = await withRetry(
    async () => {
      const res = await auth0FetchFor(env, signal)(url, {
        headers: { authorization: `Bearer ${await s.token()}`, accept: 'application/json' },
        redirect: 'error',
      });
      const json = await res.json().catch(() => undefined);
      if (!res.ok) throw new Status(res.status, (json ?? {}) as { message?: string });
      return json;
    },
    {
      signal,
      attempts: 4,
      baseMs: 500,
      retryable: (e) => (e instanceof Status && (e.status === 429 || e.status >= 500)) || isNetworkError(e),
    },
  ).catch((e) => {
    // Scopes unknown and the call refused: the same as not granted.
    if (e instanceof Status && e.status === 403) return undefined;
    if (e instanceof Status)
      throw new UserError(
        `Auth0 answered ${e.status} to GET ${url}${e.body.message ? `: ${e.body.message}` : ''}`,
        EXIT.FAILURE,
        `pass ${ISSUER_FLAG} to name the domain users sign in on, or re-run later`,
      );
    throw e;
  });
  if (list === undefined) return undefined;
  const all = Array.isArray(list)
    ? list
    : Array.isArray((list as { custom_domains?: unknown }).custom_domains)
      ? (list as { custom_domains: unknown[] }).custom_domains
      : [];
  return (all as (ReadyDomain & { status?: string })[])
    .filter((d) => d?.status === 'ready' && typeof d.domain === 'string')
    .map((d) => ({ domain: d.domain.toLowerCase(), primary: d.primary, is_default: d.is_default }));
}

/**
 * The domain sign-in happens on, and its issuer:
 *  - --auth0-issuer-domain (recorded in the state file): that domain, when it is AUTH0_DOMAIN or a
 *    ready custom domain of the tenant (checked when the custom domains can be read);
 *  - else the tenant's one ready custom domain; of several, the one Auth0 marks as the default
 *    (is_default, else primary); when none is marked, the user chooses with --auth0-issuer-domain;
 *  - else AUTH0_DOMAIN (with a warning when the custom domains could not be read).
 * Its discovery issuer is used verbatim (a custom domain's discovery names the custom domain).
 */
async function resolveSignIn(
  s: Auth0Session & { token(): Promise<string> },
  o: SessionOptions,
  tenantDiscovery?: Discovery,
): Promise<SignIn> {
  const canonical = s.domain;
  const ready = await readyCustomDomains(s, o.env, o.signal);
  const names = (ds: ReadyDomain[]) => ds.map((d) => d.domain).join(', ');
  let chosen: string;
  let via: SignIn['via'];
  const explicit = o.issuerDomain;
  if (explicit) {
    chosen = explicit.value.toLowerCase();
    via = chosen === canonical ? 'tenant' : 'input';
    if (via === 'input' && ready && !ready.some((d) => d.domain === chosen)) {
      throw new UserError(
        `${explicit.from} is ${chosen}, which is not a ready custom domain of the Auth0 tenant ${canonical} ` +
          `(${ready.length ? `ready: ${names(ready)}` : 'it has none ready'})`,
        EXIT.USAGE,
        `pass one of ${[canonical, ...ready.map((d) => d.domain)].join(', ')}, or check the domain under ` +
          'Auth0 dashboard > Branding > Custom Domains (its status must be Ready)',
      );
    }
  } else if (!ready) {
    chosen = canonical;
    via = 'tenant';
    if (o.command === 'init') {
      s.warnings.push(
        'iap-auth0 cannot see whether your Auth0 tenant has a custom domain (the M2M app lacks ' +
          `read:custom_domains), so users sign in on ${canonical}. If they should sign in on a custom domain, ` +
          `add read:custom_domains (${DASHBOARD_GRANT}) or pass ${ISSUER_FLAG}`,
      );
    }
  } else if (ready.length === 0) {
    chosen = canonical;
    via = 'tenant';
  } else if (ready.length === 1) {
    chosen = ready[0].domain;
    via = 'custom-domain';
  } else {
    const marked = ready.filter((d) => d.is_default === true);
    const primary = ready.filter((d) => d.primary === true);
    const pick = marked.length === 1 ? marked[0] : primary.length === 1 ? primary[0] : undefined;
    if (!pick) {
      throw new UserError(
        `the Auth0 tenant ${canonical} has ${ready.length} ready custom domains (${names(ready)}) and none is ` +
          'marked as the default: iap-auth0 cannot tell which one your users sign in on',
        EXIT.USAGE,
        'run iap-auth0 init with --auth0-issuer-domain DOMAIN (or IAP_AUTH0_ISSUER_DOMAIN): one of ' +
          `${[...ready.map((d) => d.domain), canonical].join(', ')}; the state file records the choice`,
      );
    }
    chosen = pick.domain;
    via = 'custom-domain';
  }

  let discovery: Discovery;
  try {
    discovery =
      chosen === canonical && tenantDiscovery ? tenantDiscovery : await auth0Discovery(chosen, o.env, o.signal);
  } catch (e) {
    if (!(e instanceof DiscoveryError)) throw e;
    throw discoveryRefusal(
      e,
      via === 'tenant'
        ? undefined
        : via === 'input'
          ? `check ${explicit!.from}: it must be a domain your tenant answers sign-in on (Auth0 dashboard > ` +
            'Branding > Custom Domains)'
          : `the tenant lists ${chosen} as a ready custom domain but it does not answer; check its DNS, or pass ` +
            `${ISSUER_FLAG} ${canonical} to sign in on the tenant's domain`,
    );
  }
  return { domain: chosen, issuer: discovery.issuer, discovery, via };
}
