// Signing the developer in through the Auth0 application, as the workforce provider does in
// production: the authorization code flow with the app's client secret (client_secret_basic),
// then userinfo. The ID token arrives straight from the token endpoint over TLS, which OIDC Core
// 3.1.3.7 accepts in place of checking its signature; its iss, aud, nonce and exp are checked.
import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import type { DevIdentity } from './access.js';
import { GROUPS_CLAIM } from '../lib/ids.js';

export interface Auth0App {
  domain: string;
  clientId: string;
  clientSecret: string;
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  userinfoEndpoint?: string;
}

export function authorizeUrl(app: Auth0App, redirectUri: string): { url: string; state: string; nonce: string } {
  const state = randomBytes(16).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  const u = new URL(app.authorizationEndpoint);
  for (const [k, v] of Object.entries({
    response_type: 'code',
    client_id: app.clientId,
    redirect_uri: redirectUri,
    scope: 'openid profile email',
    state,
    nonce,
  }))
    u.searchParams.set(k, v);
  return { url: u.toString(), state, nonce };
}

export async function redeem(app: Auth0App, code: string, redirectUri: string, nonce: string): Promise<DevIdentity> {
  const basic = Buffer.from(`${encodeURIComponent(app.clientId)}:${encodeURIComponent(app.clientSecret)}`).toString(
    'base64',
  );
  const res = await fetch(app.tokenEndpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${basic}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri }).toString(),
  });
  const body = (await res.json().catch(() => ({}))) as {
    id_token?: string;
    access_token?: string;
    error?: string;
    error_description?: string;
  };
  if (!res.ok || !body.id_token)
    throw new Error(
      'Auth0 refused the sign-in code: ' +
        `${body.error ?? res.status}${body.error_description ? `: ${body.error_description}` : ''}`,
    );
  const claims = decodeJwt(body.id_token);
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (
    claims.iss !== app.issuer ||
    !aud.includes(app.clientId) ||
    claims.nonce !== nonce ||
    (claims.exp ?? 0) * 1000 < Date.now() - 60_000
  ) {
    throw new Error('the ID token from Auth0 is not for this sign-in (issuer, audience, nonce or expiry)');
  }
  let info: Record<string, unknown> = {};
  if (app.userinfoEndpoint && body.access_token) {
    const u = await fetch(app.userinfoEndpoint, { headers: { authorization: `Bearer ${body.access_token}` } });
    if (u.ok) info = (await u.json()) as Record<string, unknown>;
  }
  const merged = { ...claims, ...info } as Record<string, unknown>;
  const groups = merged[GROUPS_CLAIM];
  return {
    sub: String(merged.sub),
    email: typeof merged.email === 'string' ? merged.email : undefined,
    emailVerified: merged.email_verified === true,
    name: typeof merged.name === 'string' ? merged.name : undefined,
    groups: Array.isArray(groups) ? groups.map(String) : [],
  };
}
