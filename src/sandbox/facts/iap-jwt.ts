// The fixed parts of IAP's signed header, x-goog-iap-jwt-assertion (gcp-api.md 10.3), as the
// sandbox's own copy: the CLI's `dev` command and the iap-auth0-identity library have theirs, and a
// mistake in either must show up as a failing test, not be shared by both sides.

/** `iss`: "https://cloud.google.com/iap (always)" (gcp-api.md 10.3). */
export const IAP_ISSUER = 'https://cloud.google.com/iap';

/** "IAP assertions are valid for 10 minutes, and can't be revoked": exp - iat = 600 s (gcp-api.md 10.3). */
export const IAP_JWT_LIFETIME_S = 600;

/** `identity_source` of a workforce identity: "WORKFORCE_IDENTITY", not "…_FEDERATION" (gcp-api.md 10.3). */
export const WORKFORCE_IDENTITY_SOURCE = 'WORKFORCE_IDENTITY';
