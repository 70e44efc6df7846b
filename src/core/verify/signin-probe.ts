// The sign-in probe: what a browser sees before anyone types a password. An unauthenticated GET of
// the service URL, then each redirect by hand (never following blindly), from a fresh cookie jar:
// service → Google's workforce sign-in /authorize → Auth0 /authorize → Auth0's login page. Each
// hop's answer is judged by probe-pages.ts. No credentials, no browser.
import { Browserless, type FetchLike } from '../../lib/browserless.js';
import { IAP_REDIRECT_URI } from '../../lib/ids.js';
import { runCheck, type CheckResult, type Outcome } from '../check.js';
import { entryVerdict, signinVerdict, auth0Verdict, loginPageVerdict, type HopAnswer, type Verdict } from './probe-pages.js';

export interface ProbeTarget {
  serviceUrl: string; signinOrigin: string; oauthClientId: string;
  auth0Domain: string; auth0ClientId: string; callback: string;
}

export function probeSignin(t: ProbeTarget, opts: { signal?: AbortSignal; fetch?: FetchLike } = {}): Promise<CheckResult> {
  return runCheck('signin', 'signin-probe', 'Sign-in probe', () => probe(t, opts), undefined, opts.signal);
}

async function probe(t: ProbeTarget, opts: { signal?: AbortSignal; fetch?: FetchLike }): Promise<Outcome> {
  const signal = AbortSignal.any([AbortSignal.timeout(30_000), ...(opts.signal ? [opts.signal] : [])]);
  const b = new Browserless({ fetch: opts.fetch, signal });
  const hop = async (url: string): Promise<HopAnswer> => {
    const res = await b.request(url);
    return { status: res.status, location: res.headers.get('location') ?? undefined, iapGenerated: res.headers.get('x-goog-iap-generated-response') === 'true', text: await res.text() };
  };
  const steps: ((a: HopAnswer, base: string) => Verdict)[] = [
    (a, base) => entryVerdict(a, base, { signinOrigin: t.signinOrigin, oauthClientId: t.oauthClientId, redirectUri: IAP_REDIRECT_URI(t.oauthClientId) }),
    (a, base) => signinVerdict(a, base, { auth0Domain: t.auth0Domain, auth0ClientId: t.auth0ClientId, callback: t.callback }),
    (a, base) => auth0Verdict(a, base, { callback: t.callback, auth0ClientId: t.auth0ClientId }),
  ];
  let url = `${t.serviceUrl.replace(/\/+$/, '')}/`;
  for (const judge of steps) {
    const v = judge(await hop(url), url);
    if ('end' in v) return v.end;
    url = v.next.toString();
  }
  return loginPageVerdict(await hop(url));
}
