// Signing in at the sandbox's Auth0 tenant as a browser would, with plain fetch: /authorize →
// Universal Login → POST the credentials → back to the app's callback; then the code exchange
// (client_secret_basic) and /userinfo, as Google's sign-in does. The app is made through the real
// auth0 SDK.
import assert from 'node:assert/strict';
import type { ManagementClient } from 'auth0';
import { decodeJwt } from 'jose';

export const CALLBACK =
  'https://auth.cloud.google/signin-callback/locations/global/workforcePools/pool/providers/auth0';

/** A hand-carried cookie jar: what a browser would send back to the tenant. */
export class Jar {
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

export interface App {
  origin: string;
  clientId: string;
  clientSecret: string;
}

/** A regular web app with the callback, created through the SDK as init creates it. */
export async function createApp(mgmt: ManagementClient, domain: string, name: string): Promise<App> {
  const app = await mgmt.clients.create({
    name,
    app_type: 'regular_web',
    is_first_party: true,
    oidc_conformant: true,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code'],
    jwt_configuration: { alg: 'RS256' },
    callbacks: [CALLBACK],
    client_metadata: { managed_by: 'iap-auth0' },
  });
  return { origin: `https://${domain}`, clientId: app.client_id!, clientSecret: app.client_secret! };
}

async function get(app: App, url: string, jar: Jar): Promise<Response> {
  const res = await fetch(new URL(url, app.origin), { redirect: 'manual', headers: { cookie: jar.header() } });
  jar.take(res);
  return res;
}

/** Follows the tenant's redirects until the browser would leave it; answers where it goes. */
async function follow(app: App, first: Response, jar: Jar): Promise<URL> {
  let res = first;
  for (let hops = 0; hops < 8; hops++) {
    assert.equal(res.status, 302, `a redirect, got ${res.status}: ${(await res.text()).slice(0, 200)}`);
    const next = new URL(res.headers.get('location')!, app.origin);
    if (next.origin !== app.origin || next.pathname.startsWith('/u/')) return next;
    res = await get(app, next.href, jar);
  }
  throw new Error('too many redirects');
}

/**
 * Signs in with the email and password (a new browser unless `jar` is given); answers the
 * callback URL the browser ends at (with `code`, or `error` and `error_description`).
 */
export async function signIn(app: App, email: string, password: string, jar = new Jar()): Promise<URL> {
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: app.clientId,
    redirect_uri: CALLBACK,
    scope: 'openid profile email',
    state: 'st-1',
    nonce: 'n-1',
  });
  let at = await follow(app, await get(app, `${app.origin}/authorize?${params}`, jar), jar);
  if (at.pathname === '/u/login') {
    const page = await get(app, at.href, jar);
    assert.equal(page.status, 200);
    const login = await fetch(at, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
      body: new URLSearchParams({ state: at.searchParams.get('state')!, username: email, password }),
    });
    jar.take(login);
    at = await follow(app, login, jar);
  }
  assert.equal(`${at.origin}${at.pathname}`, CALLBACK, `ends at the callback, not ${at.href}`);
  return at;
}

/** Exchanges the callback's code; answers the ID token's claims and /userinfo's answer. */
export async function tokens(
  app: App,
  callback: URL,
): Promise<{ id: Record<string, any>; userinfo: Record<string, any> }> {
  const code = callback.searchParams.get('code');
  assert.ok(code, `a code at the callback: ${callback.search}`);
  const basic = Buffer.from(`${encodeURIComponent(app.clientId)}:${encodeURIComponent(app.clientSecret)}`).toString(
    'base64',
  );
  const res = await fetch(`${app.origin}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK }),
  });
  assert.equal(res.status, 200);
  const t = (await res.json()) as { id_token: string; access_token: string };
  const info = await fetch(`${app.origin}/userinfo`, { headers: { authorization: `Bearer ${t.access_token}` } });
  assert.equal(info.status, 200);
  return { id: decodeJwt(t.id_token) as Record<string, any>, userinfo: (await info.json()) as Record<string, any> };
}
