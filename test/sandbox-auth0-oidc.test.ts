// The Auth0 tenant's OIDC side (oidc-provider behind Auth0's routes and error pages), driven with
// plain fetch and redirect:'manual' the way `verify` and Google's sign-in chain use it. Apps are
// created through the real auth0 SDK against the sandbox's Management API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManagementClient } from 'auth0';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { useSandbox, requestLog } from './helpers/sandbox.js';
import { GROUPS_CLAIM as GROUPS, installGroupsAction } from './helpers/groups-action.js';

const sb = await useSandbox();
const domain = sb.env.AUTH0_DOMAIN;
const origin = `https://${domain}`;
const mgmt = new ManagementClient({
  domain,
  clientId: sb.env.AUTH0_CLIENT_ID,
  clientSecret: sb.env.AUTH0_CLIENT_SECRET,
});
const CALLBACK = 'https://auth.cloud.google/signin-callback/locations/global/workforcePools/iap-pool-1/providers/auth0';

const app = await mgmt.clients.create({
  name: 'IAP (iap-auth0) iap-pool-1/auth0',
  app_type: 'regular_web',
  is_first_party: true,
  oidc_conformant: true,
  token_endpoint_auth_method: 'client_secret_basic',
  grant_types: ['authorization_code'],
  jwt_configuration: { alg: 'RS256' },
  callbacks: [CALLBACK],
  client_metadata: { managed_by: 'iap-auth0' },
});
const clientId = app.client_id!;
const clientSecret = app.client_secret!;
// The tenant adds no claim by itself: the groups claim comes from a post-login Action.
await installGroupsAction(mgmt);

/** A hand-carried cookie jar: what a browser would send back to the tenant. */
class Jar {
  private readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      this.cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

async function get(url: string, jar?: Jar): Promise<Response> {
  const res = await fetch(new URL(url, origin), { redirect: 'manual', headers: jar ? { cookie: jar.header() } : {} });
  jar?.take(res);
  return res;
}

function authorizeUrl(q: Record<string, string>): string {
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: CALLBACK,
    scope: 'openid profile email',
    state: 'st-123',
    nonce: 'n-456',
    ...q,
  });
  return `${origin}/authorize?${params}`;
}

const basic = (id: string, secret: string) =>
  'Basic ' + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64');

/** Authorize → login page → POST credentials → resume → callback. Returns the callback URL. */
async function signIn(jar: Jar, email: string, password: string): Promise<{ login: Response; callback?: URL }> {
  const a = await get(authorizeUrl({}), jar);
  assert.equal(a.status, 302);
  const loginUrl = new URL(a.headers.get('location')!, origin);
  const page = await get(loginUrl.href, jar);
  assert.equal(page.status, 200);
  const login = await fetch(loginUrl, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
    body: new URLSearchParams({ state: loginUrl.searchParams.get('state')!, username: email, password }),
  });
  jar.take(login);
  if (login.status !== 302) return { login };
  let next = new URL(login.headers.get('location')!, origin);
  for (let hops = 0; next.origin === origin && hops < 5; hops++) {
    const r = await get(next.href, jar);
    assert.equal(r.status, 302, `hop to ${next.pathname}`);
    next = new URL(r.headers.get('location')!, next);
  }
  return { login, callback: next };
}

test('discovery: Auth0 issuer with the trailing slash, Auth0 routes, code flow and RS256 advertised', async () => {
  const res = await fetch(`${origin}/.well-known/openid-configuration`);
  assert.equal(res.status, 200);
  const d = (await res.json()) as any;
  assert.equal(d.issuer, `https://${domain}/`);
  assert.equal(d.authorization_endpoint, `${origin}/authorize`);
  assert.equal(d.token_endpoint, `${origin}/oauth/token`);
  assert.equal(d.userinfo_endpoint, `${origin}/userinfo`);
  assert.equal(d.jwks_uri, `${origin}/.well-known/jwks.json`);
  assert.equal(d.end_session_endpoint, `${origin}/oidc/logout`);
  assert.ok(d.response_types_supported.includes('code'));
  assert.ok(d.id_token_signing_alg_values_supported.includes('RS256'));
  for (const s of ['openid', 'profile', 'email']) assert.ok(d.scopes_supported.includes(s), s);
  assert.deepEqual(d.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post']);
  const jwks = (await (await fetch(d.jwks_uri)).json()) as any;
  assert.equal(jwks.keys[0].kty, 'RSA');
  assert.equal(jwks.keys[0].alg, 'RS256');
  assert.ok(jwks.keys[0].kid);
  assert.equal(jwks.keys[0].d, undefined, 'no private parts published');
});

test(
  '/authorize with a good client answers 302 to the ' + 'Universal Login page, which GET shows without cookies',
  async () => {
    const res = await get(authorizeUrl({}));
    assert.equal(res.status, 302);
    const loc = new URL(res.headers.get('location')!, origin);
    assert.equal(loc.pathname, '/u/login');
    assert.ok(loc.searchParams.get('state'));
    const page = await get(loc.href);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<title>Log in \| iap-auth0 sandbox<\/title>/);
    assert.match(html, /name="username"/);
    assert.match(html, /name="password"/);
    assert.match(html, /type="submit"/);
    assert.ok(html.includes('IAP (iap-auth0) iap-pool-1/auth0'), 'shows the app name');
  },
);

test('unknown client_id: the generic error page with "Unknown client"', async () => {
  const res = await get(authorizeUrl({ client_id: 'NoSuchClient0000000000000000000' }));
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('location'), null);
  const html = await res.text();
  assert.match(html, /Oops!, something went wrong/);
  assert.ok(html.includes('Unknown client: NoSuchClient0000000000000000000'));
});

test('redirect_uri not among the callbacks: "Callback URL mismatch" page, no redirect', async () => {
  const res = await get(authorizeUrl({ redirect_uri: CALLBACK + '/' }));
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('location'), null);
  const html = await res.text();
  assert.ok(
    html.includes('Callback URL mismatch. The provided redirect_uri is not in the list of allowed callback URLs.'),
  );
});

test(
  'full code flow: login form, code at the callback, ' + 'client_secret_basic exchange, RS256 ID token, /userinfo',
  async () => {
    const user = sb.world.testUser;
    const jar = new Jar();
    const { callback } = await signIn(jar, sb.env.IAP_AUTH0_TEST_USER_EMAIL, sb.env.IAP_AUTH0_TEST_USER_PASSWORD);
    assert.ok(callback);
    assert.equal(`${callback.origin}${callback.pathname}`, CALLBACK);
    assert.equal(callback.searchParams.get('state'), 'st-123');
    const code = callback.searchParams.get('code');
    assert.ok(code);

    const tokenRes = await fetch(`${origin}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(clientId, clientSecret) },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK }),
    });
    assert.equal(tokenRes.status, 200);
    const tokens = (await tokenRes.json()) as any;
    assert.equal(tokens.token_type, 'Bearer');
    assert.equal(decodeProtectedHeader(tokens.id_token).alg, 'RS256');
    assert.ok(decodeProtectedHeader(tokens.id_token).kid);

    const discovery = (await (await fetch(`${origin}/.well-known/openid-configuration`)).json()) as any;
    const { payload } = await jwtVerify(tokens.id_token, createRemoteJWKSet(new URL(discovery.jwks_uri)), {
      issuer: discovery.issuer,
      audience: clientId,
      algorithms: ['RS256'],
    });
    assert.equal(payload.iss, `https://${domain}/`);
    assert.equal(payload.sub, user.user_id);
    assert.equal(payload.email, user.email);
    assert.equal(payload.email_verified, true);
    assert.equal(payload.nonce, 'n-456');
    assert.deepEqual(payload[GROUPS], ['admin', 'iap-users'], "the Action's claim: Alice's roles");

    const info = await fetch(`${origin}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(info.status, 200);
    const claims = (await info.json()) as any;
    assert.equal(claims.email, user.email);
    assert.equal(claims.sub, user.user_id);
    assert.deepEqual(claims[GROUPS], ['admin', 'iap-users']);

    // The code is single-use: a replay is refused.
    const replay = await fetch(`${origin}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(clientId, clientSecret) },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK }),
    });
    assert.equal(((await replay.json()) as any).error, 'invalid_grant');

    // A live session skips the login page, as Auth0's SSO does.
    const again = await get(authorizeUrl({ state: 'st-2' }), jar);
    assert.equal(again.status, 302);
    const loc = new URL(again.headers.get('location')!, origin);
    assert.equal(`${loc.origin}${loc.pathname}`, CALLBACK);
    assert.ok(loc.searchParams.get('code'));
    assert.equal(loc.searchParams.get('state'), 'st-2');
  },
);

test(
  'token endpoint: wrong secret is 401 invalid_client; a bogus code is invalid_grant; client_secret_post works ' +
    'too',
  async () => {
    const wrong = await fetch(`${origin}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic(clientId, 'not-the-secret'),
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'bogus', redirect_uri: CALLBACK }),
    });
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as any).error, 'invalid_client');

    const bogus = await fetch(`${origin}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: 'bogus',
        redirect_uri: CALLBACK,
        client_id: clientId,
        client_secret: clientSecret,
      }),
    });
    assert.equal(bogus.status, 403);
    assert.deepEqual(await bogus.json(), { error: 'invalid_grant', error_description: 'Invalid authorization code' });
  },
);

test('wrong password re-renders the form with "Wrong email or password."', async () => {
  const jar = new Jar();
  const { login } = await signIn(jar, sb.env.IAP_AUTH0_TEST_USER_EMAIL, 'not-the-password');
  assert.equal(login.status, 200);
  const html = await login.text();
  assert.ok(html.includes('Wrong email or password.'));
  assert.match(html, /name="password"/);
  assert.ok(html.includes(sb.env.IAP_AUTH0_TEST_USER_EMAIL), 'keeps the typed email');
});

test('an app without the authorization_code grant: error=unauthorized_client at the callback', async () => {
  const cb = 'https://app.example.com/callback';
  const implicitOnly = await mgmt.clients.create({
    name: 'Implicit only',
    app_type: 'spa',
    grant_types: ['implicit'],
    callbacks: [cb],
  });
  const res = await get(authorizeUrl({ client_id: implicitOnly.client_id!, redirect_uri: cb }));
  assert.equal(res.status, 302);
  const loc = new URL(res.headers.get('location')!);
  assert.equal(`${loc.origin}${loc.pathname}`, cb);
  assert.equal(loc.searchParams.get('error'), 'unauthorized_client');
  assert.equal(
    loc.searchParams.get('error_description'),
    "Grant type 'authorization_code' not allowed for the client.",
  );
  assert.equal(loc.searchParams.get('state'), 'st-123');
});

test('Management API edits take effect at /authorize immediately (no stale client cache)', async () => {
  const extra = 'https://auth.cloud.google/signin-callback/locations/global/workforcePools/iap-pool-2/providers/auth0';
  const before = await get(authorizeUrl({ redirect_uri: extra }));
  assert.equal(before.status, 400);
  await mgmt.clients.update(clientId, { callbacks: [CALLBACK, extra] });
  const after = await get(authorizeUrl({ redirect_uri: extra }));
  assert.equal(after.status, 302);
  assert.equal(new URL(after.headers.get('location')!, origin).pathname, '/u/login');
  await mgmt.clients.update(clientId, { callbacks: [CALLBACK] });
  assert.equal((await get(authorizeUrl({ redirect_uri: extra }))).status, 400);
  const log = await requestLog(sb);
  assert.ok(
    log.some((r) => r.api === 'auth0' && r.method === 'GET' && r.path === '/authorize'),
    'browser requests are logged',
  );
});
