// The tenant's OpenID Connect side, served by a real OIDC server: oidc-provider (panva), set up
// to behave like Auth0 at the HTTP level (auth0.md section 4):
//  - Auth0's routes: /authorize, /oauth/token, /userinfo, /.well-known/jwks.json, /oidc/logout,
//    /oauth/revoke; issuer https://127.0.0.1:PORT/ with the trailing slash.
//  - Clients are the Management API's apps (world.auth0Clients), mapped on every lookup by the
//    adapter, so a PATCH takes effect at once (oidc-provider caches parsed clients by a hash of
//    their metadata, so changed metadata is a new entry and never stale).
//  - Accounts are world.auth0Users; ID tokens RS256 with the tenant key; opaque access tokens for
//    /userinfo; the Universal Login page (/u/login) does the login interaction; first-party apps
//    skip consent.
//  - Auth0's error behaviour: the generic error page for an unknown client or a callback
//    mismatch, and unauthorized_client at the callback when the app lacks the grant type.
//  - The Login flow: once the user is authenticated, before the code is issued, the post-login
//    Actions run (post-login.ts) as a last interaction check; a denial or an error ends the
//    sign-in at the callback with access_denied, and the claims they set are added to the ID token
//    and /userinfo of that authorization (postLoginFlow below).
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomBytes } from 'node:crypto';
import { Provider, errors, interactionPolicy, type KoaContext, type Next } from './oidc-provider-quiet.js';
import type { Auth0Client, Auth0User, World } from '../world.js';
import { errorPage } from './pages.js';
import type { Tenant } from './token.js';
import { runPostLogin } from './post-login.js';

// The tenant adds no claim of its own: custom claims come only from post-login Actions.

/** Per-request facts the client adapter needs (oidc-provider looks clients up without the request). */
export const oidcRequest = new AsyncLocalStorage<{ secretPresented: boolean }>();

/** Auth0's published scopes (auth0.md 4.1) and the claims each one releases. */
const SCOPES = [
  'openid',
  'profile',
  'offline_access',
  'name',
  'given_name',
  'family_name',
  'nickname',
  'email',
  'email_verified',
  'picture',
  'created_at',
  'identities',
  'phone',
  'address',
];
const CLAIMS: Record<string, string[] | null> = {
  acr: null,
  auth_time: null,
  iss: null,
  sid: null,
  openid: ['sub'],
  profile: ['name', 'given_name', 'family_name', 'nickname', 'picture', 'updated_at', 'locale'],
  email: ['email', 'email_verified'],
  name: ['name'],
  given_name: ['given_name'],
  family_name: ['family_name'],
  nickname: ['nickname'],
  email_verified: ['email_verified'],
  picture: ['picture'],
  created_at: ['created_at'],
  identities: ['identities'],
  phone: ['phone_number', 'phone_number_verified'],
  address: ['address'],
};
const AUTH0_CLAIMS_SUPPORTED = [
  'aud',
  'auth_time',
  'created_at',
  'email',
  'email_verified',
  'exp',
  'family_name',
  'given_name',
  'iat',
  'identities',
  'iss',
  'name',
  'nickname',
  'phone_number',
  'picture',
  'sub',
];
// oidc-provider cannot issue a bare OAuth "token" response (Auth0 lists it); everything else matches.
const RESPONSE_TYPES = ['code', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token'];
const IMPLICIT_TYPES = RESPONSE_TYPES.filter((t) => t !== 'code');
const LOOPBACKS = new Set(['localhost', '127.0.0.1', '[::1]']);
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'vbscript:', 'data:', 'blob:', 'file:', 'about:']);

// --- clients -------------------------------------------------------------------------------------

/**
 * The callbacks oidc-provider can register for the app type. Auth0 also accepts `*` subdomain
 * wildcards; the sandbox matches callbacks exactly and drops wildcard entries (assumption: the
 * wizard never writes wildcards).
 */
function usableRedirects(urls: string[], native: boolean): string[] {
  return urls.filter((u) => {
    const p = URL.parse(u);
    if (!p || u.includes('#') || u.includes('*')) return false;
    if (!native) return p.protocol === 'https:' || p.protocol === 'http:';
    if (p.protocol === 'http:') return LOOPBACKS.has(p.hostname);
    if (p.protocol === 'https:') return !LOOPBACKS.has(p.hostname);
    return !FORBIDDEN_SCHEMES.has(p.protocol);
  });
}

/**
 * An Auth0 app as oidc-provider client metadata.
 *  - redirect_uris = callbacks (exact match).
 *  - response types: `code` whenever a callback exists, implicit types when the callbacks allow
 *    them; the app's own grant_types are enforced later (authorizeChecks) so that a missing grant
 *    becomes Auth0's unauthorized_client redirect rather than oidc-provider's invalid_request.
 *  - Client authentication: assumption (auth0.md 2.5/7.2) — the sandbox accepts the secret by
 *    HTTP Basic or in the body for any app that has one (oidc-provider accepts both for a
 *    client_secret_basic client), whatever token_endpoint_auth_method says; an app registered
 *    `none` may also exchange a code without a secret.
 */
export function clientMetadata(app: Auth0Client, secretPresented: boolean): Record<string, unknown> {
  const native = app.app_type === 'native';
  const redirect_uris = usableRedirects(app.callbacks ?? [], native);
  const implicitOk =
    native || redirect_uris.every((u) => u.startsWith('https:') && URL.parse(u)!.hostname !== 'localhost');
  const response_types = redirect_uris.length ? ['code', ...(implicitOk ? IMPLICIT_TYPES : [])] : [];
  const grant_types = [
    ...(response_types.length ? ['authorization_code'] : []),
    ...(response_types.length > 1 ? ['implicit'] : []),
    ...((app.grant_types ?? []).includes('refresh_token') ? ['refresh_token'] : []),
  ];
  // The sandbox signs with one RS256 key: RS512/PS256 apps get RS256 ID tokens (assumption).
  const alg = app.jwt_configuration?.alg === 'HS256' ? 'HS256' : 'RS256';
  return {
    client_id: app.client_id,
    client_secret: app.client_secret,
    client_name: app.name,
    application_type: native ? 'native' : 'web',
    redirect_uris,
    post_logout_redirect_uris: usableRedirects(app.allowed_logout_urls ?? [], native),
    response_types,
    grant_types,
    token_endpoint_auth_method:
      app.token_endpoint_auth_method === 'none' && !secretPresented ? 'none' : 'client_secret_basic',
    id_token_signed_response_alg: alg,
  };
}

// --- storage -------------------------------------------------------------------------------------

interface Stored {
  payload: Record<string, any>;
  expiresAt: number;
}

/**
 * oidc-provider's persistence: clients come from the world; sessions, interactions, codes,
 * tokens and grants live in memory with their expiry (one store per tenant).
 */
function adapterFactory(world: World) {
  const store = new Map<string, Stored>();
  const byGrant = new Map<string, Set<string>>();
  const sessionByUid = new Map<string, string>();
  const live = (key: string) => {
    const s = store.get(key);
    if (!s) return undefined;
    if (s.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return s.payload;
  };
  return (model: string) => ({
    async find(id: string) {
      if (model === 'Client') {
        const app = world.auth0Clients.get(id);
        return app ? clientMetadata(app, oidcRequest.getStore()?.secretPresented ?? false) : undefined;
      }
      return live(`${model}:${id}`);
    },
    async findByUid(uid: string) {
      const id = sessionByUid.get(uid);
      return id ? live(`${model}:${id}`) : undefined;
    },
    async findByUserCode() {
      return undefined;
    },
    async upsert(id: string, payload: Record<string, any>, expiresIn?: number) {
      const key = `${model}:${id}`;
      store.set(key, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY });
      if (model === 'Session' && payload.uid) sessionByUid.set(payload.uid, id);
      if (payload.grantId) {
        const set = byGrant.get(payload.grantId) ?? new Set<string>();
        set.add(key);
        byGrant.set(payload.grantId, set);
      }
    },
    async consume(id: string) {
      const p = live(`${model}:${id}`);
      if (p) p.consumed = Math.floor(Date.now() / 1000);
    },
    async destroy(id: string) {
      store.delete(`${model}:${id}`);
    },
    async revokeByGrantId(grantId: string) {
      for (const key of byGrant.get(grantId) ?? []) store.delete(key);
      byGrant.delete(grantId);
    },
  });
}

// --- accounts ------------------------------------------------------------------------------------

/** The profile Auth0 builds for a database-connection user. */
export function userClaims(user: Auth0User): Record<string, unknown> {
  const nickname = user.email.split('@')[0];
  const md5 = createHash('md5').update(user.email.trim().toLowerCase()).digest('hex');
  return {
    sub: user.user_id,
    name: user.name,
    nickname,
    picture:
      `https://s.gravatar.com/avatar/${md5}?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2F` +
      `${nickname.slice(0, 2).toLowerCase()}.png`,
    // Auth0 sends updated_at as an ISO string (not the epoch number OIDC Core suggests).
    updated_at: new Date().toISOString(),
    email: user.email,
    email_verified: user.email_verified,
  };
}

// --- the Login flow (post-login Actions) ------------------------------------------------------------

/** Where an account's claims object carries the custom claims of its authorization (not a claim). */
const ACTION_CLAIMS = Symbol('post-login custom claims');

/**
 * The post-login trigger as oidc-provider sees it: a last prompt whose only check runs the bound
 * Actions (never asking the user anything). oidc-provider evaluates it after login and consent are
 * satisfied, on /authorize with a live session as on the resume after the login page, so the
 * Actions run on every authorization, as Auth0's do. A denial or failure is thrown as
 * access_denied, which oidc-provider sends to the validated redirect_uri with the state. The
 * claims are kept per grant (an authorization's code, tokens and /userinfo share its grant).
 */
function postLoginFlow(t: Tenant, claimsByGrant: Map<string, Record<string, unknown>>) {
  const policy = interactionPolicy.base();
  const check = new interactionPolicy.Check(
    'post_login_actions',
    'the post-login Actions ran',
    async (ctx: KoaContext) => {
      const user = t.world.auth0Users.find((u) => u.user_id === ctx.oidc.session.accountId);
      const app = t.world.auth0Clients.get(ctx.oidc.client.clientId);
      if (!user || !app) return false;
      const result = await runPostLogin(t.world, {
        user,
        app,
        request: { hostname: t.domain, ip: ctx.ip, method: ctx.method, query: ctx.oidc.params.toPlainObject?.() ?? {} },
      });
      if (result.outcome !== 'allowed') throw new errors.AccessDenied(result.reason);
      const grantId = ctx.oidc.session.grantIdFor(app.client_id);
      if (grantId) claimsByGrant.set(grantId, result.idTokenClaims);
      return false;
    },
  );
  policy.add(new interactionPolicy.Prompt({ name: 'post-login', requestable: false }, check));
  return policy;
}

/**
 * Adds the custom claims to what ID tokens and /userinfo release: oidc-provider filters an
 * account's claims by scope (CLAIMS), which would drop names it does not know, so the filter's
 * result gets the claims the account object carries under ACTION_CLAIMS (one provider's class).
 */
function releaseActionClaims(provider: Provider): void {
  const proto = provider.Claims.prototype;
  const result = proto.result;
  proto.result = async function (this: { available: Record<symbol, unknown> }) {
    const out = await result.call(this);
    const extra = this.available[ACTION_CLAIMS] as Record<string, unknown> | undefined;
    return extra ? { ...out, ...extra } : out;
  };
}

// --- /authorize checks oidc-provider does not know ------------------------------------------------

/**
 * Runs after oidc-provider has accepted the client and the redirect_uri, so a failure here goes
 * back to the callback as Auth0 does:
 *  - the response type needs a grant the app lacks → unauthorized_client
 *    "Grant type 'authorization_code' not allowed for the client." (auth0.md 2.2);
 *  - an audience other than the tenant's own APIs → access_denied "Service not found: …" (their
 *    identifiers are the tenant domain's, also on a custom domain: omniauth-auth0#72);
 *  - a `connection` that does not exist or is not enabled for the app → invalid_request
 *    (assumption: Auth0's wording for these two).
 */
function authorizeChecks(t: Tenant) {
  return async (ctx: KoaContext) => {
    const params = ctx.oidc.params;
    const app = t.world.auth0Clients.get(ctx.oidc.client.clientId);
    if (!app) return;
    const types = String(params.response_type ?? '').split(' ');
    const need = [
      ...(types.includes('code') ? ['authorization_code'] : []),
      ...(types.some((x) => x === 'id_token' || x === 'token') ? ['implicit'] : []),
    ];
    for (const g of need) {
      if (!(app.grant_types ?? []).includes(g))
        throw new errors.UnauthorizedClient(`Grant type '${g}' not allowed for the client.`);
    }
    const audience = params.audience;
    if (
      typeof audience === 'string' &&
      audience &&
      audience !== t.managementAudience &&
      audience !== t.userinfoAudience
    ) {
      throw new errors.AccessDenied(`Service not found: ${audience}`);
    }
    const connection = params.connection;
    if (typeof connection === 'string' && connection) {
      const conn = t.world.auth0Connections.find((c) => c.name === connection);
      if (!conn) throw new errors.InvalidRequest('the connection was not found');
      if (!conn.enabled_clients.includes(app.client_id))
        throw new errors.InvalidRequest('the connection is not enabled');
    }
  };
}

// --- error pages -----------------------------------------------------------------------------------

const CALLBACK_MISMATCH =
  'Callback URL mismatch. The provided redirect_uri is not in the list of allowed callback URLs. ' +
  'Please go to the Application Settings page and make sure you are sending a valid callback url from your ' +
  'application.';

/**
 * oidc-provider's renderError, dressed as Auth0's generic error page. Status 400 (oidc-provider's
 * choice; Auth0's exact status is unverified, auth0.md 7.3).
 */
function renderError(ctx: KoaContext, out: Record<string, string>, error: any): void {
  const params = ctx.oidc?.params ?? ctx.query ?? {};
  let page: { description: string; error: string; errorDescription: string };
  if (error?.error === 'invalid_client' && ctx.oidc?.noclient) {
    const id = String(params.client_id ?? '');
    page = {
      description: `Unknown client: ${id}`,
      error: 'invalid_request',
      errorDescription: `Unknown client: ${id}`,
    };
  } else if (error?.error === 'invalid_redirect_uri') {
    page = {
      description: CALLBACK_MISMATCH,
      error: 'unauthorized_client',
      errorDescription:
        `Callback URL mismatch. ${params.redirect_uri ?? ''} ` + 'is not in the list of allowed callback URLs',
    };
  } else {
    page = {
      description:
        'Something went wrong while processing your request. Please try again, or contact the application owner.',
      error: out.error,
      errorDescription: out.error_description ?? '',
    };
  }
  ctx.type = 'html';
  ctx.body = errorPage(page);
}

// --- the provider --------------------------------------------------------------------------------

/** oidc-provider's features as an Auth0 tenant has them. */
function auth0Features() {
  return {
    devInteractions: { enabled: false },
    dPoP: { enabled: false },
    pushedAuthorizationRequests: { enabled: false },
    resourceIndicators: { enabled: false },
    clientCredentials: { enabled: false }, // handled by token.ts before oidc-provider sees the request
    userinfo: { enabled: true },
    revocation: {
      enabled: true,
      allowedPolicy: async (_ctx: KoaContext, client: any, token: any) => token.clientId === client.clientId,
    },
    rpInitiatedLogout: {
      enabled: true,
      // Auth0 logs out without asking: the confirmation form submits itself.
      logoutSource: async (ctx: KoaContext, form: string) => {
        ctx.body =
          `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Logout</title></head><body>${form}` +
          `<script>document.forms[0].insertAdjacentHTML('beforeend','<input type="hidden" name="logout" ` +
          `value="yes">');document.forms[0].submit()</script></body></html>`;
      },
      postLogoutSuccessSource: async (ctx: KoaContext) => {
        ctx.body =
          '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Logged out</title></head><body><p>You ' +
          'have been logged out.</p></body></html>';
      },
    },
  };
}

/** Lifetimes as Auth0's defaults; an ID token's comes from its application. */
function auth0Ttl(appOf: (clientId: string) => Auth0Client | undefined) {
  return {
    AccessToken: 86400, // Auth0's /userinfo access tokens last 24 h
    AuthorizationCode: 600,
    IdToken: (_ctx: KoaContext, _token: unknown, client: any) =>
      Number(appOf(client.clientId)?.jwt_configuration?.lifetime_in_seconds ?? 36000),
    Interaction: 3600,
    Session: 3 * 86400, // Auth0's default inactivity timeout
    Grant: 3 * 86400,
    RefreshToken: 30 * 86400,
  };
}

export function createOidcProvider(t: Tenant): Provider {
  const world = t.world;
  const appOf = (clientId: string) => world.auth0Clients.get(clientId);
  const claimsByGrant = new Map<string, Record<string, unknown>>();
  const provider = new Provider(t.issuer, {
    adapter: adapterFactory(world),
    jwks: { keys: [t.key.privateJwk] },
    cookies: {
      // Auth0's session cookie is called `auth0`.
      names: { session: 'auth0', interaction: '_interaction', resume: '_interaction_resume' },
      keys: [randomBytes(32).toString('hex')],
      long: { httpOnly: true, sameSite: 'none', secure: true },
      short: { httpOnly: true, sameSite: 'lax', secure: true },
    },
    routes: {
      authorization: '/authorize',
      token: '/oauth/token',
      userinfo: '/userinfo',
      jwks: '/.well-known/jwks.json',
      end_session: '/oidc/logout',
      revocation: '/oauth/revoke',
    },
    scopes: SCOPES,
    claims: CLAIMS,
    responseTypes: RESPONSE_TYPES,
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    // Auth0 puts the profile claims in the ID token even in the code flow.
    conformIdTokenClaims: false,
    // Assumption: Auth0 leaves PKCE optional (used when sent), public apps included.
    pkce: { required: () => false },
    allowOmittingSingleRegisteredRedirectUri: true,
    extraParams: {
      // `audience` carries the Auth0 checks (a validator runs for every request, sent or not).
      audience: authorizeChecks(t),
      connection: null,
      organization: null,
      invitation: null,
      screen_hint: null,
    },
    enabledJWA: { idTokenSigningAlgValues: ['HS256', 'RS256'] },
    features: auth0Features(),
    ttl: auth0Ttl(appOf),
    clientBasedCORS: (_ctx: KoaContext, origin: string, client: any) => {
      const app = appOf(client.clientId);
      const allowed = [...(app?.allowed_origins ?? []), ...(app?.web_origins ?? []), ...(app?.callbacks ?? [])];
      return allowed.some((u) => URL.parse(u)?.origin === origin);
    },
    findAccount: async (ctx: KoaContext, sub: string, token?: { grantId?: string }) => {
      const user = world.auth0Users.find((u) => u.user_id === sub);
      if (!user) return undefined;
      // Looked up when the claims are read: for an implicit ID token that is after the Actions ran.
      const grantOf = () => token?.grantId ?? ctx?.oidc?.session?.grantIdFor?.(ctx.oidc.client?.clientId);
      return {
        accountId: sub,
        claims: async () => ({ ...userClaims(user), [ACTION_CLAIMS]: claimsByGrant.get(grantOf()) }),
      };
    },
    // First-party apps never see a consent screen: grant what they ask for (auth0.md 2.2).
    loadExistingGrant: async (ctx: KoaContext) => {
      const clientId = ctx.oidc.client.clientId;
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(clientId);
      let grant = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      if (appOf(clientId)?.is_first_party === false) return grant;
      grant ??= new ctx.oidc.provider.Grant({ clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope([...ctx.oidc.requestParamOIDCScopes].join(' '));
      await grant.save();
      return grant;
    },
    interactions: {
      policy: postLoginFlow(t, claimsByGrant),
      url: (_ctx: KoaContext, interaction: any) =>
        `/u/${interaction.prompt.name === 'consent' ? 'consent' : 'login'}?state=${interaction.uid}`,
    },
    renderError,
  });

  releaseActionClaims(provider);
  // Post-processing that makes oidc-provider's answers look like Auth0's.
  provider.use(async (ctx: KoaContext, next: Next) => {
    await next();
    // Auth0 redirects with 302 (oidc-provider uses 303).
    if (ctx.status === 303) ctx.status = 302;
    if (ctx.path === '/.well-known/openid-configuration' && ctx.status === 200 && ctx.body)
      ctx.body = auth0Discovery(ctx.body);
    if (ctx.oidc?.route === 'token' && ctx.body?.error) auth0TokenError(ctx);
  });
  return provider;
}

/**
 * Auth0's discovery document (auth0.md 4.1), in Auth0's key order, from oidc-provider's values.
 * Kept from oidc-provider where behaviour depends on it: response types (no bare `token`), PKCE
 * methods (S256 only, Auth0 also lists `plain`), signing algorithms, and
 * authorization_response_iss_parameter_supported (oidc-provider adds `iss` to every
 * authorization response). Endpoints the sandbox does not serve (device, MFA, registration) are
 * left out.
 */
function auth0Discovery(d: Record<string, any>): Record<string, unknown> {
  return {
    issuer: d.issuer,
    authorization_endpoint: d.authorization_endpoint,
    token_endpoint: d.token_endpoint,
    userinfo_endpoint: d.userinfo_endpoint,
    jwks_uri: d.jwks_uri,
    revocation_endpoint: d.revocation_endpoint,
    end_session_endpoint: d.end_session_endpoint,
    scopes_supported: SCOPES,
    response_types_supported: d.response_types_supported,
    code_challenge_methods_supported: d.code_challenge_methods_supported,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: d.subject_types_supported,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    id_token_signing_alg_values_supported: d.id_token_signing_alg_values_supported,
    claims_supported: AUTH0_CLAIMS_SUPPORTED,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    authorization_response_iss_parameter_supported: d.authorization_response_iss_parameter_supported,
  };
}

/** Auth0's token-endpoint wording and statuses for the errors Google's exchange can hit. */
function auth0TokenError(ctx: KoaContext): void {
  const grantType = ctx.oidc.params?.grant_type;
  if (ctx.body.error === 'invalid_grant') {
    // Auth0 answers 403 for a bad code or refresh token (auth0.md 4.5).
    ctx.status = 403;
    ctx.body = {
      error: 'invalid_grant',
      error_description:
        grantType === 'refresh_token' ? 'Unknown or invalid refresh token.' : 'Invalid authorization code',
    };
  } else if (ctx.body.error === 'unauthorized_client' && grantType) {
    ctx.status = 403;
    ctx.body = {
      error: 'unauthorized_client',
      error_description: `Grant type '${grantType}' not allowed for the client.`,
    };
  }
}
