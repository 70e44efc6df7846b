// Input schemas: one zod schema per input, built on the real id rules (src/lib/ids.ts). The same
// schema validates flags, environment values, recorded state and prompt answers, so a value is
// judged the same way wherever it came from.
import { z } from 'zod';
import * as ids from '../lib/ids.js';

const fromRule = (rule: ids.IdRule) => z.string().trim().superRefine((v, ctx) => {
  const problem = rule(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const projectSchema = fromRule(ids.projectId);
export const regionSchema = fromRule(ids.region);
export const serviceSchema = fromRule(ids.runServiceId);
export const poolSchema = fromRule(ids.workforcePoolId);
export const providerSchema = fromRule(ids.workforceProviderId);
export const oauthClientSchema = fromRule(ids.oauthClientId);

/** An organization id: digits only, as Resource Manager prints it (organizations/ prefix accepted). */
export const organizationSchema = z.string().trim().transform((v) => v.replace(/^organizations\//, '')).pipe(
  z.string().regex(/^\d{6,20}$/, 'organization "…" is invalid: use the numeric organization id, e.g. 123456789012 (gcloud organizations list)'));

/**
 * An Auth0 domain as the Management API wants it: a bare host (optionally :port). People paste
 * URLs, so a scheme and trailing slash are removed; a path, query or user info is refused.
 */
export const auth0DomainSchema = z.string().trim().transform((v, ctx) => {
  const bare = v.replace(/^https?:\/\//i, '').replace(/\/+$/, '');
  const port = /:(\d+)$/.exec(bare)?.[1];
  if (!/^[a-z0-9.-]+(:\d{1,5})?$/i.test(bare) || !bare.includes('.') || /\.\./.test(bare) || (port !== undefined && (Number(port) < 1 || Number(port) > 65535))) {
    ctx.addIssue({ code: 'custom', message: `Auth0 domain "${v}" is invalid: use the tenant's host, e.g. dev-abc123.us.auth0.com (no path; a port, if any, from 1 to 65535)` });
    return z.NEVER;
  }
  return bare.toLowerCase();
});

/** Container image references: [host[:port]/]path[:tag][@sha256:digest]. */
export const imageSchema = z.string().trim().regex(
  /^(?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/,
  'image reference is invalid: use e.g. us-docker.pkg.dev/cloudrun/container/hello or REGION-docker.pkg.dev/PROJECT/REPO/IMAGE:TAG');

/**
 * --allow members: `pool` (everyone in the pool, the default), `user:<auth0 sub>`,
 * `group:<name>` (needs a google.groups mapping), or a full principal:// / principalSet:// member.
 */
export const allowSchema = z.string().trim().refine(
  (v) => v === 'pool' || /^user:\S+$/.test(v) || /^group:\S+$/.test(v) || /^principal(Set)?:\/\/iam\.googleapis\.com\/locations\/global\/workforcePools\/\S+$/.test(v),
  { message: '--allow member is invalid: use pool, user:<auth0 user id such as auth0|64f…>, group:<group name> or a principal:// member' });

export const scopeSchema = z.enum(['service', 'project']);

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
