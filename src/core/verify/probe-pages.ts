// What each hop of the sign-in chain answered, read the way a person would read the page: pure
// functions from (status, Location, headers, body) to a verdict, so every known failure page is
// recognised in one place and tested without a network (auth0.md 4.3, gcp-api.md 10.1 and 12).
import { pageText, chooserLinks, chooserForm } from '../../lib/browserless.js';
import { ok, failed, propagating, type Outcome } from '../check.js';

export interface HopAnswer {
  status: number;
  location?: string;
  iapGenerated: boolean;
  text: string;
}

/**
 * Where the walk goes next (a GET of `next`, or the form `body` sent by POST), or how it ends;
 * `kind` names what the page was, for verify --report.
 */
export type Verdict = ({ next: URL; method?: 'GET' | 'POST'; body?: string } | { end: Outcome }) & { kind: string };

const redirected = (a: HopAnswer) => a.status >= 300 && a.status < 400 && !!a.location;
const SETTLE = 'IAM and IAP changes take 2 to 7 minutes to apply after init; run iap-auth0 verify --wait 10m';

/**
 * How long after init wrote the IAP settings a probe that still meets Google's own sign-in counts as
 * "still propagating": IAM changes take "2 to 7 minutes or longer" (gcp-api.md 11), verify --wait
 * waits 10 minutes by default. Past it, propagation is no longer the explanation.
 */
export const PROPAGATION_WINDOW_MS = 10 * 60_000;
/** The phrase every past-the-window verdict carries (verify's settle() recognises it). */
export const PAST_WINDOW = 'past the propagation window';

export interface EntryExpect {
  signinOrigin: string;
  oauthClientId: string;
  redirectUri: string;
  /** This setup's provider, locations/global/workforcePools/P/providers/X (optional in IAP's request). */
  provider?: string;
  /** Time since init last wrote (or confirmed) the IAP settings, when the state file records it. */
  settingsAgeMs?: number;
  /**
   * Where init wrote them (service or project), the IAP resource name, and the commands that move a service-level setup
   * to project level.
   */
  scope?: 'service' | 'project';
  settingsResource?: string;
  projectScopeCommand?: string;
}

/** IAP still sends people to accounts.google.com: propagating within the window, a diagnosis after it. */
function googleSigninVerdict(expect: EntryExpect): Outcome {
  const age = expect.settingsAgeMs;
  if (age === undefined || age < PROPAGATION_WINDOW_MS) {
    return propagating(
      'IAP still sends people to Google sign-in (accounts.google.com), not to your workforce pool: the ' +
        'workforce settings have not reached IAP yet',
      SETTLE,
    );
  }
  const minutes = Math.floor(age / 60_000);
  const where = expect.scope === 'project' ? 'on the project' : 'on the service';
  const detail =
    `IAP still sends people to Google sign-in (accounts.google.com), not to your workforce pool, ${minutes} ` +
    'minutes after init wrote the workforce settings ' +
    `${where}${expect.settingsResource ? ` (${expect.settingsResource})` : ''}: that is ${PAST_WINDOW} (changes ` +
    'take 2 to 7 minutes), so IAP is not using these settings';
  if (expect.scope !== 'project') {
    return failed(
      detail,
      'use project-level IAP settings, the level public reports of working setups use (every IAP app of the ' +
        'project then signs in through this pool): ' +
        (expect.projectScopeCommand ??
          'iap-auth0 destroy --force --keep deploy,auth0-app,workforce-pool,oauth-client && ' +
            'iap-auth0 init --scope project --yes'),
    );
  }
  return failed(
    detail,
    'look for workforce settings on the service or its region ' +
      "(projects/NUMBER/iap_web/cloud_run-REGION[/services/NAME]) that override the project's; if there are " +
      'none, attach iap-auth0 verify --report FILE to a bug report',
  );
}

/** Hop 1: an unauthenticated GET of the service URL. */
export function entryVerdict(a: HopAnswer, base: string, expect: EntryExpect): Verdict {
  const text = pageText(a.text);
  if (redirected(a)) {
    const to = new URL(a.location!, base);
    if (to.origin + to.pathname === `${expect.signinOrigin}/authorize`) {
      const kind = 'iap-redirect-to-workforce-signin';
      const client = to.searchParams.get('client_id');
      if (client !== expect.oauthClientId)
        return {
          kind,
          end: propagating(`IAP sends sign-in to OAuth client ${client}, not ${expect.oauthClientId}`, SETTLE),
        };
      if (to.searchParams.get('redirect_uri') !== expect.redirectUri)
        return {
          kind,
          end: failed(
            `IAP's redirect_uri is ${to.searchParams.get('redirect_uri')}, not ${expect.redirectUri}`,
            'run iap-auth0 init',
          ),
        };
      // provider_name is optional (IAP Desktop sends it, a public smoke test treats it as optional).
      // Naming another pool means IAP still acts on older settings; another provider of our pool is
      // judged where the chain ends (a chooser may still offer ours).
      const named = to.searchParams.get('provider_name');
      if (
        named !== null &&
        expect.provider &&
        named !== expect.provider &&
        !named.startsWith(`${expect.provider.replace(/\/providers\/[^/]+$/, '')}/providers/`)
      ) {
        return { kind, end: propagating(`IAP hands sign-in to ${named}, not to ${expect.provider}`, SETTLE) };
      }
      return { kind, next: to };
    }
    if (to.hostname === 'accounts.google.com')
      return { kind: 'iap-redirect-to-google-signin', end: googleSigninVerdict(expect) };
    return {
      kind: 'redirect-elsewhere',
      end: failed(
        `the service redirects to ${to.origin}${to.pathname}, not to Google's workforce sign-in`,
        'something in front of the service (a load balancer, the app itself) redirects first; check the URL',
      ),
    };
  }
  if (/IAP service account is not provisioned/i.test(text)) {
    return {
      kind: 'iap-not-provisioned-page',
      end: failed(
        'IAP answers "The IAP service account is not provisioned"',
        'generate it: gcloud beta services identity create --service=iap.googleapis.com --project PROJECT, ' +
          'then run iap-auth0 init',
      ),
    };
  }
  if (a.status >= 200 && a.status < 300) {
    return {
      kind: 'app-without-sign-in',
      end: failed(
        `the app answered ${a.status} without any sign-in: anyone on the internet can reach it`,
        'IAP is off and the service is public; run iap-auth0 init (switches IAP on, removes allUsers)',
      ),
    };
  }
  if (a.status === 403 && !a.iapGenerated) {
    return {
      kind: 'cloud-run-forbidden',
      end: failed(
        'Cloud Run answered 403 Forbidden before any sign-in: IAP is not in front of the service, so Cloud ' +
          "Run's own IAM refused the anonymous request",
        'run iap-auth0 init (switches IAP back on); if it was just switched on, run verify --wait',
      ),
    };
  }
  if (a.status === 404)
    return {
      kind: 'cloud-run-not-found',
      end: failed(
        'Cloud Run answered 404: the service does not exist, or its ingress does not admit internet traffic',
        'run iap-auth0 init',
      ),
    };
  const snippet = text.slice(0, 160);
  return {
    kind: a.iapGenerated ? 'iap-error-page' : 'error-page',
    end: failed(
      `the service answered ${a.status}${snippet ? `: ${snippet}` : ''}`,
      a.iapGenerated
        ? 'IAP itself refused: check the IAP settings check above, then run iap-auth0 init'
        : 'run iap-auth0 init',
    ),
  };
}

export interface SigninExpect {
  auth0Domain: string;
  auth0ClientId: string;
  callback: string;
  /** The sign-in origin (hops that stay on it are followed) and this setup's provider. */
  signinOrigin?: string;
  provider?: string;
  /** The provider IAP's request named, if any (for the messages). */
  providerNamed?: string | null;
}

/** " (IAP named provider X)" when IAP's request named another provider than ours. */
const namedOther = (e: SigninExpect) =>
  e.providerNamed && e.provider && e.providerNamed !== e.provider ? ` (IAP named provider ${e.providerNamed})` : '';

const SIGNIN_PROVIDER_PATH = /^\/signin\/(locations\/global\/workforcePools\/[^/]+\/providers\/[^/]+)$/;

/** Hops 2…: Google's workforce sign-in (/authorize, then any hop that stays on its origin). */
export function signinVerdict(a: HopAnswer, base: string, expect: SigninExpect): Verdict {
  const text = pageText(a.text);
  if (redirected(a)) {
    const to = new URL(a.location!, base);
    if (expect.signinOrigin && to.origin === expect.signinOrigin) return signinOriginHop(to, expect);
    return idpRedirectVerdict(to, expect);
  }
  const errorPage = oauthErrorPage(text) ?? workforceErrorPage(text);
  if (errorPage) return errorPage;
  if (a.status === 200) {
    const chooser = chooserVerdict(a, base, expect);
    if (chooser) return chooser;
    return {
      kind: 'workforce-page',
      end: ok("reached Google's workforce sign-in page (it did not redirect without a browser; not followed further)"),
    };
  }
  return {
    kind: 'error-page',
    end: failed(`Google's workforce sign-in answered ${a.status}: ${text.slice(0, 160)}`, 'run iap-auth0 init'),
  };
}

/** A hop on the sign-in origin (e.g. /signin/{provider}, as Google's SSO links and IAP Desktop use): followed. */
function signinOriginHop(to: URL, expect: SigninExpect): Verdict {
  let path = to.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    /* keep it encoded */
  }
  const p = SIGNIN_PROVIDER_PATH.exec(path);
  if (p && expect.provider && p[1] !== expect.provider) {
    return {
      kind: 'workforce-redirect',
      end: failed(
        `Google's workforce sign-in hands off to provider ${p[1]}, not ${expect.provider}`,
        'the pool has another provider that IAP picks first: disable or delete it, or run iap-auth0 init',
      ),
    };
  }
  return { kind: 'workforce-redirect', next: to };
}

/** Google's workforce sign-in sending people on to the identity provider: Auth0, with this setup's app. */
function idpRedirectVerdict(to: URL, expect: SigninExpect): Verdict {
  const kind = 'workforce-redirect-to-idp';
  if (to.host !== expect.auth0Domain) {
    if (to.hostname === 'accounts.google.com')
      return {
        kind,
        end: failed(
          `Google's workforce sign-in sends people on to Google's own sign-in (${to.origin}), not to Auth0 ` +
            `at ${expect.auth0Domain}${namedOther(expect)}`,
          'the provider is not an OIDC provider for your tenant; run iap-auth0 init',
        ),
      };
    return {
      kind,
      end: failed(
        `Google sends sign-in to ${to.origin}, not to Auth0 at ${expect.auth0Domain}${namedOther(expect)}`,
        namedOther(expect)
          ? 'the pool has another provider that IAP picks first: disable or delete it, or run iap-auth0 init'
          : "the provider's issuer points elsewhere; run iap-auth0 init",
      ),
    };
  }
  const client = to.searchParams.get('client_id');
  if (client !== expect.auth0ClientId)
    return {
      kind,
      end: failed(
        `Google signs in with Auth0 client ${client}, not the recorded app ` +
          `${expect.auth0ClientId}${namedOther(expect)}`,
        namedOther(expect)
          ? 'the pool has another provider that IAP picks first: disable or delete it, or run iap-auth0 init'
          : 'run iap-auth0 init (points the provider back at the app)',
      ),
    };
  if (to.searchParams.get('redirect_uri') !== expect.callback)
    return {
      kind,
      end: failed(
        `Google's callback is ${to.searchParams.get('redirect_uri')}, not ${expect.callback}`,
        'run iap-auth0 init',
      ),
    };
  return { kind, next: to };
}

/** Google's OAuth error page ("Error 400: redirect_uri_mismatch"), in words and with its fix. */
function oauthErrorPage(text: string): Verdict | undefined {
  const oauth = /Error\s+(\d{3}):\s*([a-z_]+)/.exec(text);
  if (!oauth) return undefined;
  const [, , code] = oauth;
  const why: Record<string, [string, string]> = {
    redirect_uri_mismatch: [
      "Google refused IAP's sign-in request: redirect_uri_mismatch (the OAuth client's allowed redirect " +
        "URIs lack IAP's handler)",
      'run iap-auth0 init (puts the redirect URI back)',
    ],
    invalid_client: [
      "Google refused IAP's sign-in request: invalid_client (the OAuth client was deleted, disabled or " +
        'never existed)',
      'run iap-auth0 init',
    ],
    unauthorized_client: [
      "Google refused IAP's sign-in request: the OAuth client may not use the authorization code grant",
      'run iap-auth0 init',
    ],
  };
  const [detail, hint] = why[code] ?? [`Google refused IAP's sign-in request: ${code}`, 'run iap-auth0 init'];
  return { kind: 'oauth-error-page', end: failed(detail, hint) };
}

/** The workforce sign-in's own error page ("Unable to sign in … code: description"), with the likely fix. */
function workforceErrorPage(text: string): Verdict | undefined {
  const sts = /Unable to sign in.*?\b([a-z_]+): (.+?)(?: Sign-in|$)/.exec(text);
  if (!sts) return undefined;
  const desc = sts[2].trim();
  const hint = /issuer/i.test(desc)
    ? "the provider's issuer must equal Auth0's discovery issuer byte for byte (trailing slash included); run " +
      'iap-auth0 init'
    : /disabled/i.test(desc)
      ? 'enable the pool and provider again (gcloud iam workforce-pools update … --no-disabled), or run ' +
        'iap-auth0 init'
      : /organization/i.test(desc)
        ? 'the pool must be in the same organization as the project; choose another --pool'
        : 'run iap-auth0 init';
  return { kind: 'workforce-error-page', end: failed(`Google's workforce sign-in stops: ${sts[1]}: ${desc}`, hint) };
}

/**
 * A provider chooser: a page linking to /signin/{provider}, or a form asking for a provider name
 * (what Google's console sign-in shows without one: workforce-console-sso doc). Ours is picked the
 * way a person would: its link, else the form filled with its name; else the walk ends saying what
 * the page offered.
 */
export function chooserVerdict(a: HopAnswer, base: string, expect: SigninExpect): Verdict | undefined {
  const links = chooserLinks(a.text, base);
  const form = chooserForm(a.text, base);
  if (!links.length && !form) return undefined;
  const kind = 'provider-chooser';
  const mine = expect.provider ? links.find((l) => l.provider === expect.provider) : undefined;
  if (mine) return { kind, next: new URL(mine.url) };
  if (form && expect.provider) {
    const sent = form.submit(expect.provider);
    return {
      kind,
      next: new URL(sent.url),
      ...(sent.body !== undefined ? { method: 'POST' as const, body: sent.body } : {}),
    };
  }
  const offered = links.length
    ? `offering ${[...new Set(links.map((l) => l.provider))].join(', ')}`
    : 'offering no provider';
  return {
    kind,
    end: failed(
      `Google's workforce sign-in showed a provider chooser ${offered}, not ` +
        `${expect.provider ?? "this setup's provider"}${namedOther(expect)}`,
      'IAP did not hand the sign-in to your ' +
        `provider${expect.providerNamed === null ? ' (its request named no provider_name)' : ''}: check the ` +
        'workforce-provider check above (the provider must be active and enabled), open the service URL in a ' +
        'browser to see the page, and attach iap-auth0 verify --report FILE to a bug report',
    ),
  };
}

/** Hop 3: Auth0's /authorize; hop 4 is the login page it sends to. */
export function auth0Verdict(a: HopAnswer, base: string, expect: { callback: string; auth0ClientId: string }): Verdict {
  const text = pageText(a.text);
  if (redirected(a)) {
    const to = new URL(a.location!, base);
    const err = to.searchParams.get('error');
    if (err)
      return {
        kind: 'auth0-error-redirect',
        end: failed(
          'Auth0 refused the sign-in request: ' +
            `${err}${to.searchParams.get('error_description') ? `: ${to.searchParams.get('error_description')}` : ''}`,
          "check the app's grant types and connections in the Auth0 dashboard, or run iap-auth0 init",
        ),
      };
    if (/^\/(u\/login|login)/.test(to.pathname)) return { kind: 'auth0-redirect-to-login', next: to };
    return {
      kind: 'auth0-redirect-elsewhere',
      end: failed(
        `Auth0 redirected to ${to.origin}${to.pathname} instead of its login page`,
        'an Auth0 session or rule may interfere; check the tenant',
      ),
    };
  }
  if (/Callback URL mismatch/i.test(text)) {
    return {
      kind: 'auth0-callback-mismatch-page',
      end: failed(
        `Auth0 answers "Callback URL mismatch": ${expect.callback} is not in the app's Allowed Callback URLs`,
        'run iap-auth0 init (adds it back), or paste it into Allowed Callback URLs in the Auth0 dashboard',
      ),
    };
  }
  if (/Unknown client/i.test(text))
    return {
      kind: 'auth0-unknown-client-page',
      end: failed(
        `Auth0 does not know client ${expect.auth0ClientId}: the app was deleted`,
        'run iap-auth0 init (creates the app again and points the provider at it)',
      ),
    };
  return {
    kind: 'auth0-error-page',
    end: failed(
      `Auth0's /authorize answered ${a.status}: ${text.slice(0, 160)}`,
      'check the app in the Auth0 dashboard',
    ),
  };
}

/** Hop 4: the login page must be a page with a password form (or identifier-first form). */
export function loginPageVerdict(a: HopAnswer, via: string[] = []): Outcome {
  const signin = via.length ? `Google workforce sign-in (${via.join(' → ')})` : 'Google workforce sign-in';
  if (a.status === 200 && /<form\b/i.test(a.text))
    return ok(`unauthenticated GET → ${signin} → Auth0 /authorize → Auth0 login page`);
  return failed(
    `Auth0's login page answered ${a.status} without a form`,
    'check Universal Login in the Auth0 dashboard',
  );
}

/** What the login page was, for verify --report. */
export const loginPageKind = (a: HopAnswer) =>
  a.status === 200 && /<form\b/i.test(a.text) ? 'auth0-login-form' : 'auth0-login-page-without-form';
