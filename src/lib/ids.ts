// The real id rules of every resource iap-auth0 names (../shared/reference/gcp-api.md), as data:
// the pattern, the sentence saying what a valid id looks like, and any further condition. The
// CLI's input schemas (src/inputs/schema.ts) are valibot built from these rules, and the state
// rules (which `status` loads at start-up) use them, so no library is imported here. The sandbox
// keeps its own copy (src/sandbox/facts/), so the two sides cannot agree on a wrong rule.

export interface IdRule {
  /** What the id names, as the message starts: "project id". */
  what: string;
  pattern: RegExp;
  /** How to write a valid one, when the pattern fails. */
  text: string;
  /** A further condition the pattern cannot say, and its message. */
  also?: { fails: (id: string) => boolean; text: string };
}

const gcpReserved = { fails: (id: string) => id.startsWith('gcp-'), text: 'the prefix "gcp-" is reserved by Google' };

/** Project ids: 6-30 chars, lowercase letter first, letters/digits/hyphens, no trailing hyphen. */
export const PROJECT_ID: IdRule = {
  what: 'project id',
  pattern: /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
  text: 'use 6-30 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen',
  also: {
    fails: (id) => /google|^ssl|^goog/.test(id),
    text: 'project ids cannot contain "google" or start with "goog" or "ssl"',
  },
};

/** Cloud Run service ids: letter first, fewer than 50 chars, no trailing hyphen. */
export const RUN_SERVICE_ID: IdRule = {
  what: 'service name',
  pattern: /^[a-z]([-a-z0-9]{0,47}[a-z0-9])?$/,
  text:
    'use lowercase letters, digits and hyphens, start with a letter, do not end with a hyphen, fewer than 50 ' +
    'characters',
};

/** Service account ids (the part before @): 6-30 chars. */
export const SERVICE_ACCOUNT_ID: IdRule = {
  what: 'service account id',
  pattern: /^[a-z]([-a-z0-9]*[a-z0-9])$/,
  text: 'use 6-30 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen',
  also: { fails: (id) => id.length < 6 || id.length > 30, text: 'it must be 6-30 characters long' },
};

/** Workforce pool ids: globally unique, 6-63 chars, gcp- reserved. */
export const WORKFORCE_POOL_ID: IdRule = {
  what: 'workforce pool id',
  pattern: /^[a-z][a-z0-9-]{4,61}[a-z0-9]$/,
  text: 'use 6-63 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen',
  also: gcpReserved,
};

/** Workforce pool provider ids: 4-32 chars, gcp- reserved. */
export const WORKFORCE_PROVIDER_ID: IdRule = {
  what: 'workforce provider id',
  pattern: /^[a-z0-9-]{4,32}$/,
  text: 'use 4-32 lowercase letters, digits or hyphens',
  also: gcpReserved,
};

/** IAM OAuth client ids (the resource id you choose, not the generated clientId). */
export const OAUTH_CLIENT_ID: IdRule = {
  what: 'OAuth client id',
  pattern: /^[a-z][a-z0-9-]{4,61}[a-z0-9]$/,
  text: 'use 6-63 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen',
  also: gcpReserved,
};

/** IAM OAuth client credential ids. */
export const OAUTH_CREDENTIAL_ID: IdRule = {
  what: 'OAuth client credential id',
  pattern: /^[a-z0-9-]{4,32}$/,
  text: 'use 4-32 lowercase letters, digits or hyphens',
  also: gcpReserved,
};

/** Cloud Run regions look like europe-west1, us-central1, northamerica-northeast2. */
export const REGION: IdRule = {
  what: 'region',
  pattern: /^[a-z]+-[a-z]+[0-9]+$/,
  text: 'use a Cloud Run region such as us-central1 or europe-west1',
};

/** A setup's id, written into the marker of everything it creates: 8 characters of lowercase base32. */
export const SETUP_ID = /^[a-z2-7]{8}$/;

/** The message for an id that breaks `rule`: `project id "X" is invalid: ...`. */
export const idMessage = (rule: IdRule, id: unknown, text: string) =>
  `${rule.what} "${String(id)}" is invalid: ${text}`;

/** What is wrong with `id` under `rule`, or undefined when it is valid. */
export function idProblem(rule: IdRule, id: string): string | undefined {
  if (typeof id !== 'string' || !rule.pattern.test(id)) return idMessage(rule, id, rule.text);
  return rule.also?.fails(id) ? idMessage(rule, id, rule.also.text) : undefined;
}

// The same rules as checks, for the sandbox and the tests: undefined when valid, else the sentence.
export type IdCheck = (id: string) => string | undefined;
const checkOf =
  (rule: IdRule): IdCheck =>
  (id) =>
    idProblem(rule, id);
export const projectId = checkOf(PROJECT_ID);
export const runServiceId = checkOf(RUN_SERVICE_ID);
export const serviceAccountId = checkOf(SERVICE_ACCOUNT_ID);
export const workforcePoolId = checkOf(WORKFORCE_POOL_ID);
export const workforceProviderId = checkOf(WORKFORCE_PROVIDER_ID);
export const oauthClientId = checkOf(OAUTH_CLIENT_ID);
export const oauthCredentialId = checkOf(OAUTH_CREDENTIAL_ID);
export const region = checkOf(REGION);

/**
 * The namespaced claim carrying a user's Auth0 roles and connection groups: set by the post-login
 * Action iap-auth0 installs (stages/auth0-action/code.ts), mapped to google.groups for role:NAME
 * and group:NAME access.
 */
export const GROUPS_CLAIM = 'https://iap-auth0.dev/groups';

export const POOL_RESOURCE = (pool: string) => `locations/global/workforcePools/${pool}`;
export const PROVIDER_RESOURCE = (pool: string, provider: string) => `${POOL_RESOURCE(pool)}/providers/${provider}`;
export const IAP_REDIRECT_URI = (clientId: string) =>
  `https://iap.googleapis.com/v1/oauth/clientIds/${clientId}:handleRedirect`;
export const SIGNIN_CALLBACK_PATH = (pool: string, provider: string) =>
  `/signin-callback/${PROVIDER_RESOURCE(pool, provider)}`;
export const IAP_AGENT_EMAIL = (projectNumber: string) => `service-${projectNumber}@gcp-sa-iap.iam.gserviceaccount.com`;
export const IAP_RUN_RESOURCE = (projectNumber: string, regionName: string, service: string) =>
  `projects/${projectNumber}/iap_web/cloud_run-${regionName}/services/${service}`;
export const IAP_AUDIENCE = (projectNumber: string, regionName: string, service: string) =>
  `/projects/${projectNumber}/locations/${regionName}/services/${service}`;
