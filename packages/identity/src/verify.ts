// Verifying x-goog-iap-jwt-assertion (gcp-api.md 10.3): ES256 only, iss exactly
// https://cloud.google.com/iap, aud exactly the expected audience, exp and iat required, a small
// clock tolerance. Keys come from IAP's public JWKS, cached, and refetched when an unknown kid
// shows up (IAP rotates keys) but not more often than the cool-down. jose does the cryptography.
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { IapAssertionError } from './errors.js';

export const IAP_ISSUER = 'https://cloud.google.com/iap';
export const IAP_JWKS_URL = 'https://www.gstatic.com/iap/verify/public_key-jwk';
/** Opt-in for `iap-auth0 dev`'s local key set (see devJwksUrl). */
export const DEV_JWKS_ENV = 'IAP_AUTH0_DEV_JWKS_URL';

export interface IapIdentity {
  /** The `email` claim (google.email as mapped by the workforce provider); absent if unmapped. */
  email?: string;
  /** principal://iam.googleapis.com/locations/global/workforcePools/POOL/subject/SUBJECT */
  principal?: string;
  /** `sub`: sts.google.com:… for workforce identities, accounts.google.com:… for Google accounts. */
  subject: string;
  /** locations/global/workforcePools/POOL */
  workforcePool?: string;
  /** WORKFORCE_IDENTITY, or GOOGLE for Google accounts. */
  identitySource?: string;
  audience: string;
  issuedAt: Date;
  expiresAt: Date;
  /** Every verified claim, as sent. */
  claims: JWTPayload;
}

export interface VerifyOptions {
  /** /projects/NUMBER/locations/REGION/services/NAME (iapAudience builds it). Default: env IAP_AUDIENCE. */
  audience?: string;
  /** Seconds of clock skew allowed on exp, iat and nbf. Default 30. */
  clockToleranceSec?: number;
  /**
   * Where IAP's keys are. Default: Google's, or the dev key set when IAP_AUTH0_DEV_JWKS_URL is set
   * (loopback URLs only, never on Cloud Run). Set it only for tests and emulators.
   */
  jwksUrl?: string;
  /** Minimum seconds between two fetches of the key set (an unknown kid refetches). Default 30. */
  keyRefetchCooldownSec?: number;
  /** For tests: the time to verify at. */
  now?: Date;
  /** For tests: the environment to read IAP_AUDIENCE and IAP_AUTH0_DEV_JWKS_URL from. */
  env?: Record<string, string | undefined>;
}

const keySets = new Map<string, JWTVerifyGetKey>();
/** One cached key set per URL: kept an hour, refetched on an unknown kid at most every cool-down. */
function keySet(url: string, cooldownSec: number): JWTVerifyGetKey {
  const key = `${cooldownSec} ${url}`;
  let ks = keySets.get(key);
  if (!ks) {
    ks = createRemoteJWKSet(new URL(url), {
      cacheMaxAge: 3_600_000,
      cooldownDuration: cooldownSec * 1000,
      timeoutDuration: 10_000,
    });
    keySets.set(key, ks);
  }
  return ks;
}

/**
 * The dev key set, only when the app opted in (IAP_AUTH0_DEV_JWKS_URL), only on this machine
 * (loopback http), and never on Cloud Run (K_SERVICE set), so a production deployment cannot be
 * pointed at a local key by accident.
 */
export function devJwksUrl(env: Record<string, string | undefined>): string | undefined {
  const value = env[DEV_JWKS_ENV]?.trim();
  if (!value) return undefined;
  if (env.K_SERVICE)
    throw new IapAssertionError(
      'misconfigured',
      `${DEV_JWKS_ENV} is set on Cloud Run (K_SERVICE=${env.K_SERVICE}): refusing local keys in production; ` +
        'remove the variable from the service',
    );
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new IapAssertionError('misconfigured', `${DEV_JWKS_ENV}="${value}" is not a URL`);
  }
  if (!['localhost', '127.0.0.1', '[::1]'].includes(u.hostname))
    throw new IapAssertionError(
      'misconfigured',
      `${DEV_JWKS_ENV} must point at this machine (localhost), not ${u.host}`,
    );
  return u.toString();
}

/** Verifies an IAP assertion; returns who is calling or throws IapAssertionError saying why not. */
export async function verifyIapAssertion(
  jwt: string | string[] | undefined | null,
  opts: VerifyOptions = {},
): Promise<IapIdentity> {
  const env = opts.env ?? process.env;
  const audience = opts.audience ?? env.IAP_AUDIENCE;
  if (!audience)
    throw new IapAssertionError(
      'misconfigured',
      'no audience: pass { audience } (iapAudience(...)) or set IAP_AUDIENCE',
    );
  const token = Array.isArray(jwt) ? jwt[0] : jwt;
  if (!token)
    throw new IapAssertionError('missing', 'no x-goog-iap-jwt-assertion header: the request did not come through IAP');
  let alg: string | undefined;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    throw new IapAssertionError('malformed', 'the assertion is not a JWT');
  }
  if (alg !== 'ES256')
    throw new IapAssertionError(
      'wrong_algorithm',
      `the assertion is signed with ${alg ?? 'no algorithm'}; IAP signs with ES256 only`,
    );
  const tolerance = opts.clockToleranceSec ?? 30;
  const now = opts.now ?? new Date();
  const url = opts.jwksUrl ?? devJwksUrl(env) ?? IAP_JWKS_URL;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keySet(url, opts.keyRefetchCooldownSec ?? 30), {
      algorithms: ['ES256'],
      issuer: IAP_ISSUER,
      audience,
      requiredClaims: ['exp', 'iat', 'sub'],
      clockTolerance: tolerance,
      currentDate: now,
    }));
  } catch (e) {
    throw translate(e, audience);
  }
  // jose checks iat only against a maximum age; a token from the future is refused here.
  if (payload.iat! > now.getTime() / 1000 + tolerance)
    throw new IapAssertionError('not_yet_valid', `the assertion was issued in the future (iat ${payload.iat})`);
  const wi = payload.workforce_identity as { iam_principal?: string; workforce_pool_name?: string } | undefined;
  return {
    email: typeof payload.email === 'string' ? payload.email : undefined,
    principal: wi?.iam_principal,
    subject: payload.sub!,
    workforcePool: wi?.workforce_pool_name,
    identitySource: typeof payload.identity_source === 'string' ? payload.identity_source : undefined,
    audience,
    issuedAt: new Date(payload.iat! * 1000),
    expiresAt: new Date(payload.exp! * 1000),
    claims: payload,
  };
}

function translate(e: unknown, audience: string): IapAssertionError {
  if (e instanceof IapAssertionError) return e;
  if (e instanceof errors.JWTExpired) return new IapAssertionError('expired', 'the assertion has expired');
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.reason === 'missing')
      return new IapAssertionError('missing_claim', `the assertion has no "${e.claim}" claim`);
    if (e.claim === 'iss') return new IapAssertionError('wrong_issuer', `the issuer is not ${IAP_ISSUER}`);
    if (e.claim === 'aud') return new IapAssertionError('wrong_audience', `the audience is not ${audience}`);
    if (e.claim === 'nbf' || e.claim === 'iat')
      return new IapAssertionError('not_yet_valid', 'the assertion is not valid yet');
    return new IapAssertionError('malformed', `claim "${e.claim}" is invalid: ${e.message}`);
  }
  if (e instanceof errors.JWKSNoMatchingKey)
    return new IapAssertionError('unknown_key', "the assertion's key (kid) is not in IAP's key set");
  if (e instanceof errors.JWSSignatureVerificationFailed)
    return new IapAssertionError(
      'bad_signature',
      'the signature does not verify: the assertion was tampered with or not signed by IAP',
    );
  if (e instanceof errors.JOSEAlgNotAllowed)
    return new IapAssertionError('wrong_algorithm', 'the assertion is not signed with ES256');
  if (
    e instanceof errors.JWKSTimeout ||
    e instanceof errors.JWKSInvalid ||
    ((e as { code?: string }).code === 'ERR_JOSE_GENERIC' && /fetch|Expected 200/i.test(String((e as Error).message)))
  ) {
    return new IapAssertionError('keys_unavailable', `IAP's key set could not be fetched: ${(e as Error).message}`);
  }
  if (e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid)
    return new IapAssertionError('malformed', `the assertion is malformed: ${(e as Error).message}`);
  if (e instanceof TypeError || (e as { cause?: unknown }).cause)
    return new IapAssertionError('keys_unavailable', `IAP's key set could not be fetched: ${(e as Error).message}`);
  return new IapAssertionError('malformed', (e as Error).message);
}
