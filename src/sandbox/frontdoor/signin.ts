// The workforce sign-in origin: the sandbox's stand-in for https://auth.cloud.google (gcp-api.md
// 7.5, 10.2). It is the authorization endpoint of the WIF OAuth server that IAP's OAuth client
// lives in, and Google's relying party towards the IdP:
//   GET  /authorize?client_id&redirect_uri&response_type=code&scope&state&provider_name
//        → checks the IAM OAuth client and the pool/provider, then, by world.emulation.signinHops
//          (what happens next is not on record, real-world-evidence row 3):
//          direct       reads the IdP's discovery document, 302 to its authorization_endpoint;
//          signin-path  302 to /signin/{provider}?continueUrl={this /authorize URL} first;
//          chooser      200, a provider chooser page linking to /signin/{provider}?continueUrl=….
//          In the last two, a browser holding a workforce session gets IAP's code at once.
//   GET  /signin/locations/global/workforcePools/{POOL}/providers/{PROVIDER}?continueUrl
//        (the documented SSO link form; IAP Desktop's WorkforcePoolSession uses it too)
//        → discovery, 302 to the IdP; after the callback, a workforce session and 302 to continueUrl.
//   GET  /signin?provider&continueUrl  (the chooser's form) → 302 to /signin/{provider}.
//   GET  /signin-callback/locations/global/workforcePools/{POOL}/providers/{PROVIDER}?code&state
//        (POST with id_token for the ID_TOKEN response type) → code exchange (client_secret_basic),
//          ID token verification, userinfo merge, attribute mapping and condition (STS's part),
//          then 302 to IAP's redirect handler with a one-time code.
import { randomBytes } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { ApiResult } from '../core/http.js';
import type { OauthClient, World, WorkforceProvider } from '../world.js';
import { PROVIDER_RESOURCE, SIGNIN_CALLBACK_PATH } from '../facts/google-names.js';
import {
  chainHandler,
  redirect,
  type ChainContext,
  type ChainRequest,
  type FederatedIdentity,
  type SigninTxn,
} from './chain.js';
import { oauthErrorPage, providerChooserPage, signinErrorPage } from './pages.js';
import { durationMs, usablePool, usableProvider } from './access.js';
import { checkCondition, mapAttributes } from './attribute-mapping.js';

const ISSUER_ERROR = "Error connecting to the given credential's issuer.";
const CALLBACK_RE = /^\/signin-callback\/locations\/global\/workforcePools\/([^/]+)\/providers\/([^/]+)$/;
const PROVIDER_NAME_RE = /^locations\/global\/workforcePools\/([^/]+)\/providers\/([^/]+)$/;
const SIGNIN_RE = /^\/signin\/locations\/global\/workforcePools\/([^/]+)\/providers\/([^/]+)$/;
/** The browser's session at the sign-in origin. Assumption: the real cookie's name is not on record. */
export const WORKFORCE_SESSION_COOKIE = '__Host-GCP_WORKFORCE_SID';

export function signinHandler(ctx: ChainContext) {
  return chainHandler(ctx.world, 'signin', async (req) => {
    if (req.method === 'GET' && req.path === '/authorize') return authorize(ctx, req);
    if (req.method === 'GET' && req.path === '/signin') return chooserForm(ctx, req);
    const start = SIGNIN_RE.exec(req.path);
    if (start && req.method === 'GET') return signinStart(ctx, req, start[1], start[2]);
    const cb = CALLBACK_RE.exec(req.path);
    if (cb && (req.method === 'GET' || req.method === 'POST')) return callback(ctx, req, cb[1], cb[2]);
    return {
      status: 404,
      html:
        "<!DOCTYPE html><title>Error 404 (Not Found)</title><p><b>404.</b> That's an error.<p>The requested URL " +
        'was not found on this server.',
    };
  });
}

function findOauthClient(world: World, clientId: string): OauthClient | undefined {
  for (const c of world.oauthClients.values()) if (c.clientId === clientId) return c;
  return undefined;
}

/** Step 1 of /authorize for a client that exists: why it cannot start a code flow, if it cannot. */
function clientRefusal(
  client: OauthClient,
  redirectUri: string | undefined,
  responseType: string | null,
  details: Record<string, string | undefined>,
): ApiResult | undefined {
  if (client.state !== 'ACTIVE') return oauthErrorPage(401, 'invalid_client', 'The OAuth client was deleted.', details);
  if (client.disabled) return oauthErrorPage(401, 'invalid_client', 'The OAuth client was disabled.', details);
  if (!client.allowedGrantTypes.includes('AUTHORIZATION_CODE_GRANT')) {
    return oauthErrorPage(
      400,
      'unauthorized_client',
      'The OAuth client is not allowed to use the authorization code grant.',
      details,
    );
  }
  if (!redirectUri || !client.allowedRedirectUris.includes(redirectUri)) {
    return oauthErrorPage(
      400,
      'redirect_uri_mismatch',
      `You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy. If you're the ` +
        `app developer, register the redirect URI in the OAuth client's allowedRedirectUris.`,
      details,
    );
  }
  if (responseType !== 'code') {
    return oauthErrorPage(
      400,
      'unsupported_response_type',
      `Unsupported response_type: ${responseType ?? '(missing)'}.`,
      details,
    );
  }
  return undefined;
}

/** https://auth.cloud.google/authorize */
async function authorize(ctx: ChainContext, req: ChainRequest): Promise<ApiResult> {
  const { world } = ctx;
  const q = req.query;
  const clientId = q.get('client_id') ?? '';
  const redirectUri = q.get('redirect_uri') ?? undefined;
  const details = {
    client_id: clientId || undefined,
    redirect_uri: redirectUri,
    response_type: q.get('response_type') ?? undefined,
    scope: q.get('scope') ?? undefined,
  };

  // 1. The IAM OAuth client (gcp-api.md 8): exists, ACTIVE, enabled, code grant, exact redirect URI.
  const client = clientId ? findOauthClient(world, clientId) : undefined;
  if (!client) return oauthErrorPage(401, 'invalid_client', 'The OAuth client was not found.', details);
  const refused = clientRefusal(client, redirectUri, q.get('response_type'), details);
  if (refused) return refused;
  // The client's allowedScopes are not compared with IAP's `openid email`: clients holding only
  // cloud-platform work live (gcp-api.md 8.1).

  // 2. The pool and provider IAP named, and the organization rule (gcp-api.md 8). With a chooser
  // next, provider_name may be missing (public smoke tests treat it as optional).
  const mode = world.emulation.signinHops;
  const rawName = q.get('provider_name');
  const pn = PROVIDER_NAME_RE.exec(rawName ?? '');
  if (!pn && !(mode === 'chooser' && rawName === null)) {
    return signinErrorPage(
      400,
      'invalid_request',
      'The workforce pool has no identity provider to sign in with (provider_name is missing or malformed).',
    );
  }
  const project = world.project(client.projectNumber);
  const org = project ? world.organizationOf(project) : undefined;
  let poolId: string | undefined;
  let providerId: string | undefined;
  if (pn) {
    [, poolId, providerId] = pn;
    // A chooser lets the person pick among the pool's providers: only the pool is checked here.
    const refused = poolRefusal(world, poolId, mode === 'chooser' ? undefined : providerId);
    if (refused) return refused;
    if (!org || world.pools.get(poolId)!.parent !== `organizations/${org}`) {
      // Assumption: the wording; the rule itself is documented (DOC-IAPWIF).
      return signinErrorPage(
        400,
        'invalid_request',
        `The OAuth client's project (${client.projectNumber}) must be in the same organization as the ` +
          `workforce pool (${world.pools.get(poolId)!.parent}).`,
      );
    }
  }
  // clientRefusal has refused a missing redirect_uri.
  const iap = { state: q.get('state') ?? '', clientId, redirectUri: redirectUri! };
  if (mode === 'direct') return toIdp(ctx, poolId!, providerId!, { iap });

  // 3. signin-path and chooser: a browser already signed in at this origin (for this provider, or
  // for any pool of the client's organization when none was named) gets IAP's code at once.
  const session = ctx.workforceSessions.get(req.cookies[WORKFORCE_SESSION_COOKIE]);
  const sid = session?.identity;
  if (
    sid &&
    usablePool(world.pools.get(sid.pool)) &&
    usableProvider(world.providers.get(`${sid.pool}/${sid.provider}`)) &&
    (pn
      ? sid.pool === poolId && sid.provider === providerId
      : world.pools.get(sid.pool)?.parent === `organizations/${org}`)
  ) {
    return answerIap(ctx, sid, iap);
  }
  const here = ctx.signinOrigin + req.rawUrl;
  const signinUrl = (pool: string, provider: string) =>
    `${ctx.signinOrigin}/signin/${PROVIDER_RESOURCE(pool, provider)}?continueUrl=${encodeURIComponent(here)}`;
  if (mode === 'signin-path') return redirect(signinUrl(poolId!, providerId!));
  // chooser: the pool's usable providers; without a pool, a form asking for the provider name.
  const choices = poolId
    ? [...world.providers.values()]
        .filter((p) => p.poolId === poolId && usableProvider(p))
        .map((p) => ({
          name: PROVIDER_RESOURCE(p.poolId, p.providerId),
          displayName: p.displayName,
          href: signinUrl(p.poolId, p.providerId),
        }))
    : [];
  return providerChooserPage(choices, poolId ? undefined : { action: '/signin', continueUrl: here });
}

/** The pool and provider must exist, be active and enabled (same pages at /authorize and /signin). */
function poolRefusal(world: World, poolId: string, providerId: string | undefined): ApiResult | undefined {
  const pool = world.pools.get(poolId);
  if (pool?.state !== 'ACTIVE')
    return signinErrorPage(
      400,
      'invalid_request',
      `The workforce pool locations/global/workforcePools/${poolId} does not exist or was deleted.`,
    );
  if (!usablePool(pool))
    return signinErrorPage(
      403,
      'access_denied',
      `The workforce pool locations/global/workforcePools/${poolId} is disabled.`,
    );
  if (providerId === undefined) return undefined;
  const provider = world.providers.get(`${poolId}/${providerId}`);
  if (provider?.state !== 'ACTIVE')
    return signinErrorPage(
      400,
      'invalid_request',
      `The workforce pool provider ${PROVIDER_RESOURCE(poolId, providerId)} does not exist or was deleted.`,
    );
  if (!usableProvider(provider))
    return signinErrorPage(
      403,
      'access_denied',
      `The workforce pool provider ${PROVIDER_RESOURCE(poolId, providerId)} is disabled.`,
    );
  return undefined;
}

/** The chooser's form: GET /signin?provider=locations/…/providers/X&continueUrl=… → /signin/{provider}. */
function chooserForm(ctx: ChainContext, req: ChainRequest): ApiResult {
  const pn = PROVIDER_NAME_RE.exec((req.query.get('provider') ?? '').trim());
  if (!pn)
    return signinErrorPage(
      400,
      'invalid_request',
      'Enter a workforce identity pool provider name: locations/global/workforcePools/POOL/providers/PROVIDER.',
    );
  return redirect(
    `${ctx.signinOrigin}/signin/${PROVIDER_RESOURCE(pn[1], pn[2])}?continueUrl=` +
      `${encodeURIComponent(req.query.get('continueUrl') ?? '')}`,
  );
}

/**
 * https://auth.cloud.google/signin/locations/global/workforcePools/{POOL}/providers/{PROVIDER}?continueUrl=…
 * Sign in with that provider, then go back to continueUrl. Assumption: only this origin's
 * /authorize is accepted as continueUrl here (the real one also takes the console's URLs).
 */
async function signinStart(
  ctx: ChainContext,
  req: ChainRequest,
  poolId: string,
  providerId: string,
): Promise<ApiResult> {
  const raw = req.query.get('continueUrl') ?? '';
  let cont: URL | undefined;
  try {
    cont = new URL(raw);
  } catch {
    /* refused below */
  }
  if (!cont || cont.origin !== ctx.signinOrigin || cont.pathname !== '/authorize') {
    return signinErrorPage(
      400,
      'invalid_request',
      'The sign-in link is incomplete: continueUrl must be a sign-in request of this site.',
    );
  }
  const refused = poolRefusal(ctx.world, poolId, providerId);
  if (refused) return refused;
  const sid = ctx.workforceSessions.get(req.cookies[WORKFORCE_SESSION_COOKIE])?.identity;
  if (sid && sid.pool === poolId && sid.provider === providerId) return redirect(cont.toString());
  return toIdp(ctx, poolId, providerId, { continueUrl: cont.toString() });
}

/**
 * Reads the IdP's discovery document (its issuer must equal the provider's issuerUri byte for byte) and sends the
 * browser there.
 */
async function toIdp(
  ctx: ChainContext,
  poolId: string,
  providerId: string,
  then: Pick<SigninTxn, 'iap' | 'continueUrl'>,
): Promise<ApiResult> {
  const provider = ctx.world.providers.get(`${poolId}/${providerId}`)!;
  const issuer = provider.oidc.issuerUri;
  let discovery: SigninTxn['discovery'];
  try {
    discovery = await ctx.https.getJson(issuer.replace(/\/+$/, '') + '/.well-known/openid-configuration');
  } catch {
    return signinErrorPage(400, 'invalid_grant', ISSUER_ERROR);
  }
  if (
    !discovery ||
    discovery.issuer !== issuer ||
    typeof discovery.authorization_endpoint !== 'string' ||
    typeof discovery.token_endpoint !== 'string' ||
    typeof discovery.jwks_uri !== 'string'
  ) {
    return signinErrorPage(400, 'invalid_grant', ISSUER_ERROR);
  }

  const web = provider.oidc.webSsoConfig ?? {};
  const idTokenFlow = web.responseType === 'ID_TOKEN';
  const nonce = randomBytes(16).toString('base64url');
  ctx.world.issuedSecrets.add(nonce);
  const state = ctx.signinTxns.put({
    ...then,
    pool: poolId,
    provider: providerId,
    nonce,
    discovery: {
      issuer: discovery.issuer,
      authorization_endpoint: discovery.authorization_endpoint,
      token_endpoint: discovery.token_endpoint,
      userinfo_endpoint: discovery.userinfo_endpoint,
      jwks_uri: discovery.jwks_uri,
    },
  });
  const to = new URL(discovery.authorization_endpoint);
  to.searchParams.set('response_type', idTokenFlow ? 'id_token' : 'code');
  if (idTokenFlow) to.searchParams.set('response_mode', 'form_post');
  to.searchParams.set('client_id', provider.oidc.clientId);
  to.searchParams.set('redirect_uri', ctx.signinOrigin + SIGNIN_CALLBACK_PATH(poolId, providerId));
  to.searchParams.set('scope', scopesFor(provider, (discovery as any).scopes_supported));
  to.searchParams.set('state', state);
  to.searchParams.set('nonce', nonce);
  return redirect(to.toString());
}

/** IAP's one-time code for a signed-in identity, sent to IAP's redirect handler with IAP's state. */
function answerIap(ctx: ChainContext, identity: FederatedIdentity, iap: NonNullable<SigninTxn['iap']>): ApiResult {
  const code = ctx.codes.put({ identity, clientId: iap.clientId, redirectUri: iap.redirectUri });
  const to = new URL(browserUrlForRedirect(ctx, iap.redirectUri));
  to.searchParams.set('code', code);
  to.searchParams.set('state', iap.state);
  return redirect(to.toString());
}

/** openid, plus profile and email when the IdP supports them, plus webSsoConfig.additionalScopes. */
function scopesFor(provider: WorkforceProvider, supported: unknown): string {
  const has = (s: string) => !Array.isArray(supported) || supported.includes(s);
  const scopes = [
    'openid',
    ...['profile', 'email'].filter(has),
    ...(provider.oidc.webSsoConfig?.additionalScopes ?? []),
  ];
  return [...new Set(scopes)].join(' ');
}

/** https://auth.cloud.google/signin-callback/locations/global/workforcePools/{POOL}/providers/{PROVIDER} */
async function callback(ctx: ChainContext, req: ChainRequest, poolId: string, providerId: string): Promise<ApiResult> {
  const { world } = ctx;
  const params = req.method === 'POST' ? req.form : req.query;
  const txn = ctx.signinTxns.take(params.get('state'));
  if (!txn || txn.pool !== poolId || txn.provider !== providerId) {
    return signinErrorPage(
      400,
      'invalid_request',
      'The sign-in request is invalid or has expired. Go back to the application and sign in again.',
    );
  }
  const idpError = params.get('error');
  if (idpError)
    return signinErrorPage(
      400,
      idpError,
      params.get('error_description') ?? 'The identity provider returned an error.',
    );

  const pool = world.pools.get(poolId);
  const provider = world.providers.get(`${poolId}/${providerId}`);
  if (!usablePool(pool) || !usableProvider(provider))
    return signinErrorPage(
      403,
      'access_denied',
      `The workforce pool provider ${PROVIDER_RESOURCE(poolId, providerId)} is not active.`,
    );
  const oidc = provider.oidc;
  const idTokenFlow = oidc.webSsoConfig?.responseType === 'ID_TOKEN';

  // The ID token: sent with the callback (ID_TOKEN), or exchanged for the code at the token endpoint (CODE).
  let idToken: string | undefined;
  let accessToken: string | undefined;
  if (idTokenFlow) {
    idToken = params.get('id_token') ?? undefined;
    if (!idToken) return signinErrorPage(400, 'invalid_request', 'The identity provider did not return an ID token.');
  } else {
    const exchanged = await exchangeCode(ctx, txn, oidc, params, poolId, providerId);
    if ('refused' in exchanged) return exchanged.refused;
    ({ idToken, accessToken } = exchanged);
  }

  const verified = await verifiedAssertion(ctx, txn, oidc, idToken, accessToken, idTokenFlow);
  if ('refused' in verified) return verified.refused;
  const { assertion } = verified;

  // STS: attribute mapping, then the attribute condition.
  const mapped = mapAttributes(provider.attributeMapping ?? {}, assertion);
  if (!mapped.ok) return signinErrorPage(400, mapped.error, mapped.description);
  const cond = checkCondition(provider.attributeCondition, assertion, mapped.identity);
  if (!cond.ok) return signinErrorPage(403, cond.error, cond.description);

  const identity: FederatedIdentity = {
    ...mapped.identity,
    pool: poolId,
    provider: providerId,
    stsSub: ctx.stsSub(poolId, mapped.identity.subject),
  };
  if (txn.continueUrl) {
    // signin-path / chooser: a session at this origin, then back to IAP's /authorize request.
    const ttl = durationMs(pool!.sessionDuration);
    const sid = ctx.workforceSessions.put({ identity }, ttl);
    return redirect(txn.continueUrl, {
      'set-cookie':
        `${WORKFORCE_SESSION_COOKIE}=${sid}; Path=/; Secure; HttpOnly; SameSite=Lax; ` +
        `Max-Age=${Math.floor(ttl / 1000)}`,
    });
  }
  return answerIap(ctx, identity, txn.iap!);
}

/**
 * The code flow: the code exchanged for the tokens with client_secret_basic (RFC 6749 2.3.1: both parts
 * form-encoded).
 */
async function exchangeCode(
  ctx: ChainContext,
  txn: SigninTxn,
  oidc: WorkforceProvider['oidc'],
  params: URLSearchParams,
  poolId: string,
  providerId: string,
): Promise<{ refused: ApiResult } | { idToken: string; accessToken: string | undefined }> {
  const code = params.get('code');
  if (!code)
    return {
      refused: signinErrorPage(400, 'invalid_request', 'The identity provider did not return an authorization code.'),
    };
  if (!oidc.clientSecretPlain)
    return {
      refused: signinErrorPage(
        400,
        'invalid_client',
        `Provider ${PROVIDER_RESOURCE(poolId, providerId)} has no client secret, which the CODE response type ` +
          'requires.',
      ),
    };
  const basic = Buffer.from(
    `${encodeURIComponent(oidc.clientId)}:${encodeURIComponent(oidc.clientSecretPlain)}`,
  ).toString('base64');
  let tokenRes: Awaited<ReturnType<typeof ctx.https.request>>;
  try {
    tokenRes = await ctx.https.request(txn.discovery.token_endpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: ctx.signinOrigin + SIGNIN_CALLBACK_PATH(poolId, providerId),
      }).toString(),
    });
  } catch {
    return { refused: signinErrorPage(400, 'invalid_grant', ISSUER_ERROR) };
  }
  let body: any = {};
  try {
    body = JSON.parse(tokenRes.text);
  } catch {
    /* not JSON: handled below */
  }
  if (tokenRes.status !== 200) {
    const err = typeof body.error === 'string' ? body.error : 'invalid_grant';
    const desc =
      typeof body.error_description === 'string'
        ? body.error_description
        : `The identity provider's token endpoint answered ${tokenRes.status}.`;
    if (err === 'invalid_client') {
      return {
        refused: signinErrorPage(
          401,
          'invalid_client',
          `The identity provider rejected the client credentials of ${PROVIDER_RESOURCE(poolId, providerId)} ` +
            `(oidc.clientId ${oidc.clientId}): ${desc}`,
        ),
      };
    }
    return { refused: signinErrorPage(400, err, desc) };
  }
  const idToken = typeof body.id_token === 'string' ? body.id_token : undefined;
  const accessToken = typeof body.access_token === 'string' ? body.access_token : undefined;
  if (!idToken)
    return { refused: signinErrorPage(400, 'invalid_grant', 'The identity provider did not return an ID token.') };
  return { idToken, accessToken };
}

/**
 * The ID token checked (signature from the IdP's JWKS, iss, aud, nonce), then merged with userinfo when the
 * provider asks for it: the assertion the attribute mapping reads.
 */
async function verifiedAssertion(
  ctx: ChainContext,
  txn: SigninTxn,
  oidc: WorkforceProvider['oidc'],
  idToken: string,
  accessToken: string | undefined,
  idTokenFlow: boolean,
): Promise<{ refused: ApiResult } | { assertion: Record<string, unknown> }> {
  // The ID token: signature from the IdP's JWKS, iss = issuerUri, aud = oidc.clientId, nonce.
  let claims: JWTPayload;
  try {
    const jwks = createLocalJWKSet(await ctx.https.getJson(txn.discovery.jwks_uri));
    ({ payload: claims } = await jwtVerify(idToken, jwks, {
      issuer: oidc.issuerUri,
      audience: oidc.clientId,
      requiredClaims: ['exp', 'sub'],
      // Google accepts RSA and EC signatures, never HS256 (auth0.md 2.2). Times are checked against
      // real time, not the sandbox clock: the IdP is another system and stamps its tokens with its own.
      algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'],
    }));
  } catch (err) {
    return {
      refused: signinErrorPage(
        400,
        'invalid_grant',
        `The ID token from the identity provider is invalid: ${(err as Error).message}`,
      ),
    };
  }
  if (claims.nonce !== txn.nonce)
    return {
      refused: signinErrorPage(
        400,
        'invalid_grant',
        'The ID token from the identity provider is invalid: the nonce does not match.',
      ),
    };

  let assertion: Record<string, unknown> = { ...claims };
  if (
    !idTokenFlow &&
    oidc.webSsoConfig?.assertionClaimsBehavior === 'MERGE_USER_INFO_OVER_ID_TOKEN_CLAIMS' &&
    txn.discovery.userinfo_endpoint
  ) {
    let info: any;
    try {
      if (!accessToken) throw new Error('no access token');
      info = await ctx.https.getJson(txn.discovery.userinfo_endpoint, { authorization: `Bearer ${accessToken}` });
    } catch (err) {
      return {
        refused: signinErrorPage(
          400,
          'invalid_grant',
          `Error fetching user info from the identity provider: ${(err as Error).message}`,
        ),
      };
    }
    // OIDC Core 5.3.2: the userinfo sub must be the ID token's.
    if (info?.sub !== claims.sub)
      return {
        refused: signinErrorPage(
          400,
          'invalid_grant',
          'The userinfo response does not belong to the ID token subject.',
        ),
      };
    assertion = { ...assertion, ...info };
  }
  return { assertion };
}

/**
 * The registered redirect URI is IAP's real handler, https://iap.googleapis.com/v1/oauth/clientIds/
 * {clientId}:handleRedirect, which a browser on this machine cannot reach. This is the one place
 * the sandbox substitutes a host: the same path is served by the sandbox's IAP origin
 * (iap-redirect.ts). Any other registered URI is used as is.
 */
export function browserUrlForRedirect(ctx: ChainContext, registered: string): string {
  const prefix = 'https://iap.googleapis.com/';
  return registered.startsWith(prefix) ? ctx.iapOrigin + '/' + registered.slice(prefix.length) : registered;
}
