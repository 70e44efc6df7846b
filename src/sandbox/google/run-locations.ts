// The regions Cloud Run serves, the sandbox's own copy (it never takes the product's list): from
// the Cloud Run locations page, https://cloud.google.com/run/docs/locations (tier 1 and tier 2,
// read 2026-12), plus europe-north2, asia-southeast3 and northamerica-south1, which other Google
// services' location pages list. `-` (every region, for list) is accepted.
import { invalid } from '../core/errors.js';

const LOCATIONS = new Set([
  'asia-east1',
  'asia-east2',
  'asia-northeast1',
  'asia-northeast2',
  'asia-northeast3',
  'asia-south1',
  'asia-south2',
  'asia-southeast1',
  'asia-southeast2',
  'asia-southeast3',
  'australia-southeast1',
  'australia-southeast2',
  'africa-south1',
  'europe-central2',
  'europe-north1',
  'europe-north2',
  'europe-southwest1',
  'europe-west1',
  'europe-west2',
  'europe-west3',
  'europe-west4',
  'europe-west6',
  'europe-west8',
  'europe-west9',
  'europe-west10',
  'europe-west12',
  'me-central1',
  'me-central2',
  'me-west1',
  'northamerica-northeast1',
  'northamerica-northeast2',
  'northamerica-south1',
  'southamerica-east1',
  'southamerica-west1',
  'us-central1',
  'us-east1',
  'us-east4',
  'us-east5',
  'us-south1',
  'us-west1',
  'us-west2',
  'us-west3',
  'us-west4',
]);

/**
 * A well-formed region Cloud Run does not serve. Assumption [L]: Cloud Run v2's exact answer is not
 * on public record; this is the wording other Google APIs with the same location resources give
 * (Cloud Tasks: "Location 'us-central' is not a valid location. Use ListLocations to list valid
 * locations.", web-platform-tests/wpt.fyi issue 2189), as a 400 INVALID_ARGUMENT.
 */
export function checkLocation(region: string | undefined): void {
  // A malformed region is create's to refuse, with its own message (run-services.ts checkIds).
  if (!region || region === '-' || LOCATIONS.has(region) || !/^[a-z]+-[a-z]+[0-9]+$/.test(region)) return;
  throw invalid(`Location '${region}' is not a valid location. Use ListLocations to list valid locations.`, 'parent');
}
