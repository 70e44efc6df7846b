// The sandbox IAP's signing key and the assertion it signs, x-goog-iap-jwt-assertion (gcp-api.md
// 10.3): ES256 with a `kid`, keys published as EC P-256 JWKs (the real set lives at
// https://www.gstatic.com/iap/verify/public_key-jwk). A fresh key pair per sandbox; the set also
// carries a second, unused key, as Google's does, so verifiers have to pick the key by `kid`.
// The sandbox's own copy: `iap-auth0 dev` signs with src/lib/iap-signer.ts, and the identity
// library checks with its own constants, so a wrong claim shape fails a test instead of being
// agreed on by both sides.
import { randomBytes } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { IAP_ISSUER, IAP_JWT_LIFETIME_S, WORKFORCE_IDENTITY_SOURCE } from '../facts/iap-jwt.js';

export interface WorkforceAssertion {
  aud: string;
  email?: string;
  sub: string;
  iamPrincipal: string;
  poolName: string;
  /** Issue time in seconds (sandbox clock). */
  iat: number;
}

/** Short key ids, like Google's (e.g. "4BCyVw", gcp-api.md 10.3). */
const newKid = () => randomBytes(4).toString('base64url').slice(0, 6);

async function newKey(): Promise<{ kid: string; privateKey: CryptoKey; jwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const pub = await exportJWK(publicKey);
  const kid = newKid();
  return { kid, privateKey, jwk: { alg: 'ES256', crv: pub.crv, kid, kty: 'EC', use: 'sig', x: pub.x, y: pub.y } };
}

export class IapSigner {
  private constructor(
    private key: CryptoKey,
    public kid: string,
    private readonly publicJwks: JWK[],
  ) {}

  static async create(): Promise<IapSigner> {
    const [signing, spare] = [await newKey(), await newKey()];
    return new IapSigner(signing.privateKey, signing.kid, [signing.jwk, spare.jwk]);
  }

  /** Key rotation as Google does it: a new key joins the set and signs from now on. */
  async rotate(): Promise<void> {
    const next = await newKey();
    this.publicJwks.unshift(next.jwk);
    this.key = next.privateKey;
    this.kid = next.kid;
  }

  /** The JWK Set document, as served at /iap/verify/public_key-jwk. */
  jwks(): { keys: JWK[] } {
    return { keys: structuredClone(this.publicJwks) };
  }

  /** Signs the Workforce Identity Federation form of the assertion (gcp-api.md 10.3, the captured payload). */
  sign(a: WorkforceAssertion): Promise<string> {
    const payload: Record<string, unknown> = {
      aud: a.aud,
      azp: a.aud,
      ...(a.email !== undefined ? { email: a.email } : {}),
      exp: a.iat + IAP_JWT_LIFETIME_S,
      iat: a.iat,
      identity_source: WORKFORCE_IDENTITY_SOURCE,
      iss: IAP_ISSUER,
      sub: a.sub,
      workforce_identity: { iam_principal: a.iamPrincipal, workforce_pool_name: a.poolName },
    };
    return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: this.kid }).sign(this.key);
  }
}
