// Who may pass, as the access binding says: the --allow members init granted (pool, user:SUB,
// email:ADDRESS when Auth0 verified it, role:/group:NAME or full principal members), evaluated
// against a signed-in Auth0 user the way IAP evaluates the workforce principal it maps from the
// same claims.
import { allowMember, EMAIL_ATTRIBUTE } from '../inputs/schema.js';

export interface DevIdentity {
  sub: string;
  email?: string;
  /** Auth0's email_verified: only a verified address matches an email: grant (as the provider's mapping). */
  emailVerified?: boolean;
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
    ...(id.email && id.emailVerified ? [`${setBase}/attribute.${EMAIL_ATTRIBUTE}/${id.email.toLowerCase()}`] : []),
  ]);
  return (allow.length ? allow : ['pool']).some((a) => forms.has(allowMember(a, pool)));
}
