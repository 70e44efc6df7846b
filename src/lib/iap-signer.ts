// IAP's signed header, x-goog-iap-jwt-assertion (gcp-api.md 10.3): ES256 with a `kid`, keys
// published as EC P-256 JWKs (the real set lives at https://www.gstatic.com/iap/verify/public_key-jwk).
// A fresh key pair per instance; the set also carries a second, unused key, as Google's does, so
// verifiers have to pick the key by `kid`. `iap-auth0 dev` signs with it; the sandbox's IAP has its
// own copy (src/sandbox/frontdoor/iap-signer.ts), so the app sees the claims shape of the reference
// from both without the two sharing a mistake.
import { randomBytes } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';

export const IAP_ISSUER = 'https://cloud.google.com/iap';
/** "IAP assertions are valid for 10 minutes" (DOC-TOKENS). */
export const IAP_JWT_LIFETIME_S = 600;

export interface WorkforceAssertion {
  aud: string;
  email?: string;
  sub: string;
  iamPrincipal: string;
  poolName: string;
  /** Issue time in seconds (sandbox clock). */
  iat: number;
}

const newKid = () => randomBytes(4).toString('base64url').slice(0, 6);

export class IapSigner {
  private constructor(
    private key: CryptoKey,
    public kid: string,
    private readonly publicJwks: JWK[],
  ) {}

  /** Key rotation as Google does it: a new key joins the set and signs from now on. */
  async rotate(): Promise<void> {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    const id = newKid();
    this.publicJwks.unshift({ alg: 'ES256', crv: jwk.crv, kid: id, kty: 'EC', use: 'sig', x: jwk.x, y: jwk.y });
    this.key = privateKey;
    this.kid = id;
  }

  static async create(): Promise<IapSigner> {
    const kid = newKid;
    const jwks: JWK[] = [];
    let signing: CryptoKey | undefined;
    let signingKid = '';
    for (let i = 0; i < 2; i++) {
      const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
      const jwk = await exportJWK(publicKey);
      const id = kid();
      jwks.push({ alg: 'ES256', crv: jwk.crv, kid: id, kty: 'EC', use: 'sig', x: jwk.x, y: jwk.y });
      if (i === 0) {
        signing = privateKey;
        signingKid = id;
      }
    }
    return new IapSigner(signing!, signingKid, jwks);
  }

  /** The JWK Set document, as served at /iap/verify/public_key-jwk. */
  jwks(): { keys: JWK[] } {
    return { keys: structuredClone(this.publicJwks) };
  }

  /** Signs the Workforce Identity Federation form of the assertion. */
  sign(a: WorkforceAssertion): Promise<string> {
    const payload: Record<string, unknown> = {
      aud: a.aud,
      azp: a.aud,
      ...(a.email !== undefined ? { email: a.email } : {}),
      exp: a.iat + IAP_JWT_LIFETIME_S,
      iat: a.iat,
      identity_source: 'WORKFORCE_IDENTITY',
      iss: IAP_ISSUER,
      sub: a.sub,
      workforce_identity: { iam_principal: a.iamPrincipal, workforce_pool_name: a.poolName },
    };
    return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: this.kid }).sign(this.key);
  }
}
