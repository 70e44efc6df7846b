// Input schemas: one schema (valibot) per input, built on the real id rules (src/lib/ids.ts). The same
// schema validates flags, environment values, recorded state and prompt answers, so a value is
// judged the same way wherever it came from.
import * as v from 'valibot';
import * as ids from '../lib/ids.js';
import { checked } from '../lib/validate.js';

const fromRule = (rule: ids.IdRule) => checked(v.pipe(v.string(), v.trim(), v.check((x) => !rule(x), (issue) => rule(String(issue.input)) ?? 'invalid')));

export const projectSchema = fromRule(ids.projectId);
export const regionSchema = fromRule(ids.region);
export const serviceSchema = fromRule(ids.runServiceId);
export const poolSchema = fromRule(ids.workforcePoolId);
export const providerSchema = fromRule(ids.workforceProviderId);
export const oauthClientSchema = fromRule(ids.oauthClientId);

/** An organization id: digits only, as Resource Manager prints it (organizations/ prefix accepted). */
export const organizationSchema = checked(v.pipe(v.string(), v.trim(), v.transform((x) => x.replace(/^organizations\//, '')),
  v.regex(/^\d{6,20}$/, 'organization "…" is invalid: use the numeric organization id, e.g. 123456789012 (gcloud organizations list)')));

/**
 * An Auth0 domain as the Management API wants it: a bare host (optionally :port). People paste
 * URLs, so a scheme and trailing slash are removed; a path, query or user info is refused.
 */
const bareDomain = (x: string) => x.replace(/^https?:\/\//i, '').replace(/\/+$/, '');
function domainOk(x: string): boolean {
  const bare = bareDomain(x);
  const port = /:(\d+)$/.exec(bare)?.[1];
  return /^[a-z0-9.-]+(:\d{1,5})?$/i.test(bare) && bare.includes('.') && !/\.\./.test(bare) && (port === undefined || (Number(port) >= 1 && Number(port) <= 65535));
}
export const auth0DomainSchema = checked(v.pipe(v.string(), v.trim(),
  v.check(domainOk, (issue) => `Auth0 domain "${String(issue.input)}" is invalid: use the tenant's host, e.g. dev-abc123.us.auth0.com (no path; a port, if any, from 1 to 65535)`),
  v.transform((x) => bareDomain(x).toLowerCase())));

/** Container image references: [host[:port]/]path[:tag][@sha256:digest]. */
export const imageSchema = checked(v.pipe(v.string(), v.trim(), v.regex(
  /^(?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/,
  'image reference is invalid: use e.g. us-docker.pkg.dev/cloudrun/container/hello or REGION-docker.pkg.dev/PROJECT/REPO/IMAGE:TAG')));

/**
 * --allow members: `pool` (everyone in the pool, the default), `user:<auth0 sub>`,
 * `group:<name>` (needs a google.groups mapping), or a full principal:// / principalSet:// member.
 */
export const allowSchema = checked(v.pipe(v.string(), v.trim(), v.check(
  (x) => x === 'pool' || /^user:\S+$/.test(x) || /^group:\S+$/.test(x) || /^principal(Set)?:\/\/iam\.googleapis\.com\/locations\/global\/workforcePools\/\S+$/.test(x),
  '--allow member is invalid: use pool, user:<auth0 user id such as auth0|64f…>, group:<group name> or a principal:// member')));

export const scopeSchema = checked(v.picklist(['service', 'project']));

/** The IAM member an --allow value grants, given the pool. */
export function allowMember(value: string, pool: string): string {
  const base = `iam.googleapis.com/locations/global/workforcePools/${pool}`;
  if (value === 'pool') return `principalSet://${base}/*`;
  if (value.startsWith('user:')) return `principal://${base}/subject/${value.slice(5)}`;
  if (value.startsWith('group:')) return `principalSet://${base}/group/${value.slice(6)}`;
  return value;
}

/**
 * Deterministic ids derived from the service name, so a run that died between "create" and
 * "record" finds its resource again. Pool ids are global across all organizations, hence the
 * project in the pool id; everything is cut to the id's length limit without a trailing hyphen.
 */
export function derivedIds(project: string, service: string): { pool: string; provider: string; oauthClient: string; serviceAccount: string } {
  const cut = (s: string, n: number) => s.slice(0, n).replace(/-+$/, '');
  return {
    pool: cut(`iap-${service}-${project}`, 63),
    provider: 'auth0',
    oauthClient: cut(`iap-auth0-${service}`, 63),
    serviceAccount: cut(`iap-run-${service}`, 30),
  };
}
