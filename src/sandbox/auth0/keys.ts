// The tenant's signing key. Auth0 signs RS256 ID tokens and Management API access tokens with one
// RSA key per tenant, published at /.well-known/jwks.json with its X.509 certificate (x5c), and
// shown to Management API callers as the clients' `signing_keys`.
import { createPrivateKey, createPublicKey, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { selfSignedRsa } from '../core/tls.js';

export interface TenantKey {
  kid: string;
  /** Private JWK (with kid, alg, use, x5c) for oidc-provider's `jwks`. */
  privateJwk: Record<string, unknown>;
  privateKey: KeyObject;
  publicKey: KeyObject;
  certPem: string;
  pkcs7: string;
}

export async function createTenantKey(domain: string): Promise<TenantKey> {
  const host = domain.replace(/:\d+$/, '');
  // Auth0's tenant certificate: self-signed, CN = the tenant domain, valid for years.
  const pems = selfSignedRsa(host, 10 * 365);
  const privateKey = createPrivateKey(pems.privatePem);
  const publicKey = createPublicKey(privateKey);
  const der = new X509Certificate(pems.certPem).raw.toString('base64');
  // Auth0 kids are opaque base64url strings.
  const kid = randomBytes(16).toString('base64url');
  const privateJwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig', x5c: [der] };
  return { kid, privateJwk, privateKey, publicKey, certPem: pems.certPem, pkcs7: pems.pkcs7 };
}
