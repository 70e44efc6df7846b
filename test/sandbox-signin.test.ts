// The browser sign-in chain end to end, without a browser: the world is built only through the
// real clients (as `iap-auth0 init` will), then the test user walks from the Cloud Run URL through
// IAP, the workforce sign-in origin, Auth0's login form, STS and IAP's redirect handler to the app,
// whose IAP JWT must verify against the published JWKS. Then each known way to break the chain,
// asserted by status and by the text a person would read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { useSandbox, control, requestLog } from './helpers/sandbox.js';
import { Browserless, pageText, type Page } from './helpers/browserless.js';
import { SigninWorld, PLACEHOLDER_REDIRECT, POOL, PROVIDER } from './helpers/signin-world.js';
import { installGroupsAction } from './helpers/groups-action.js';
import { checkCondition, mapAttributes } from '../src/sandbox/frontdoor/attribute-mapping.js';

// Propagation of a minute, ended by moving the sandbox clock (w.settle()): "not visible before
// propagation" then holds however slowly a loaded machine runs the test.
const sb = await useSandbox({ propagationMs: 60_000 });
const w = new SigninWorld(sb);
// Group grants need the groups claim, which only a post-login Action adds (Alice holds the role iap-users).
await installGroupsAction(w.mgmt);
const user = sb.env.IAP_AUTH0_TEST_USER_EMAIL;
const password = sb.env.IAP_AUTH0_TEST_USER_PASSWORD;
const signinOrigin = sb.env.IAP_AUTH0_SIGNIN_ORIGIN;
const text = (p: Page) => pageText(p.text);
const origin = (u: string) => new URL(u).origin;

test('attribute mapping and condition: CEL over assertion, google.* and attribute.*', () => {
  const claims = { sub: 'auth0|abc', email: 'a@x.example', 'https://iap-auth0.dev/groups': ['iap-users'], dept: 'eng' };
  const m = mapAttributes(
    {
      'google.subject': 'assertion.sub.extract("auth0|{id}")',
      'google.email': 'assertion.email',
      'google.groups': 'assertion["https://iap-auth0.dev/groups"]',
      'attribute.dept': 'assertion.dept',
      'attribute.missing': 'assertion.nope',
    },
    claims,
  );
  assert.ok(m.ok);
  assert.equal(m.identity.subject, 'abc');
  assert.deepEqual(m.identity.groups, ['iap-users']);
  assert.deepEqual(m.identity.attributes, { dept: ['eng'] });
  assert.deepEqual(
    checkCondition(
      'google.subject == "abc" && attribute.dept == "eng" && "iap-users" in google.groups',
      claims,
      m.identity,
    ),
    { ok: true },
  );
  const no = checkCondition('assertion.email.endsWith("@y.example")', claims, m.identity);
  assert.ok(!no.ok && no.description === 'The given credential is rejected by the attribute condition.');
  const long = mapAttributes({ 'google.subject': 'assertion.sub' }, { sub: 'x'.repeat(128) });
  assert.ok(!long.ok && /exceeds the 127 bytes limit/.test(long.description));
  const none = mapAttributes({ 'google.email': 'assertion.email' }, claims);
  assert.ok(!none.ok && /google\.subject/.test(none.description));
});

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
test('browser sign-in chain', async (t) => {
  await t.test('before the IAP agent exists: "The IAP service account is not provisioned"', async () => {
    await w.project();
    await w.enableApis();
    await w.createRuntimeSa();
    const uri = await w.createService('hello', { iapEnabled: true });
    assert.match(uri, /^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await new Browserless().go(`${uri}/`);
    assert.equal(res.status, 500);
    assert.match(text(res), /The IAP service account is not provisioned/);
  });

  await t.test('agent generated, no workforce settings: Google identity, 302 to accounts.google.com', async () => {
    await w.generateIapAgent();
    const res = await new Browserless().go(`${w.uri('hello')}/`);
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('x-goog-iap-generated-response'), 'true');
    assert.equal(new URL(res.headers.get('location')!).host, 'accounts.google.com');
  });

  await t.test(
    'the rest of init: invoker, Auth0 app, pool, provider, OAuth client, credential, settings, access',
    async () => {
      await w.runInvoker('hello', w.agent, true);
      await w.createAuth0App();
      assert.match(await w.discoverIssuer(), /^https:\/\/127\.0\.0\.1:\d+\/$/);
      await w.createPoolAndProvider();
      await w.createOauthClient();
      await w.setRedirectUris([w.redirectUri()]);
      await w.createCredential();
      await w.setIapSettings('hello');
      await w.iapAccess('hello', `principalSet://iam.googleapis.com/${w.poolName}/*`, true);
      await w.settle();
    },
  );

  await t.test(
    'unauthenticated GET: 302 to {signin}/authorize with the IAP client, its redirect URI and the provider',
    async () => {
      const b = new Browserless();
      // A forged assertion changes nothing: IAP strips it and redirects.
      const res = await b.request(`${w.uri('hello')}/some/path?x=1`, {
        headers: { 'x-goog-iap-jwt-assertion': 'forged.jwt.value' },
      });
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('x-goog-iap-generated-response'), 'true');
      const loc = new URL(res.headers.get('location')!);
      assert.equal(loc.origin + loc.pathname, `${signinOrigin}/authorize`);
      assert.equal(loc.searchParams.get('client_id'), w.clientId);
      assert.equal(
        loc.searchParams.get('redirect_uri'),
        `https://iap.googleapis.com/v1/oauth/clientIds/${w.clientId}:handleRedirect`,
      );
      assert.equal(loc.searchParams.get('response_type'), 'code');
      assert.equal(loc.searchParams.get('scope'), 'openid email');
      assert.equal(
        loc.searchParams.get('provider_name'),
        `locations/global/workforcePools/${POOL}/providers/${PROVIDER}`,
      );
      assert.ok((loc.searchParams.get('state') ?? '').length > 20);
    },
  );

  await t.test('XMLHttpRequest without a session: 401', async () => {
    const res = await new Browserless().request(`${w.uri('hello')}/api/data`, {
      headers: { 'x-requested-with': 'XMLHttpRequest' },
    });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('x-goog-iap-generated-response'), 'true');
  });

  const alice = new Browserless();
  await t.test('the test user signs in and reaches the app, which shows the verified email', async () => {
    const since = (await requestLog(sb)).at(-1)?.seq ?? 0;
    const page = await alice.signIn(`${w.uri('hello')}/reports/q3?view=full`, user, password);
    assert.equal(page.status, 200, `ended at ${page.url}: ${text(page).slice(0, 300)}`);
    assert.equal(page.url, `${w.uri('hello')}/reports/q3?view=full`);
    assert.match(text(page), /Hello from hello/);
    assert.match(text(page), new RegExp(`Signed in as ${user.replace('.', '\\.')} \\(IAP assertion verified\\)`));
    // Every hop on its own origin, in the documented order.
    const origins = page.hops.map((h) => origin(h.url));
    const auth0 = `https://${sb.env.AUTH0_DOMAIN}`;
    const firstOf = (o: string) => origins.indexOf(o);
    assert.ok(
      firstOf(w.uri('hello')) === 0 && firstOf(signinOrigin) > 0 && firstOf(auth0) > firstOf(signinOrigin),
      origins.join(' '),
    );
    const callback = page.hops.find((h) =>
      h.url.startsWith(
        `${signinOrigin}/signin-callback/locations/global/workforcePools/${POOL}/providers/${PROVIDER}?`,
      ),
    );
    assert.ok(callback && callback.status === 302);
    const handler = page.hops.find(
      (h) => new URL(h.url).pathname === `/v1/oauth/clientIds/${w.clientId}:handleRedirect`,
    );
    assert.ok(
      handler &&
        handler.status === 302 &&
        origin(handler.url) !== signinOrigin &&
        origin(handler.url) !== w.uri('hello'),
    );
    const back = page.hops.find((h) => h.url.includes('gcp-iap-mode=AUTHENTICATING&redirect_token_v2='));
    assert.ok(back?.url.startsWith(`${w.uri('hello')}/reports/q3?`));
    assert.ok(
      alice.jar.names().some((n) => /^__Host-GCP_IAP_AUTH_TOKEN_[0-9A-F]{16}$/.test(n)),
      alice.jar.names().join(','),
    );
    assert.ok(alice.jar.names().includes('GCP_IAP_UID'));
    const log = (await requestLog(sb, since)).map((r) => r.api);
    assert.ok(log.includes('frontdoor') && log.includes('signin'));
  });

  await t.test('the IAP JWT verifies against IAP_AUTH0_IAP_JWKS_URL with the right aud, iss and claims', async () => {
    const jwks = (await (await fetch(sb.env.IAP_AUTH0_IAP_JWKS_URL)).json()) as { keys: Record<string, string>[] };
    assert.ok(jwks.keys.length >= 1);
    for (const k of jwks.keys) {
      assert.equal(k.kty, 'EC');
      assert.equal(k.crv, 'P-256');
      assert.equal(k.alg, 'ES256');
      assert.ok(k.kid && k.x && k.y);
    }
    const res = await alice.go(`${w.uri('hello')}/__app/whoami`);
    assert.equal(res.status, 200);
    const who = JSON.parse(res.text);
    assert.equal(who.verified, true);
    // gcp-api.md 10.3: /projects/{PROJECT_NUMBER}/locations/{REGION}/services/{SERVICE}, for the seeded project.
    const aud = '/projects/415104041262/locations/europe-west1/services/hello';
    assert.equal(who.audience, aud, 'the app checks the audience IAP signs');
    const header = decodeProtectedHeader(who.assertion);
    assert.equal(header.alg, 'ES256');
    assert.ok(jwks.keys.some((k) => k.kid === header.kid));
    const { payload } = await jwtVerify(who.assertion, createRemoteJWKSet(new URL(sb.env.IAP_AUTH0_IAP_JWKS_URL)), {
      issuer: 'https://cloud.google.com/iap',
      audience: aud,
      requiredClaims: ['exp', 'iat'],
      algorithms: ['ES256'],
    });
    assert.equal(payload.azp, aud);
    assert.equal(payload.email, user);
    assert.equal(payload.identity_source, 'WORKFORCE_IDENTITY');
    assert.equal(payload.exp! - payload.iat!, 600);
    assert.match(payload.sub!, /^sts\.google\.com:[A-Za-z0-9_-]{20,}$/);
    const wi = payload.workforce_identity as { iam_principal: string; workforce_pool_name: string };
    assert.equal(wi.workforce_pool_name, `locations/global/workforcePools/${POOL}`);
    assert.match(
      wi.iam_principal,
      new RegExp(
        `^principal://iam\\.googleapis\\.com/locations/global/workforcePools/${POOL}/subject/auth0\\|[0-9a-f]+$`,
      ),
    );
    assert.equal(who.principal, wi.iam_principal);
    assert.equal(who.audience, aud);
    assert.equal(who.headers['x-goog-authenticated-user-email'], `sts.google.com:${user}`);
    assert.equal(who.headers['x-goog-authenticated-user-id'], payload.sub);
    // The claims Google does not put in a WIF assertion.
    for (const k of ['name', 'groups', 'hd']) assert.equal(payload[k], undefined);
    // A tampered assertion does not verify.
    await assert.rejects(
      jwtVerify(who.assertion.slice(0, -4) + 'AAAA', createRemoteJWKSet(new URL(sb.env.IAP_AUTH0_IAP_JWKS_URL))),
    );
  });

  await t.test('the session cookie is reused; CLEAR_LOGIN_COOKIE signs out', async () => {
    const again = await alice.go(`${w.uri('hello')}/`);
    assert.equal(again.status, 200);
    assert.equal(again.hops.length, 1);
    const b = new Browserless();
    await b.signIn(`${w.uri('hello')}/`, user, password);
    const out = await b.go(`${w.uri('hello')}/?gcp-iap-mode=CLEAR_LOGIN_COOKIE`);
    assert.equal(out.status, 200);
    assert.match(text(out), /signed out/i);
    assert.ok(!b.jar.names().some((n) => n.startsWith('__Host-GCP_IAP_AUTH_TOKEN_')));
    const after = await b.request(`${w.uri('hello')}/`);
    assert.equal(after.status, 302);
    assert.ok(after.headers.get('location')!.startsWith(`${signinOrigin}/authorize?`));
  });

  await t.test(
    'access binding missing: "You don\'t have access"; a group binding works only after propagation',
    async () => {
      const everyone = `principalSet://iam.googleapis.com/${w.poolName}/*`;
      await w.iapAccess('hello', everyone, false);
      await w.settle();
      const denied = await alice.go(`${w.uri('hello')}/`);
      assert.equal(denied.status, 403);
      assert.equal(denied.headers.get('x-goog-iap-generated-response'), 'true');
      assert.match(text(denied), /You don't have access/);
      assert.match(text(denied), new RegExp(user.replace('.', '\\.')));
      // The groups claim (the Action's, from Alice's roles) is mapped to google.groups: bind the group only.
      await w.iapAccess('hello', `principalSet://iam.googleapis.com/${w.poolName}/group/iap-users`, true);
      const stillDenied = await alice.go(`${w.uri('hello')}/`);
      assert.equal(stillDenied.status, 403, 'a binding just written must not be visible before propagation');
      await w.settle();
      const allowed = await alice.go(`${w.uri('hello')}/`);
      assert.equal(allowed.status, 200);
      assert.match(text(allowed), /Hello from hello/);
      await w.iapAccess('hello', `principalSet://iam.googleapis.com/${w.poolName}/group/iap-users`, false);
      await w.iapAccess('hello', everyone, true);
      await w.settle();
    },
  );

  await t.test('applicationSettings.accessDeniedPageSettings.accessDeniedPageUri: denial redirects there', async () => {
    const everyone = `principalSet://iam.googleapis.com/${w.poolName}/*`;
    await w.setIapSettings('hello', w.credentialSecret, {
      accessDeniedPageSettings: { accessDeniedPageUri: 'https://denied.example.com/help' },
    });
    await w.iapAccess('hello', everyone, false);
    await w.settle();
    try {
      const res = await alice.request(`${w.uri('hello')}/`);
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('location'), 'https://denied.example.com/help');
    } finally {
      await w.setIapSettings('hello');
      await w.iapAccess('hello', everyone, true);
      await w.settle();
    }
    assert.equal((await alice.go(`${w.uri('hello')}/`)).status, 200);
  });

  await t.test('IAP agent without run.invoker: Cloud Run 403 after sign-in', async () => {
    await w.runInvoker('hello', w.agent, false);
    await w.settle();
    const res = await alice.go(`${w.uri('hello')}/x`);
    assert.equal(res.status, 403);
    assert.match(text(res), /Error: Forbidden Your client does not have permission to get URL \/x from this server\./);
    await w.runInvoker('hello', w.agent, true);
    await w.settle();
    assert.equal((await alice.go(`${w.uri('hello')}/x`)).status, 200);
  });

  await t.test('OAuth client still on the placeholder redirect URI: redirect_uri_mismatch', async () => {
    await w.setRedirectUris([PLACEHOLDER_REDIRECT]);
    try {
      const res = await new Browserless().go(`${w.uri('hello')}/`);
      assert.equal(origin(res.url), signinOrigin);
      assert.equal(res.status, 400);
      assert.match(text(res), /Access blocked: This app's request is invalid/);
      assert.match(text(res), /Error 400: redirect_uri_mismatch/);
    } finally {
      await w.setRedirectUris([w.redirectUri()]);
    }
  });

  await t.test('unknown OAuth client at the sign-in origin: Error 401: invalid_client', async () => {
    const res = await new Browserless().go(
      `${signinOrigin}/authorize?client_id=nope&redirect_uri=` +
        `${encodeURIComponent('https://iap.googleapis.com/v1/oauth/clientIds/nope:handleRedirect')}&response_ty` +
        'pe=code&scope=openid',
    );
    assert.equal(res.status, 401);
    assert.match(text(res), /Error 401: invalid_client/);
  });

  await t.test("wrong client secret in the IAP settings: invalid_client at IAP's redirect handler", async () => {
    await w.setIapSettings('hello', 'not-the-credential-secret');
    await w.settle(); // IAP settings propagate like IAM (gcp-api.md 11)
    try {
      const res = await new Browserless().signIn(`${w.uri('hello')}/`, user, password);
      assert.equal(res.status, 401);
      assert.match(new URL(res.url).pathname, /:handleRedirect$/);
      assert.match(text(res), /Error 401: invalid_client/);
    } finally {
      await w.setIapSettings('hello');
      await w.settle();
    }
  });

  await t.test('Auth0 app without the signin-callback URL: Auth0 "Callback URL mismatch"', async () => {
    await w.setAuth0Callbacks(['https://example.com/callback']);
    try {
      const res = await new Browserless().go(`${w.uri('hello')}/`);
      assert.equal(origin(res.url), `https://${sb.env.AUTH0_DOMAIN}`);
      assert.ok(res.status >= 400, `status ${res.status}`);
      assert.match(text(res), /Callback URL mismatch/);
    } finally {
      await w.setAuth0Callbacks([w.callbackUrl]);
    }
  });

  await t.test("provider issuer without Auth0's trailing slash: issuer error at the sign-in origin", async () => {
    await w.patchProvider(w.providerBody({ issuerUri: w.issuer.replace(/\/$/, '') }), 'oidc');
    try {
      const res = await new Browserless().go(`${w.uri('hello')}/`);
      assert.equal(origin(res.url), signinOrigin);
      assert.equal(res.status, 400);
      assert.match(text(res), /invalid_grant: Error connecting to the given credential's issuer\./);
    } finally {
      await w.patchProvider(w.providerBody(), 'oidc');
    }
  });

  await t.test('user outside the attribute condition is rejected; inside it is let through', async () => {
    await w.patchProvider(
      w.providerBody({ attributeCondition: 'assertion.email.endsWith("@other.example")' }),
      'attributeCondition',
    );
    try {
      const res = await new Browserless().signIn(`${w.uri('hello')}/`, user, password);
      assert.equal(origin(res.url), signinOrigin);
      assert.equal(res.status, 403);
      assert.match(text(res), /The given credential is rejected by the attribute condition\./);
      await w.patchProvider(
        w.providerBody({ attributeCondition: '"iap-users" in google.groups' }),
        'attributeCondition',
      );
      const ok = await new Browserless().signIn(`${w.uri('hello')}/`, user, password);
      assert.equal(ok.status, 200, text(ok).slice(0, 200));
    } finally {
      await w.patchProvider(w.providerBody(), 'attributeCondition');
    }
  });

  await t.test(
    'IAP off: Cloud Run 403 without allUsers; with allUsers invoker the app is served without identity headers',
    async () => {
      const uri = await w.createService('open', { iapEnabled: false });
      const res = await new Browserless().go(`${uri}/some/path`);
      assert.equal(res.status, 403);
      assert.match(
        text(res),
        /Error: Forbidden Your client does not have permission to get URL \/some\/path from this server\./,
      );
      await w.runInvoker('open', 'allUsers', true);
      await w.settle();
      const page = await new Browserless().go(`${uri}/`);
      assert.equal(page.status, 200);
      assert.match(text(page), /Hello from open/);
      const who = JSON.parse((await new Browserless().go(`${uri}/__app/whoami`)).text);
      assert.equal(who.verified, false);
      assert.equal(who.assertion, undefined);
      assert.deepEqual(who.headers, {});
    },
  );

  await t.test('ingress other than INGRESS_TRAFFIC_ALL: 404 from outside', async () => {
    await w.patchService('open', { ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY' });
    const res = await new Browserless().go(`${w.uri('open')}/`);
    assert.equal(res.status, 404);
    assert.match(text(res), /Page not found/);
  });

  await t.test('expired session (pool sessionDuration): XHR gets 401, a page goes back to sign-in', async () => {
    assert.equal((await alice.go(`${w.uri('hello')}/`)).status, 200);
    await control(sb, '/clock', { advance: '61m' });
    const xhr = await alice.request(`${w.uri('hello')}/api`, { headers: { 'x-requested-with': 'XMLHttpRequest' } });
    assert.equal(xhr.status, 401);
    const page = await alice.request(`${w.uri('hello')}/`);
    assert.equal(page.status, 302);
    assert.ok(page.headers.get('location')!.startsWith(`${signinOrigin}/authorize?`));
  });
});
