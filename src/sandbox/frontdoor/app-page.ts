// The built-in app every sandbox Cloud Run service runs (the real one would be the user's
// container). It behaves like a well-written IAP app: it trusts nothing but a verified
// x-goog-iap-jwt-assertion (ES256, keys from IAP's JWKS fetched over HTTPS, iss
// https://cloud.google.com/iap, aud = its own /projects/N/locations/R/services/S, exp required;
// gcp-api.md 10.3) and shows who called.
//   any path         → HTML "Hello from {service}"
//   GET /__app/whoami → the same facts as JSON (plus the raw assertion, for tests to re-verify)
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type http from 'node:http';
import type { ApiResult } from '../core/http.js';
import type { World } from '../world.js';
import { IAP_AUDIENCE } from '../facts/google-names.js';
import type { CaClient } from '../../lib/ca-fetch.js';
import { IAP_ISSUER } from '../facts/iap-jwt.js';
import { esc } from './pages.js';
import type { ServiceRef } from './access.js';

export interface AppView {
  service: string;
  path: string;
  audience: string;
  verified: boolean;
  reason?: string;
  email?: string;
  principal?: string;
  pool?: string;
  sub?: string;
  identitySource?: string;
  claims?: JWTPayload;
  assertion?: string;
  headers: { 'x-goog-authenticated-user-email'?: string; 'x-goog-authenticated-user-id'?: string };
}

export class BuiltInApp {
  private jwks?: JSONWebKeySet;
  constructor(
    private readonly world: World,
    private readonly https: CaClient,
    private readonly jwksUrl: string,
  ) {}

  private async keys(refresh: boolean): Promise<JSONWebKeySet> {
    if (!this.jwks || refresh) this.jwks = await this.https.getJson(this.jwksUrl);
    return this.jwks!;
  }

  private async verify(jwt: string, audience: string): Promise<JWTPayload> {
    const opts = {
      issuer: IAP_ISSUER,
      audience,
      algorithms: ['ES256'],
      requiredClaims: ['exp', 'iat'],
      currentDate: new Date(this.world.clock.now()),
    };
    try {
      return (await jwtVerify(jwt, createLocalJWKSet(await this.keys(false)), opts)).payload;
    } catch (err) {
      // Unknown kid: IAP may have rotated keys since the set was cached.
      if ((err as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw err;
      return (await jwtVerify(jwt, createLocalJWKSet(await this.keys(true)), opts)).payload;
    }
  }

  async view(s: ServiceRef, path: string, headers: http.IncomingHttpHeaders): Promise<AppView> {
    const one = (h: string | string[] | undefined) => (Array.isArray(h) ? h[0] : h);
    const audience = IAP_AUDIENCE(s.projectNumber, s.region, s.serviceId);
    const view: AppView = {
      service: s.serviceId,
      path,
      audience,
      verified: false,
      headers: {
        'x-goog-authenticated-user-email': one(headers['x-goog-authenticated-user-email']),
        'x-goog-authenticated-user-id': one(headers['x-goog-authenticated-user-id']),
      },
    };
    const jwt = one(headers['x-goog-iap-jwt-assertion']);
    if (!jwt) return { ...view, reason: 'No x-goog-iap-jwt-assertion header: this request did not come through IAP.' };
    try {
      const claims = await this.verify(jwt, audience);
      const wi = claims.workforce_identity as { iam_principal?: string; workforce_pool_name?: string } | undefined;
      return {
        ...view,
        verified: true,
        claims,
        assertion: jwt,
        email: typeof claims.email === 'string' ? claims.email : undefined,
        principal: wi?.iam_principal,
        pool: wi?.workforce_pool_name,
        sub: claims.sub,
        identitySource: typeof claims.identity_source === 'string' ? claims.identity_source : undefined,
      };
    } catch (err) {
      return { ...view, assertion: jwt, reason: `The IAP assertion did not verify: ${(err as Error).message}` };
    }
  }

  async respond(s: ServiceRef, path: string, headers: http.IncomingHttpHeaders): Promise<ApiResult> {
    const v = await this.view(s, path, headers);
    if (path === '/__app/whoami') return { json: v };
    return { html: renderPage(v) };
  }
}

function renderPage(v: AppView): string {
  const row = (label: string, id: string, value: string | undefined) =>
    `<tr><th>${esc(label)}</th><td id="${id}">${value === undefined ? '<em>(none)</em>' : esc(value)}</td></tr>`;
  const identity = v.verified
    ? '<p class="ok">Signed in as ' +
      `<strong id="verified-email">${esc(v.email ?? '(no email claim: map google.email)')}</strong>` +
      ' (IAP assertion verified).</p>' +
      `<table>${row('Email', 'email', v.email)}${row('IAM principal', 'principal', v.principal)}` +
      `${row('Workforce pool', 'pool', v.pool)}` +
      `${row('Audience', 'audience', v.audience)}${row('Subject', 'sub', v.sub)}` +
      `${row('Identity source', 'identity-source', v.identitySource)}</table>`
    : `<p class="warn" id="no-identity">${esc(v.reason)}</p>`;
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Hello from ${esc(v.service)}</title>` +
    '<style>body{font-family:system-ui,sans-serif;margin:40px;color:#202124}th{text-align:left;padding-right:16px}' +
    'td{font-family:monospace;word-break:break-all}.ok{color:#137333}.warn{color:#b06000}</style></head>' +
    `<body><h1>Hello from ${esc(v.service)}</h1>${identity}` +
    '<h2>Unsigned headers</h2><table>' +
    `${row('x-goog-authenticated-user-email', 'user-email-header', v.headers['x-goog-authenticated-user-email'])}` +
    `${row('x-goog-authenticated-user-id', 'user-id-header', v.headers['x-goog-authenticated-user-id'])}</table>` +
    `<p>Path: <code>${esc(v.path)}</code> · <a href="/__app/whoami">/__app/whoami</a> · ` +
    '<a href="?gcp-iap-mode=CLEAR_LOGIN_COOKIE">Sign out</a></p></body></html>\n'
  );
}
