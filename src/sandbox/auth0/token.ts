// POST /oauth/token with grant_type=client_credentials: the machine-to-machine token the
// Management API wants. Like Auth0, the token is an RS256 JWT signed with the tenant key, for the
// audience https://{domain}/api/v2/, carrying the scopes of the app's client grant at the moment
// it is minted (world.auth0M2M.scopes). The Management API verifies these tokens (verifyManagementToken).
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { World } from '../world.js';
import type { TenantKey } from './keys.js';
import { OAuthError, invalidToken, missingAuthentication } from './errors.js';

export interface Tenant {
  world: World;
  domain: string;
  /** https://{domain}/ — with the trailing slash, as Auth0. */
  issuer: string;
  /** The Management API audience https://{tenant domain}/api/v2/ (the tenant's, on a custom domain too). */
  managementAudience: string;
  /** The /userinfo audience https://{tenant domain}/userinfo (likewise the tenant's). */
  userinfoAudience: string;
  key: TenantKey;
  /** This origin is the tenant's custom domain (issuer and domain are the custom domain's). */
  customDomain?: boolean;
}

/** Management API access tokens live 24 h (Auth0's default for the Management API). */
export const MANAGEMENT_TOKEN_TTL = 86400;

/** client_id/client_secret from HTTP Basic (form-urlencoded inside, RFC 6749 2.3.1) or the body. */
export function clientCredentialsOf(
  params: Record<string, unknown>,
  authorization?: string,
): { id?: string; secret?: string } {
  const basic = /^Basic\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (basic) {
    const text = Buffer.from(basic, 'base64').toString('utf8');
    const i = text.indexOf(':');
    const dec = (s: string) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        return s;
      }
    };
    if (i > 0) return { id: dec(text.slice(0, i)), secret: dec(text.slice(i + 1)) };
  }
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return { id: str(params.client_id), secret: str(params.client_secret) };
}

export async function clientCredentialsGrant(t: Tenant, params: Record<string, unknown>, authorization?: string) {
  const { id, secret } = clientCredentialsOf(params, authorization);
  const app = id ? t.world.auth0Clients.get(id) : undefined;
  // Auth0 does not tell an unknown client from a wrong secret.
  if (!app || !secret || app.client_secret !== secret) throw new OAuthError(401, 'access_denied', 'Unauthorized');
  if (!(app.grant_types ?? []).includes('client_credentials')) {
    throw new OAuthError(403, 'unauthorized_client', "Grant type 'client_credentials' not allowed for the client.");
  }
  const audience = typeof params.audience === 'string' ? params.audience : '';
  if (!audience)
    throw new OAuthError(
      403,
      'access_denied',
      'No audience parameter was provided, and no default audience has been configured',
    );
  // The sandbox tenant has one API: the Management API (no custom APIs are registered). Its
  // identifier is the tenant's domain's, also when asked on a custom domain: there, the audience
  // https://<custom domain>/api/v2/ is "not enabled" (node-auth0#292, auth0-PHP#538), while the
  // tenant's audience is granted, with a token whose iss is the custom domain (Auth0 docs, "Get
  // Access Tokens": custom domains and the Management API).
  if (audience !== t.managementAudience)
    throw new OAuthError(403, 'access_denied', `Service not enabled within domain: ${audience}`);
  if (app.client_id !== t.world.auth0M2M.client_id) {
    throw new OAuthError(
      403,
      'access_denied',
      `Client is not authorized to access "${audience}". You need to create a "client-grant" associated to ` +
        'this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants',
    );
  }
  // Scopes are read now, so a test that edits world.auth0M2M.scopes sees it in the next token.
  const granted = [...t.world.auth0M2M.scopes];
  const asked = typeof params.scope === 'string' && params.scope.trim() ? params.scope.trim().split(/\s+/) : undefined;
  const scope = (asked ? granted.filter((s) => asked.includes(s)) : granted).join(' ');
  const now = Math.floor(Date.now() / 1000);
  const access_token = await new SignJWT({ scope, gty: 'client-credentials', azp: app.client_id })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: t.key.kid })
    .setIssuer(t.issuer)
    .setSubject(`${app.client_id}@clients`)
    .setAudience(audience)
    .setIssuedAt(now)
    .setExpirationTime(now + MANAGEMENT_TOKEN_TTL)
    .sign(t.key.privateKey);
  t.world.issuedSecrets.add(access_token);
  return { access_token, scope, expires_in: MANAGEMENT_TOKEN_TTL, token_type: 'Bearer' };
}

/**
 * Checks a Management API bearer token; returns its scopes. Real time, like the SDK's token cache.
 * A token is valid only on the domain that minted it (its iss): "if you have requested an Access
 * Token from your custom domain, then you must call the Management API from your custom domain or
 * else your Access Token will be considered invalid" (Auth0 docs, "Get Access Tokens").
 */
export async function verifyManagementToken(t: Tenant, authorization?: string): Promise<Set<string>> {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!token) throw missingAuthentication();
  try {
    const { payload } = await jwtVerify(token, t.key.publicKey, { issuer: t.issuer, algorithms: ['RS256'] });
    const aud = [payload.aud ?? []].flat();
    if (!aud.includes(t.managementAudience)) throw invalidToken(`Bad audience: ${aud.join(' ')}`);
    return new Set(
      String(payload.scope ?? '')
        .split(' ')
        .filter(Boolean),
    );
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) throw invalidToken('Expired token');
    if (e instanceof Error && 'statusCode' in e) throw e;
    throw invalidToken();
  }
}
