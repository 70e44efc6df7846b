// The audience IAP puts in the assertion for a Cloud Run service (gcp-api.md 10.3). It uses the
// project NUMBER; a project id here never matches.

export interface CloudRunService {
  projectNumber: string | number;
  region: string;
  service: string;
}

export function iapAudience(s: CloudRunService): string {
  const n = String(s.projectNumber);
  if (!/^\d+$/.test(n))
    throw new TypeError(`iapAudience: projectNumber must be the project NUMBER (digits), not "${n}"`);
  if (!s.region || !s.service) throw new TypeError('iapAudience: region and service are required');
  return `/projects/${n}/locations/${s.region}/services/${s.service}`;
}
