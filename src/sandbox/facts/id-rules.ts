// The id rules Google applies when a resource is created, as the sandbox's own copy of the
// reference (../shared/reference/gcp-api.md, sections below), so the sandbox rejects a bad id the
// way Google does whatever the CLI believes. The CLI checks ids first with its own rules
// (src/lib/ids.ts); the sandbox must not import them, or a wrong rule would be wrong on both sides.
// The sentences match the CLI's, so a user sees the same words from a local check and from Google.
// Each rule returns undefined when the id is valid, else a sentence saying what is wrong.

export type IdRule = (id: string) => string | undefined;

/** "prefix `gcp-` reserved" (gcp-api.md 6.1, 7.1, 8.1, 8.4). */
const reservedGcp = (id: string) => (id.startsWith('gcp-') ? 'the prefix "gcp-" is reserved by Google' : undefined);

function rule(what: string, re: RegExp, text: string, extra?: IdRule): IdRule {
  return (id) => {
    if (typeof id !== 'string' || !re.test(id)) return `${what} "${id}" is invalid: ${text}`;
    const e = extra?.(id);
    return e ? `${what} "${id}" is invalid: ${e}` : undefined;
  };
}

/**
 * Cloud Run `serviceId`: "must begin with letter, and cannot end with hyphen; must contain fewer than 50 characters"
 * (gcp-api.md 5.1).
 */
export const runServiceId = rule(
  'service name',
  /^[a-z]([-a-z0-9]{0,47}[a-z0-9])?$/,
  'use lowercase letters, digits and hyphens, start with a letter, do not end with a hyphen, fewer than 50 characters',
);

/** Service account `accountId`: 6-30 chars, `^[a-z]([-a-z0-9]*[a-z0-9])$` (gcp-api.md 4.1). */
export const serviceAccountId = rule(
  'service account id',
  /^[a-z]([-a-z0-9]*[a-z0-9])$/,
  'use 6-30 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen',
  (id) => (id.length < 6 || id.length > 30 ? 'it must be 6-30 characters long' : undefined),
);

/** `workforcePoolId`: 6-63 chars, `^[a-z][a-z0-9-]{4,61}[a-z0-9]$`, `gcp-` reserved (gcp-api.md 6.1). */
export const workforcePoolId = rule(
  'workforce pool id',
  /^[a-z][a-z0-9-]{4,61}[a-z0-9]$/,
  'use 6-63 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen',
  reservedGcp,
);

/** `workforcePoolProviderId`: 4-32 chars `[a-z0-9-]`, `gcp-` reserved (gcp-api.md 7.1). */
export const workforceProviderId = rule(
  'workforce provider id',
  /^[a-z0-9-]{4,32}$/,
  'use 4-32 lowercase letters, digits or hyphens',
  reservedGcp,
);

/** `oauthClientId` (the id you choose, not the generated clientId): as a pool id (gcp-api.md 8.1). */
export const oauthClientId = rule(
  'OAuth client id',
  /^[a-z][a-z0-9-]{4,61}[a-z0-9]$/,
  'use 6-63 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen',
  reservedGcp,
);

/** `oauthClientCredentialId`: 4-32 chars `[a-z0-9-]`, `gcp-` reserved (gcp-api.md 8.4). */
export const oauthCredentialId = rule(
  'OAuth client credential id',
  /^[a-z0-9-]{4,32}$/,
  'use 4-32 lowercase letters, digits or hyphens',
  reservedGcp,
);

/**
 * The shape of a Cloud Run region in a location path (`projects/{project}/locations/{region}`,
 * gcp-api.md 5.1): europe-west1, us-central1, northamerica-northeast2. Which regions exist is
 * run-locations.ts's business; this only refuses what cannot be a region name at all.
 */
export const region = rule(
  'region',
  /^[a-z]+-[a-z]+[0-9]+$/,
  'use a Cloud Run region such as us-central1 or europe-west1',
);
