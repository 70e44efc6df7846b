// Who may pass, as the access binding says: the --allow members init granted (pool, user:SUB,
// group:NAME or full principal members), evaluated against a signed-in Auth0 user the way IAP
// evaluates the workforce principal it maps from the same claims.
import { allowMember } from '../inputs/schema.js';

export interface DevIdentity {
  sub: string;
  email?: string;
  name?: string;
  groups: string[];
}

export function allowed(allow: string[], pool: string, id: DevIdentity): boolean {
  const base = `principal://iam.googleapis.com/locations/global/workforcePools/${pool}`;
  const setBase = `principalSet://iam.googleapis.com/locations/global/workforcePools/${pool}`;
  const forms = new Set([
    `${base}/subject/${id.sub}`,
    `${setBase}/*`,
    ...id.groups.map((g) => `${setBase}/group/${g}`),
  ]);
  return (allow.length ? allow : ['pool']).some((a) => forms.has(allowMember(a, pool)));
}
