// iap-auth0-identity: what your app imports to trust who is calling through IAP. Depends on jose
// and Node only; installed on its own (`npm install iap-auth0-identity`), none of the CLI comes along.
export {
  verifyIapAssertion,
  devJwksUrl,
  IAP_ISSUER,
  IAP_JWKS_URL,
  DEV_JWKS_ENV,
  type IapIdentity,
  type VerifyOptions,
} from './verify.js';
export { iapAudience, type CloudRunService } from './audience.js';
export { iapMiddleware, iapFastifyHook, identify, ASSERTION_HEADER, type RequestWithIdentity } from './middleware.js';
export { IapAssertionError, type IapAssertionErrorCode } from './errors.js';
