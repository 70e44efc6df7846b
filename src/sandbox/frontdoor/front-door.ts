// Each Cloud Run service's front door: one HTTPS listener per service (its `uri`, standing in for
// https://{svc}-{hash}.{region}.run.app), behaving as Google Front End + native IAP + Cloud Run's
// invoker check in front of the built-in app (gcp-api.md 10.1, 10.2). Order of checks:
//   1. service unknown, not Ready yet (no uri), failed or being deleted → 404 (Cloud Run page)
//   2. ingress other than INGRESS_TRAFFIC_ALL       → 404 (Cloud Run page)
//   3. iapEnabled false: allUsers invoker (effective) or invokerIamDisabled → the app, no identity
//                        headers added; otherwise  → 403 Google Frontend "Error: Forbidden"
//   4. IAP service agent never generated             → 500 "The IAP service account is not provisioned"
//   5. ?gcp-iap-mode=CLEAR_LOGIN_COOKIE              → cookies cleared, "signed out" page
//   6. ?gcp-iap-mode=AUTHENTICATING&redirect_token_v2 (valid, one-time, for this resource)
//                                                    → session cookies set, 302 to the original URL
//   7. no valid session (none, expired, other resource, pool changed or disabled):
//        X-Requested-With: XMLHttpRequest            → 401
//        no workforce pool in the effective settings → 302 https://accounts.google.com/o/oauth2/v2/auth
//        pool but no oauth2.clientId                 → 500 IAP configuration page
//        pool + client                               → 302 {signin}/authorize (x-goog-iap-generated-response)
//   8. principal lacks roles/iap.httpsResourceAccessor (effective, on the service, iap_web,
//      project IAP or project IAM)                   → 403 "You don't have access"
//                                                      (or 302 to accessDeniedPageUri)
//   9. IAP agent lacks roles/run.invoker (effective; skipped with invokerIamDisabled)
//                                                    → 403 Cloud Run "Error: Forbidden"
//  10. the app, with x-goog-iap-jwt-assertion and the x-goog-authenticated-user-* headers (any a
//      client sent are stripped first).
import { createHash } from 'node:crypto';
import type http from 'node:http';
import type { FrontDoorHost } from '../world.js';
import type { TlsMaterial } from '../core/tls.js';
import { listen, type ApiResult, type Listener } from '../core/http.js';
import { IAP_AUDIENCE, IAP_REDIRECT_URI, IAP_RUN_RESOURCE, POOL_RESOURCE } from '../facts/google-names.js';
import { chainHandler, redirect, type ChainContext, type ChainRequest, type FederatedIdentity } from './chain.js';
import {
  accessDecision,
  durationMs,
  entryDecision,
  iamPrincipal,
  parseServiceKey,
  usablePool,
  type EffectiveIap,
  type ServiceRef,
  type SigninTarget,
} from './access.js';
import {
  cloudRunForbidden,
  cloudRunNotFound,
  iapAccessDenied,
  iapMisconfigured,
  iapNotProvisioned,
  iapSignedOut,
  iapXhrUnauthorized,
} from './pages.js';
import type { BuiltInApp } from './app-page.js';

const IAP_GENERATED = { 'x-goog-iap-generated-response': 'true' };

/** `__Host-GCP_IAP_AUTH_TOKEN_{16 hex}`: one cookie per IAP resource, not per host (gcp-api.md 10.2). */
export const sessionCookieName = (resource: string) =>
  `__Host-GCP_IAP_AUTH_TOKEN_${createHash('sha256').update(resource).digest('hex').slice(0, 16).toUpperCase()}`;

const cookie = (name: string, value: string, maxAgeS?: number) =>
  `${name}=${value}; Path=/; Secure; HttpOnly; SameSite=Lax${maxAgeS !== undefined ? `; Max-Age=${maxAgeS}` : ''}`;

/** Headers a client may not inject when IAP is in front: IAP strips and replaces them. */
function forwardedHeaders(h: http.IncomingHttpHeaders): http.IncomingHttpHeaders {
  return Object.fromEntries(
    Object.entries(h).filter(([k]) => !k.startsWith('x-goog-iap-') && !k.startsWith('x-goog-authenticated-user-')),
  );
}

export class FrontDoors implements FrontDoorHost {
  private readonly listeners = new Map<string, Promise<Listener>>();
  private readonly origins = new Map<string, string>();
  constructor(
    private readonly ctx: ChainContext,
    private readonly app: BuiltInApp,
    private readonly tls: TlsMaterial,
  ) {}

  /** Opens (or reuses) the service's listener; its origin is the service's uri. */
  async open(serviceKey: string): Promise<string> {
    let l = this.listeners.get(serviceKey);
    if (!l) {
      l = listen(
        chainHandler(this.ctx.world, 'frontdoor', (req) => this.handle(serviceKey, req)),
        { key: this.tls.key, cert: this.tls.cert },
      );
      this.listeners.set(serviceKey, l);
      l.then(
        (x) => this.origins.set(serviceKey, x.origin),
        () => this.listeners.delete(serviceKey),
      );
    }
    return (await l).origin;
  }

  async close(serviceKey: string): Promise<void> {
    const l = this.listeners.get(serviceKey);
    this.listeners.delete(serviceKey);
    this.origins.delete(serviceKey);
    if (l) await (await l).close();
  }

  origin(serviceKey: string): string | undefined {
    return this.origins.get(serviceKey);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.listeners.keys()].map((k) => this.close(k)));
  }

  private async handle(serviceKey: string, req: ChainRequest): Promise<ApiResult> {
    const r = await this.decide(serviceKey, req);
    // Every answer on *.run.app comes from Google Frontend.
    r.headers = { server: 'Google Frontend', ...(r.headers ?? {}) };
    return r;
  }

  private async decide(serviceKey: string, req: ChainRequest): Promise<ApiResult> {
    const { world } = this.ctx;
    const s = parseServiceKey(serviceKey);
    const entry = entryDecision(world, s, world.runServices.get(serviceKey));
    switch (entry.kind) {
      case 'not-found':
      case 'ingress-blocked':
        return cloudRunNotFound(req.rawPath);
      case 'forbidden':
        return cloudRunForbidden(req.rawPath);
      // Without IAP the request reaches the container as sent: no identity headers are added (and
      // a client's own x-goog-* headers pass through, which is why apps must verify the JWT).
      case 'public':
        return this.app.respond(s, req.path, req.headers);
      case 'agent-missing':
        return iapNotProvisioned(s.projectNumber);
    }
    const { iap, target } = entry;
    const resource = IAP_RUN_RESOURCE(s.projectNumber, s.region, s.serviceId);
    const cookieName = sessionCookieName(resource);
    const origin = this.origin(serviceKey) ?? '';
    const mode = req.query.get('gcp-iap-mode');

    if (mode === 'CLEAR_LOGIN_COOKIE') {
      const sid = req.cookies[cookieName];
      if (sid) this.ctx.sessions.delete(sid);
      return {
        ...iapSignedOut(),
        headers: { ...IAP_GENERATED, 'set-cookie': [cookie(cookieName, '', 0), cookie('GCP_IAP_UID', '', 0)] },
      };
    }

    // The original URL without IAP's own query parameters.
    const original = new URL(req.rawUrl, origin);
    original.searchParams.delete('gcp-iap-mode');
    original.searchParams.delete('redirect_token_v2');
    const originalUrl = original.pathname + original.search;

    if (mode === 'AUTHENTICATING') {
      const tok = this.ctx.redirectTokens.take(req.query.get('redirect_token_v2'));
      // An unknown, reused or foreign token falls through to "no session" (sign in again).
      if (tok && tok.resource === resource) {
        const pool = world.pools.get(tok.identity.pool);
        const ttl = durationMs(pool?.sessionDuration);
        const sid = this.ctx.sessions.put(
          { identity: tok.identity, resource, expiresAt: world.clock.now() + ttl },
          ttl,
        );
        return redirect(origin + tok.originalUrl, {
          ...IAP_GENERATED,
          'set-cookie': [
            cookie(cookieName, sid, Math.floor(ttl / 1000)),
            cookie('GCP_IAP_UID', tok.identity.stsSub, Math.floor(ttl / 1000)),
          ],
        });
      }
    }

    const session = this.ctx.sessions.get(req.cookies[cookieName]);
    // A session counts only for this resource, while its pool is still the configured, usable one.
    const valid =
      session &&
      session.resource === resource &&
      target.kind === 'wif' &&
      target.pool === session.identity.pool &&
      usablePool(world.pools.get(session.identity.pool));
    if (!valid) return this.startSignin(req, s, iap, target, { serviceKey, resource, originalUrl });

    const identity = session!.identity;
    const access = accessDecision(world, s, world.runServices.get(serviceKey), iap, identity.pool, identity);
    if (access.kind === 'denied') {
      if (access.accessDeniedPageUri) return redirect(access.accessDeniedPageUri, IAP_GENERATED);
      return iapAccessDenied(
        identity.email ?? iamPrincipal(identity.pool, identity.subject),
        `${original.pathname}?gcp-iap-mode=CLEAR_LOGIN_COOKIE`,
      );
    }
    if (access.kind === 'no-invoker') return cloudRunForbidden(req.rawPath);
    return this.app.respond(s, req.path, {
      ...forwardedHeaders(req.headers),
      ...(await this.identityHeaders(s, identity)),
    });
  }

  /** No valid session: an XHR gets 401, anyone else is sent to sign in (or told IAP is misconfigured). */
  private startSignin(
    req: ChainRequest,
    s: ServiceRef,
    iap: EffectiveIap,
    target: SigninTarget,
    pending: { serviceKey: string; resource: string; originalUrl: string },
  ): ApiResult {
    const { serviceKey, resource, originalUrl } = pending;
    if (String(req.headers['x-requested-with'] ?? '').toLowerCase() === 'xmlhttprequest') return iapXhrUnauthorized();
    if (target.kind === 'misconfigured') return iapMisconfigured(target.detail);
    const state = this.ctx.iapStates.put({ serviceKey, resource, originalUrl });
    if (target.kind === 'google')
      return redirect(this.googleSignin(s, iap.settings.accessSettings, state), IAP_GENERATED);
    const to = new URL(this.ctx.signinOrigin + '/authorize');
    to.searchParams.set('client_id', target.clientId);
    to.searchParams.set('redirect_uri', IAP_REDIRECT_URI(target.clientId));
    to.searchParams.set('response_type', 'code');
    to.searchParams.set('scope', 'openid email');
    to.searchParams.set('state', state);
    if (target.provider)
      to.searchParams.set('provider_name', `${POOL_RESOURCE(target.pool)}/providers/${target.provider.providerId}`);
    return redirect(to.toString(), IAP_GENERATED);
  }

  /** The headers IAP adds for a workforce identity (gcp-api.md 10.3). */
  private async identityHeaders(s: ServiceRef, id: FederatedIdentity): Promise<Record<string, string>> {
    const jwt = await this.ctx.signer.sign({
      aud: IAP_AUDIENCE(s.projectNumber, s.region, s.serviceId),
      email: id.email,
      sub: `sts.google.com:${id.stsSub}`,
      // The principal's tail is google.subject as mapped (not percent-encoded; assumption, the
      // live capture only shows an email, which needs no encoding).
      iamPrincipal: iamPrincipal(id.pool, id.subject),
      poolName: POOL_RESOURCE(id.pool),
      iat: Math.floor(this.ctx.world.clock.now() / 1000),
    });
    return {
      'x-goog-iap-jwt-assertion': jwt,
      ...(id.email ? { 'x-goog-authenticated-user-email': `sts.google.com:${id.email}` } : {}),
      'x-goog-authenticated-user-id': `sts.google.com:${id.stsSub}`,
    };
  }

  /**
   * Google identity, IAP's default: accounts.google.com with IAP's OAuth client (the custom one in
   * oauthSettings.clientId when set, else a Google-managed one; its id here is an assumption).
   * The sandbox does not serve accounts.google.com: the chain ends at this redirect.
   */
  private googleSignin(s: ServiceRef, access: Record<string, any> | undefined, state: string): string {
    const clientId = access?.oauthSettings?.clientId ?? `${s.projectNumber}-iap-managed.apps.googleusercontent.com`;
    const to = new URL('https://accounts.google.com/o/oauth2/v2/auth');
    to.searchParams.set('client_id', clientId);
    to.searchParams.set('redirect_uri', IAP_REDIRECT_URI(clientId));
    to.searchParams.set('response_type', 'code');
    to.searchParams.set('scope', 'openid email');
    to.searchParams.set('state', state);
    if (access?.oauthSettings?.loginHint) to.searchParams.set('login_hint', access.oauthSettings.loginHint);
    return to.toString();
  }
}
