// The regions Cloud Run serves, so a typo (europe-west, us-central) is refused on this machine,
// with the nearest real name, before anything is sent. Source: the Cloud Run locations page
// (https://cloud.google.com/run/docs/locations, read 2026-12; tier 1 and tier 2 regions), plus the
// regions Google opened since that other services' location pages list (europe-north2,
// asia-southeast3, northamerica-south1). Cloud Run gains regions over time: a region newer than
// this list is accepted when named in IAP_AUTH0_ALLOW_REGION (the message says so).

export const CLOUD_RUN_REGIONS = [
  // Tier 1
  'asia-east1',
  'asia-northeast1',
  'asia-northeast2',
  'europe-north1',
  'europe-southwest1',
  'europe-west1',
  'europe-west4',
  'europe-west8',
  'europe-west9',
  'me-west1',
  'us-central1',
  'us-east1',
  'us-east4',
  'us-east5',
  'us-south1',
  'us-west1',
  // Tier 2
  'africa-south1',
  'asia-east2',
  'asia-northeast3',
  'asia-southeast1',
  'asia-southeast2',
  'asia-south1',
  'asia-south2',
  'australia-southeast1',
  'australia-southeast2',
  'europe-central2',
  'europe-west10',
  'europe-west12',
  'europe-west2',
  'europe-west3',
  'europe-west6',
  'me-central1',
  'me-central2',
  'northamerica-northeast1',
  'northamerica-northeast2',
  'southamerica-east1',
  'southamerica-west1',
  'us-west2',
  'us-west3',
  'us-west4',
  // Opened later (listed by other services' location pages)
  'europe-north2',
  'asia-southeast3',
  'northamerica-south1',
] as const;

/** Levenshtein distance, for the suggestion. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j];
      row[j] = next;
    }
  }
  return row[b.length];
}

/** The listed region nearest to `name` (europe-west → europe-west1). */
export function nearestRegion(name: string): string {
  return [...CLOUD_RUN_REGIONS].sort((x, y) => distance(name, x) - distance(name, y) || x.localeCompare(y))[0];
}

/** Why `name` is not a Cloud Run region (undefined when it is one, or is allowed by IAP_AUTH0_ALLOW_REGION). */
export function unknownRegion(name: string, env: NodeJS.ProcessEnv): string | undefined {
  if ((CLOUD_RUN_REGIONS as readonly string[]).includes(name)) return undefined;
  if (
    (env.IAP_AUTH0_ALLOW_REGION ?? '')
      .split(',')
      .map((s) => s.trim())
      .includes(name)
  )
    return undefined;
  return (
    `region "${name}" is not one Cloud Run serves: did you mean ${nearestRegion(name)}? (If Cloud Run opened ` +
    `${name} after this version of iap-auth0, set IAP_AUTH0_ALLOW_REGION=${name}.)`
  );
}
