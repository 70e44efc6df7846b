// The names, URIs and e-mail addresses Google gives the resources iap-auth0 touches, as the
// sandbox's own copy of the reference (../shared/reference/gcp-api.md, section numbers below).
// The CLI builds the same strings in src/lib/ids.ts (same names, so a reader can compare them);
// the sandbox must not import those builders: if both sides shared one function, a wrong format
// would be wrong on both sides and every test would still pass. test/sandbox-independence.test.ts
// keeps it that way.

/** A workforce pool's resource name: `locations/global/workforcePools/{POOL_ID}` (gcp-api.md 6.2). */
export const POOL_RESOURCE = (pool: string) => `locations/global/workforcePools/${pool}`;

/** A provider's resource name: `…/workforcePools/{POOL_ID}/providers/{PROVIDER_ID}` (gcp-api.md 7.3). */
export const PROVIDER_RESOURCE = (pool: string, provider: string) => `${POOL_RESOURCE(pool)}/providers/${provider}`;

/**
 * The path of the sign-in callback on auth.cloud.google, which goes into Auth0's Allowed Callback
 * URLs: `/signin-callback/locations/global/workforcePools/{POOL_ID}/providers/{PROVIDER_ID}`
 * (gcp-api.md 7.5; the sandbox serves it on its own sign-in origin).
 */
export const SIGNIN_CALLBACK_PATH = (pool: string, provider: string) =>
  `/signin-callback/${PROVIDER_RESOURCE(pool, provider)}`;

/**
 * IAP's OAuth redirect handler for a client: the one allowed redirect URI of IAP's OAuth client,
 * keyed by the generated `clientId`, not the resource id (gcp-api.md 8.2, 10.1, 10.2 step 1).
 */
export const IAP_REDIRECT_URI = (clientId: string) =>
  `https://iap.googleapis.com/v1/oauth/clientIds/${clientId}:handleRedirect`;

/** The IAP service agent: `service-{PROJECT_NUMBER}@gcp-sa-iap.iam.gserviceaccount.com` (gcp-api.md 2.7). */
export const IAP_AGENT_EMAIL = (projectNumber: string) => `service-${projectNumber}@gcp-sa-iap.iam.gserviceaccount.com`;

/**
 * The IAP resource of a Cloud Run service (native IAP): project NUMBER, `cloud_run-` with an
 * underscore (gcp-api.md 9.1).
 */
export const IAP_RUN_RESOURCE = (projectNumber: string, region: string, service: string) =>
  `projects/${projectNumber}/iap_web/cloud_run-${region}/services/${service}`;

/**
 * The `aud` (and `azp`) of IAP's signed header for a Cloud Run service with native IAP:
 * `/projects/{PROJECT_NUMBER}/locations/{REGION}/services/{SERVICE}`, not the iap_web path
 * (gcp-api.md 10.3, e.g. `/projects/628205712753/locations/us-central1/services/runiap`).
 */
export const IAP_AUDIENCE = (projectNumber: string, region: string, service: string) =>
  `/projects/${projectNumber}/locations/${region}/services/${service}`;
