// The sign-in probe's reading of each hop, without a network: every page the chain can answer
// with is recognised and explained. Pages come from the sandbox's own page builders (what the
// probe meets in tests) plus the texts users report from the real services.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  entryVerdict,
  signinVerdict,
  auth0Verdict,
  loginPageVerdict,
  type HopAnswer,
  type Verdict,
} from '../src/core/verify/probe-pages.js';
import {
  cloudRunForbidden,
  cloudRunNotFound,
  iapNotProvisioned,
  oauthErrorPage,
  signinErrorPage,
  iapMisconfigured,
  providerChooserPage,
} from '../src/sandbox/frontdoor/pages.js';
import { scrub } from '../src/core/verify/report.js';
import type { ApiResult } from '../src/sandbox/core/http.js';

const SVC = 'https://hello-abc.a.run.app/';
const SIGNIN = 'https://auth.cloud.google';
const entryExpect = {
  signinOrigin: SIGNIN,
  oauthClientId: 'cid-1',
  redirectUri: 'https://iap.googleapis.com/v1/oauth/clientIds/cid-1:handleRedirect',
};
const auth0Expect = {
  auth0Domain: 'tenant.eu.auth0.com',
  auth0ClientId: 'a0cid',
  callback: `${SIGNIN}/signin-callback/locations/global/workforcePools/p/providers/auth0`,
};
const page = (r: ApiResult, iap = false): HopAnswer => ({
  status: r.status ?? 200,
  text: r.html ?? r.text ?? '',
  iapGenerated: iap,
});
const to = (location: string, iap = true): HopAnswer => ({ status: 302, location, text: '', iapGenerated: iap });
const end = (v: Verdict) => {
  assert.ok('end' in v, `expected a verdict, got next ${'next' in v ? v.next : ''}`);
  return v.end;
};

test('hop 1, the service URL', () => {
  const good =
    `${SIGNIN}/authorize?client_id=cid-1&redirect_uri=${encodeURIComponent(entryExpect.redirectUri)}&response_t` +
    'ype=code';
  assert.equal(String((entryVerdict(to(good), SVC, entryExpect) as { next: URL }).next), good);
  const google = end(entryVerdict(to('https://accounts.google.com/o/oauth2/v2/auth?client_id=x'), SVC, entryExpect));
  assert.equal(google.status, 'propagating');
  const otherClient = end(entryVerdict(to(`${SIGNIN}/authorize?client_id=old&redirect_uri=x`), SVC, entryExpect));
  assert.equal(otherClient.status, 'propagating');
  assert.match(otherClient.detail, /OAuth client old, not cid-1/);
  const cases: [HopAnswer, RegExp, RegExp][] = [
    [
      page(iapNotProvisioned('415104041262'), true),
      /The IAP service account is not provisioned/,
      /services identity create --service=iap\.googleapis\.com/,
    ],
    [
      { status: 200, text: '<h1>Hello</h1>', iapGenerated: false },
      /without any sign-in: anyone on the internet/,
      /removes allUsers/,
    ],
    [page(cloudRunForbidden('/')), /Cloud Run answered 403 Forbidden before any sign-in/, /switches IAP back on/],
    [page(cloudRunNotFound('/')), /Cloud Run answered 404/, /iap-auth0 init/],
    [
      page(iapMisconfigured('oauth2.clientId is not set'), true),
      /answered 500.*oauth2\.clientId is not set/,
      /IAP itself refused/,
    ],
    [to('https://login.example.com/sso', false), /redirects to https:\/\/login\.example\.com\/sso/, /load balancer/],
  ];
  for (const [answer, detail, hint] of cases) {
    const o = end(entryVerdict(answer, SVC, entryExpect));
    assert.equal(o.status, 'failed');
    assert.match(o.detail, detail);
    assert.match(o.hint!, hint);
  }
});

test("hop 2, Google's workforce sign-in", () => {
  const base = `${SIGNIN}/authorize`;
  const ok =
    'https://tenant.eu.auth0.com/authorize?client_id=a0cid&redirect_uri=' +
    `${encodeURIComponent(auth0Expect.callback)}`;
  assert.ok('next' in signinVerdict(to(ok, false), base, auth0Expect));
  const cases: [HopAnswer, RegExp, RegExp][] = [
    [page(oauthErrorPage(400, 'redirect_uri_mismatch', 'x')), /redirect_uri_mismatch/, /redirect URI back/],
    [
      page(oauthErrorPage(401, 'invalid_client', 'The OAuth client was disabled.')),
      /invalid_client.*deleted, disabled/,
      /init/,
    ],
    [
      page(signinErrorPage(400, 'invalid_grant', "Error connecting to the given credential's issuer.")),
      /invalid_grant: Error connecting to the given credential's issuer/,
      /byte for byte/,
    ],
    [
      page(signinErrorPage(403, 'access_denied', 'The workforce pool locations/global/workforcePools/p is disabled.')),
      /is disabled/,
      /--no-disabled/,
    ],
    [
      to('https://tenant.eu.auth0.com/authorize?client_id=other&redirect_uri=x', false),
      /Auth0 client other, not the recorded app a0cid/,
      /points the provider back/,
    ],
    [
      to('https://evil.example.com/authorize?client_id=a0cid', false),
      /not to Auth0 at tenant\.eu\.auth0\.com/,
      /issuer points elsewhere/,
    ],
  ];
  for (const [answer, detail, hint] of cases) {
    const o = end(signinVerdict(answer, base, auth0Expect));
    assert.equal(o.status, 'failed', o.detail);
    assert.match(o.detail, detail);
    assert.match(o.hint!, hint);
  }
  // A page that cannot be followed without a browser is not a failure.
  assert.equal(
    end(
      signinVerdict({ status: 200, text: '<script>location.href=x</script>', iapGenerated: false }, base, auth0Expect),
    ).status,
    'ok',
  );
});

test('hops 3 and 4, Auth0', () => {
  const base = 'https://tenant.eu.auth0.com/authorize?client_id=a0cid';
  for (const loc of [
    '/u/login?state=abc',
    '/u/login/identifier?state=abc',
    'https://tenant.eu.auth0.com/login?state=x&client=a0cid',
  ]) {
    assert.ok('next' in auth0Verdict(to(loc, false), base, auth0Expect), loc);
  }
  // Auth0's generic error pages, as users report them (auth0.md 4.3).
  const mismatch = end(
    auth0Verdict(
      {
        status: 400,
        iapGenerated: false,
        text:
          '<title>Error</title><p>Callback URL mismatch. The provided redirect_uri is not in the list of ' +
          'allowed callback URLs.</p>',
      },
      base,
      auth0Expect,
    ),
  );
  assert.match(
    mismatch.detail,
    new RegExp(
      /"Callback URL mismatch": https:\/\/auth\.cloud\.google\/signin-callback\/.* is not in the app's /.source +
        /Allowed Callback URLs/.source,
    ),
  );
  assert.match(mismatch.hint!, /Allowed Callback URLs/);
  assert.match(
    end(
      auth0Verdict(
        {
          status: 400,
          iapGenerated: false,
          text: 'Oops!, something went wrong. invalid_request: Unknown client: a0cid',
        },
        base,
        auth0Expect,
      ),
    ).detail,
    /does not know client a0cid/,
  );
  assert.match(
    end(
      auth0Verdict(
        to(`${auth0Expect.callback}?error=unauthorized_client&error_description=Grant+type+not+allowed`, false),
        base,
        auth0Expect,
      ),
    ).detail,
    /unauthorized_client: Grant type not allowed/,
  );
  assert.equal(
    loginPageVerdict({ status: 200, iapGenerated: false, text: '<form method="post"><input name="password"></form>' })
      .status,
    'ok',
  );
  assert.equal(loginPageVerdict({ status: 500, iapGenerated: false, text: 'oops' }).status, 'failed');
});

test(
  "a provider chooser (the sandbox's own page): ours is picked by its link, or typed into the form; without it, " +
    'what it offered',
  () => {
    const ours = 'locations/global/workforcePools/p/providers/auth0';
    const okta = 'locations/global/workforcePools/p/providers/okta';
    const expect = { ...auth0Expect, signinOrigin: SIGNIN, provider: ours, providerNamed: ours };
    const link = (p: string) =>
      `${SIGNIN}/signin/${p}?continueUrl=${encodeURIComponent(`${SIGNIN}/authorize?client_id=cid-1&state=s`)}`;
    const base = `${SIGNIN}/authorize?client_id=cid-1`;
    const both = signinVerdict(
      page(
        providerChooserPage([
          { name: okta, displayName: 'Okta', href: link(okta) },
          { name: ours, displayName: 'Auth0', href: link(ours) },
        ]),
      ),
      base,
      expect,
    );
    assert.equal(both.kind, 'provider-chooser');
    assert.equal(String((both as { next: URL }).next), link(ours));
    // Without a pool the sandbox asks for the provider name: the form is filled with ours.
    const form = signinVerdict(
      page(providerChooserPage([], { action: '/signin', continueUrl: `${SIGNIN}/authorize?x=1` })),
      base,
      expect,
    ) as { next: URL; method?: string };
    assert.equal(form.next.origin + form.next.pathname, `${SIGNIN}/signin`);
    assert.equal(form.next.searchParams.get('provider'), ours);
    assert.equal(form.next.searchParams.get('continueUrl'), `${SIGNIN}/authorize?x=1`);
    assert.equal(form.method, undefined, 'a GET form');
    const only = end(signinVerdict(page(providerChooserPage([{ name: okta, href: link(okta) }])), base, expect));
    assert.equal(only.status, 'failed');
    assert.equal(only.detail, `Google's workforce sign-in showed a provider chooser offering ${okta}, not ${ours}`);
    const none = end(
      signinVerdict(page(providerChooserPage([{ name: okta, href: link(okta) }])), base, {
        ...expect,
        providerNamed: null,
      }),
    );
    assert.match(none.hint!, /its request named no provider_name/);
    // A same-origin redirect is followed; one naming another provider is not.
    assert.ok('next' in signinVerdict(to(link(ours), false), base, expect));
    assert.match(
      end(signinVerdict(to(link(okta), false), base, expect)).detail,
      /hands off to provider .*okta, not .*auth0/,
    );
  },
);

test('the report scrub: no sign-in value survives, names stay', () => {
  const text = JSON.stringify({
    detail: 'went to https://x/cb?code=4/abc-DEF&state=xyz123 then nonce=n0nce and continueUrl=https%3A%2F%2Fy',
    query: ['code', 'state'],
  });
  const out = scrub(text);
  for (const v of ['4/abc-DEF', 'xyz123', 'n0nce', 'https%3A%2F%2Fy']) assert.ok(!out.includes(v), v);
  assert.match(out, /code=\[redacted\]&state=\[redacted\]/);
  assert.deepEqual(JSON.parse(out).query, ['code', 'state']);
});
