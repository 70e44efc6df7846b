// What each hop of the sign-in chain answered, read the way a person would read the page: pure
// functions from (status, Location, headers, body) to a verdict, so every known failure page is
// recognised in one place and tested without a network (auth0.md 4.3, gcp-api.md 10.1 and 12).
import { pageText } from '../../lib/browserless.js';
import { ok, failed, propagating, type Outcome } from '../check.js';

export interface HopAnswer { status: number; location?: string; iapGenerated: boolean; text: string }

export type Verdict = { next: URL } | { end: Outcome };

const redirected = (a: HopAnswer) => a.status >= 300 && a.status < 400 && !!a.location;
const SETTLE = 'IAM and IAP changes take 2 to 7 minutes to apply after init; run iap-auth0 verify --wait 10m';

/** Hop 1: an unauthenticated GET of the service URL. */
export function entryVerdict(a: HopAnswer, base: string, expect: { signinOrigin: string; oauthClientId: string; redirectUri: string }): Verdict {
  const text = pageText(a.text);
  if (redirected(a)) {
    const to = new URL(a.location!, base);
    if (to.origin + to.pathname === `${expect.signinOrigin}/authorize`) {
      const client = to.searchParams.get('client_id');
      if (client !== expect.oauthClientId) return { end: propagating(`IAP sends sign-in to OAuth client ${client}, not ${expect.oauthClientId}`, SETTLE) };
      if (to.searchParams.get('redirect_uri') !== expect.redirectUri) return { end: failed(`IAP's redirect_uri is ${to.searchParams.get('redirect_uri')}, not ${expect.redirectUri}`, 'run iap-auth0 init') };
      return { next: to };
    }
    if (to.hostname === 'accounts.google.com') return { end: propagating('IAP still sends people to Google sign-in (accounts.google.com), not to your workforce pool: the workforce settings have not reached IAP yet', SETTLE) };
    return { end: failed(`the service redirects to ${to.origin}${to.pathname}, not to Google's workforce sign-in`, 'something in front of the service (a load balancer, the app itself) redirects first; check the URL') };
  }
  if (/IAP service account is not provisioned/i.test(text)) {
    return { end: failed('IAP answers "The IAP service account is not provisioned"', 'generate it: gcloud beta services identity create --service=iap.googleapis.com --project PROJECT, then run iap-auth0 init') };
  }
  if (a.status >= 200 && a.status < 300) {
    return { end: failed(`the app answered ${a.status} without any sign-in: anyone on the internet can reach it`, 'IAP is off and the service is public; run iap-auth0 init (switches IAP on, removes allUsers)') };
  }
  if (a.status === 403 && !a.iapGenerated) {
    return { end: failed('Cloud Run answered 403 Forbidden before any sign-in: IAP is not in front of the service, so Cloud Run\'s own IAM refused the anonymous request', 'run iap-auth0 init (switches IAP back on); if it was just switched on, run verify --wait') };
  }
  if (a.status === 404) return { end: failed('Cloud Run answered 404: the service does not exist, or its ingress does not admit internet traffic', 'run iap-auth0 init') };
  const snippet = text.slice(0, 160);
  return { end: failed(`the service answered ${a.status}${snippet ? `: ${snippet}` : ''}`, a.iapGenerated ? 'IAP itself refused: check the IAP settings check above, then run iap-auth0 init' : 'run iap-auth0 init') };
}

/** Hop 2: Google's workforce sign-in /authorize. */
export function signinVerdict(a: HopAnswer, base: string, expect: { auth0Domain: string; auth0ClientId: string; callback: string }): Verdict {
  const text = pageText(a.text);
  if (redirected(a)) {
    const to = new URL(a.location!, base);
    if (to.host !== expect.auth0Domain) return { end: failed(`Google sends sign-in to ${to.origin}, not to Auth0 at ${expect.auth0Domain}`, 'the provider\'s issuer points elsewhere; run iap-auth0 init') };
    const client = to.searchParams.get('client_id');
    if (client !== expect.auth0ClientId) return { end: failed(`Google signs in with Auth0 client ${client}, not the recorded app ${expect.auth0ClientId}`, 'run iap-auth0 init (points the provider back at the app)') };
    if (to.searchParams.get('redirect_uri') !== expect.callback) return { end: failed(`Google's callback is ${to.searchParams.get('redirect_uri')}, not ${expect.callback}`, 'run iap-auth0 init') };
    return { next: to };
  }
  const oauth = /Error\s+(\d{3}):\s*([a-z_]+)/.exec(text);
  if (oauth) {
    const [, , code] = oauth;
    const why: Record<string, [string, string]> = {
      redirect_uri_mismatch: ['Google refused IAP\'s sign-in request: redirect_uri_mismatch (the OAuth client\'s allowed redirect URIs lack IAP\'s handler)', 'run iap-auth0 init (puts the redirect URI back)'],
      invalid_client: ['Google refused IAP\'s sign-in request: invalid_client (the OAuth client was deleted, disabled or never existed)', 'run iap-auth0 init'],
      unauthorized_client: ['Google refused IAP\'s sign-in request: the OAuth client may not use the authorization code grant', 'run iap-auth0 init'],
    };
    const [detail, hint] = why[code] ?? [`Google refused IAP's sign-in request: ${code}`, 'run iap-auth0 init'];
    return { end: failed(detail, hint) };
  }
  const sts = /Unable to sign in.*?\b([a-z_]+): (.+?)(?: Sign-in|$)/.exec(text);
  if (sts) {
    const desc = sts[2].trim();
    const hint = /issuer/i.test(desc) ? 'the provider\'s issuer must equal Auth0\'s discovery issuer byte for byte (trailing slash included); run iap-auth0 init'
      : /disabled/i.test(desc) ? 'enable the pool and provider again (gcloud iam workforce-pools update … --no-disabled), or run iap-auth0 init'
        : /organization/i.test(desc) ? 'the pool must be in the same organization as the project; choose another --pool'
          : 'run iap-auth0 init';
    return { end: failed(`Google's workforce sign-in stops: ${sts[1]}: ${desc}`, hint) };
  }
  if (a.status === 200) return { end: ok('reached Google\'s workforce sign-in page (it did not redirect without a browser; not followed further)') };
  return { end: failed(`Google's workforce sign-in answered ${a.status}: ${text.slice(0, 160)}`, 'run iap-auth0 init') };
}

/** Hop 3: Auth0's /authorize; hop 4 is the login page it sends to. */
export function auth0Verdict(a: HopAnswer, base: string, expect: { callback: string; auth0ClientId: string }): Verdict {
  const text = pageText(a.text);
  if (redirected(a)) {
    const to = new URL(a.location!, base);
    const err = to.searchParams.get('error');
    if (err) return { end: failed(`Auth0 refused the sign-in request: ${err}${to.searchParams.get('error_description') ? `: ${to.searchParams.get('error_description')}` : ''}`, 'check the app\'s grant types and connections in the Auth0 dashboard, or run iap-auth0 init') };
    if (/^\/(u\/login|login)/.test(to.pathname)) return { next: to };
    return { end: failed(`Auth0 redirected to ${to.origin}${to.pathname} instead of its login page`, 'an Auth0 session or rule may interfere; check the tenant') };
  }
  if (/Callback URL mismatch/i.test(text)) {
    return { end: failed(`Auth0 answers "Callback URL mismatch": ${expect.callback} is not in the app's Allowed Callback URLs`, 'run iap-auth0 init (adds it back), or paste it into Allowed Callback URLs in the Auth0 dashboard') };
  }
  if (/Unknown client/i.test(text)) return { end: failed(`Auth0 does not know client ${expect.auth0ClientId}: the app was deleted`, 'run iap-auth0 init (creates the app again and points the provider at it)') };
  return { end: failed(`Auth0's /authorize answered ${a.status}: ${text.slice(0, 160)}`, 'check the app in the Auth0 dashboard') };
}

/** Hop 4: the login page must be a page with a password form (or identifier-first form). */
export function loginPageVerdict(a: HopAnswer): Outcome {
  if (a.status === 200 && /<form\b/i.test(a.text)) return ok('unauthenticated GET → Google workforce sign-in → Auth0 /authorize → Auth0 login page');
  return failed(`Auth0's login page answered ${a.status} without a form`, 'check Universal Login in the Auth0 dashboard');
}
