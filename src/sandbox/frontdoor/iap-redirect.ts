// The browser-facing endpoints of iap.googleapis.com and www.gstatic.com, served by one more
// sandbox origin (the "IAP origin"):
//   GET /v1/oauth/clientIds/{clientId}:handleRedirect?code&state
//       IAP's OAuth redirect handler. The real URL, https://iap.googleapis.com/v1/oauth/clientIds/
//       {clientId}:handleRedirect, is what the OAuth client registers and what IAP sends as
//       redirect_uri; the sign-in origin maps that host to this origin (signin.ts
//       browserUrlForRedirect), keeping the path. IAP redeems the code with the OAuth client's
//       secret from its settings, then sends the browser back to the app with a one-time token.
//   GET /iap/verify/public_key-jwk
//       The JWKS of IAP's signing keys (real: https://www.gstatic.com/iap/verify/public_key-jwk).
import type { ApiResult } from '../core/http.js';
import { sha256Hex, type OauthClient, type World } from '../world.js';
import { createHash } from 'node:crypto';
import { chainHandler, redirect, type ChainContext, type ChainRequest } from './chain.js';
import { effectiveIapFor, parseServiceKey, signinTarget } from './access.js';
import { oauthErrorPage, signinErrorPage } from './pages.js';

export const JWKS_PATH = '/iap/verify/public_key-jwk';
const HANDLE_RE = /^\/v1\/oauth\/clientIds\/([^/:]+):handleRedirect$/;

export function iapOriginHandler(ctx: ChainContext) {
  return chainHandler(ctx.world, 'signin', async (req) => {
    if (req.method === 'GET' && req.path === JWKS_PATH) {
      // gstatic serves the set with a public cache lifetime; verifiers cache it.
      return {
        json: ctx.signer.jwks(),
        headers: { 'cache-control': 'public, max-age=3600', 'access-control-allow-origin': '*' },
      };
    }
    const m = HANDLE_RE.exec(req.path);
    if (m && req.method === 'GET') return handleRedirect(ctx, req, m[1]);
    return {
      status: 404,
      html:
        "<!DOCTYPE html><title>Error 404 (Not Found)</title><p><b>404.</b> That's an error.<p>The requested URL " +
        'was not found on this server.',
    };
  });
}

/** True when `secret` (or, lacking the plaintext, its SHA-256) is an enabled credential's secret. */
function secretMatches(
  world: World,
  projectNumber: string,
  oauthClientId: string,
  plain: string | undefined,
  sha: string | undefined,
): boolean {
  const key = `${projectNumber}/${oauthClientId}`;
  for (const c of world.credentials.values()) {
    if (c.clientKey !== key || c.disabled) continue;
    if (plain !== undefined) {
      if (c.clientSecret === plain) return true;
      continue;
    }
    // Hex or base64 is not known for clientSecretSha256 (gcp-api.md 15): accept either.
    if (
      sha &&
      (sha === sha256Hex(c.clientSecret) || sha === createHash('sha256').update(c.clientSecret).digest('base64'))
    )
      return true;
  }
  return false;
}

async function handleRedirect(ctx: ChainContext, req: ChainRequest, clientId: string): Promise<ApiResult> {
  const { world } = ctx;
  const code = ctx.codes.take(req.query.get('code'));
  const state = ctx.iapStates.take(req.query.get('state'));
  if (!code || code.clientId !== clientId || !state) {
    return signinErrorPage(
      400,
      'invalid_request',
      'The sign-in request is invalid or has expired. Go back to the application and sign in again.',
    );
  }
  const s = parseServiceKey(state.serviceKey);
  const iap = effectiveIapFor(world, s);
  const target = signinTarget(world, iap);
  // IAP redeems the code as the client its settings name, with the secret stored there.
  if (target.kind !== 'wif' || target.clientId !== clientId) {
    return oauthErrorPage(401, 'invalid_client', "The OAuth client is not the one in this resource's IAP settings.", {
      client_id: clientId,
    });
  }
  let client: OauthClient | undefined;
  for (const c of world.oauthClients.values()) if (c.clientId === clientId) client = c;
  const wif = iap.settings.accessSettings?.workforceIdentitySettings;
  if (
    client?.state !== 'ACTIVE' ||
    client.disabled ||
    !secretMatches(world, client.projectNumber, client.oauthClientId, iap.secretPlain, wif?.oauth2?.clientSecretSha256)
  ) {
    return oauthErrorPage(
      401,
      'invalid_client',
      'Unauthorized: the client secret in the IAP settings is not the secret of an enabled credential of this ' +
        'OAuth client.',
      { client_id: clientId },
    );
  }
  if (code.identity.pool !== target.pool) {
    return signinErrorPage(
      400,
      'invalid_request',
      `The identity belongs to workforce pool ${code.identity.pool}, but this resource uses ${target.pool}.`,
    );
  }
  const origin = ctx.frontDoorOrigin(state.serviceKey);
  if (!origin) return signinErrorPage(404, 'not_found', 'The application no longer exists.');
  const token = ctx.redirectTokens.put({
    identity: code.identity,
    serviceKey: state.serviceKey,
    resource: state.resource,
    originalUrl: state.originalUrl,
  });
  const path = new URL(state.originalUrl, origin).pathname;
  return redirect(`${origin}${path}?gcp-iap-mode=AUTHENTICATING&redirect_token_v2=${encodeURIComponent(token)}`, {
    'x-goog-iap-generated-response': 'true',
  });
}
