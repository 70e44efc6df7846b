// The real id rules of every resource iap-auth0 names (../shared/reference/gcp-api.md): the CLI
// rejects bad ids before Google does. The sandbox keeps its own copy (src/sandbox/facts/), so the
// two sides cannot agree on a wrong rule or format by sharing this file.
// Each rule returns undefined when the id is valid, else a sentence saying what is wrong.

export type IdRule = (id: string) => string | undefined;

const reservedGcp = (id: string) => (id.startsWith('gcp-') ? 'the prefix "gcp-" is reserved by Google' : undefined);

function rule(what: string, re: RegExp, text: string, extra?: IdRule): IdRule {
  return (id) => {
    if (typeof id !== 'string' || !re.test(id)) return `${what} "${id}" is invalid: ${text}`;
    const e = extra?.(id);
    return e ? `${what} "${id}" is invalid: ${e}` : undefined;
  };
}

/** Project ids: 6-30 chars, lowercase letter first, letters/digits/hyphens, no trailing hyphen. */
export const projectId = rule('project id', /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
  'use 6-30 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen',
  (id) => (/google|^ssl|^goog/.test(id) ? 'project ids cannot contain "google" or start with "goog" or "ssl"' : undefined));

/** Cloud Run service ids: letter first, fewer than 50 chars, no trailing hyphen. */
export const runServiceId = rule('service name', /^[a-z]([-a-z0-9]{0,47}[a-z0-9])?$/,
  'use lowercase letters, digits and hyphens, start with a letter, do not end with a hyphen, fewer than 50 characters');

/** Service account ids (the part before @): 6-30 chars. */
export const serviceAccountId = rule('service account id', /^[a-z]([-a-z0-9]*[a-z0-9])$/,
  'use 6-30 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen',
  (id) => (id.length < 6 || id.length > 30 ? 'it must be 6-30 characters long' : undefined));

/** Workforce pool ids: globally unique, 6-63 chars, gcp- reserved. */
export const workforcePoolId = rule('workforce pool id', /^[a-z][a-z0-9-]{4,61}[a-z0-9]$/,
  'use 6-63 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen', reservedGcp);

/** Workforce pool provider ids: 4-32 chars, gcp- reserved. */
export const workforceProviderId = rule('workforce provider id', /^[a-z0-9-]{4,32}$/,
  'use 4-32 lowercase letters, digits or hyphens', reservedGcp);

/** IAM OAuth client ids (the resource id you choose, not the generated clientId). */
export const oauthClientId = rule('OAuth client id', /^[a-z][a-z0-9-]{4,61}[a-z0-9]$/,
  'use 6-63 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen', reservedGcp);

/** IAM OAuth client credential ids. */
export const oauthCredentialId = rule('OAuth client credential id', /^[a-z0-9-]{4,32}$/,
  'use 4-32 lowercase letters, digits or hyphens', reservedGcp);

/** Cloud Run regions look like europe-west1, us-central1, northamerica-northeast2. */
export const region = rule('region', /^[a-z]+-[a-z]+[0-9]+$/, 'use a Cloud Run region such as us-central1 or europe-west1');

/**
 * The namespaced claim carrying a user's groups: added by a post-login Action on a real tenant
 * (the sandbox's tenant adds it itself), mapped to google.groups for group:NAME access.
 */
export const GROUPS_CLAIM = 'https://iap-auth0.dev/groups';

export const POOL_RESOURCE = (pool: string) => `locations/global/workforcePools/${pool}`;
export const PROVIDER_RESOURCE = (pool: string, provider: string) => `${POOL_RESOURCE(pool)}/providers/${provider}`;
export const IAP_REDIRECT_URI = (clientId: string) => `https://iap.googleapis.com/v1/oauth/clientIds/${clientId}:handleRedirect`;
export const SIGNIN_CALLBACK_PATH = (pool: string, provider: string) => `/signin-callback/${PROVIDER_RESOURCE(pool, provider)}`;
export const IAP_AGENT_EMAIL = (projectNumber: string) => `service-${projectNumber}@gcp-sa-iap.iam.gserviceaccount.com`;
export const IAP_RUN_RESOURCE = (projectNumber: string, regionName: string, service: string) =>
  `projects/${projectNumber}/iap_web/cloud_run-${regionName}/services/${service}`;
export const IAP_AUDIENCE = (projectNumber: string, regionName: string, service: string) =>
  `/projects/${projectNumber}/locations/${regionName}/services/${service}`;
