// Input schemas: one valibot schema per input, the ids' built from the rules in src/lib/ids.ts. The
// same schema validates flags, environment values, recorded state and prompt answers, so a value
// is judged the same way wherever it came from. Callers use valibot itself (v.safeParse, v.is);
// `problem` gives the first message, as flags and prompts show it.
import { createHash } from 'node:crypto';
import * as v from 'valibot';
import { parse as parseCel } from '@marcbachmann/cel-js';
import {
  idMessage,
  OAUTH_CLIENT_ID,
  PROJECT_ID,
  REGION,
  RUN_SERVICE_ID,
  WORKFORCE_POOL_ID,
  WORKFORCE_PROVIDER_ID,
  type IdRule,
} from '../lib/ids.js';
import { unknownRegion } from './regions.js';

/** A text input's schema: the raw string in, the value to use out. */
export type InputSchema = v.GenericSchema<string, string>;

/** The first thing wrong with `value` under `schema`, or undefined when it is valid. */
export function problem(schema: v.GenericSchema, value: unknown): string | undefined {
  const r = v.safeParse(schema, value);
  return r.success ? undefined : r.issues[0].message;
}

/** An id: trimmed, then the rule's pattern, then its further condition (each with the rule's message). */
const idSchema = (rule: IdRule) =>
  v.pipe(
    v.string(),
    v.trim(),
    v.regex(rule.pattern, (issue) => idMessage(rule, issue.input, rule.text)),
    ...(rule.also
      ? [
          v.check(
            (x: string) => !rule.also!.fails(x),
            (issue) => idMessage(rule, issue.input, rule.also!.text),
          ),
        ]
      : []),
  );

export const projectSchema: InputSchema = idSchema(PROJECT_ID);
/**
 * A region of the right shape that Cloud Run serves (regions.ts); IAP_AUTH0_ALLOW_REGION in `env`, the run's
 * environment, admits a newer one.
 */
export const regionSchema = (env: NodeJS.ProcessEnv): InputSchema =>
  v.pipe(
    idSchema(REGION),
    v.check(
      (x) => !unknownRegion(x, env),
      (issue) => unknownRegion(String(issue.input), env) ?? 'invalid',
    ),
  );
export const serviceSchema: InputSchema = idSchema(RUN_SERVICE_ID);
export const poolSchema: InputSchema = idSchema(WORKFORCE_POOL_ID);
export const providerSchema: InputSchema = idSchema(WORKFORCE_PROVIDER_ID);
export const oauthClientSchema: InputSchema = idSchema(OAUTH_CLIENT_ID);

/** An organization id: digits only, as Resource Manager prints it (organizations/ prefix accepted). */
export const organizationSchema: InputSchema = v.pipe(
  v.string(),
  v.trim(),
  v.transform((x) => x.replace(/^organizations\//, '')),
  v.regex(
    /^\d{6,20}$/,
    'organization "…" is invalid: use the numeric organization id, e.g. 123456789012 (gcloud organizations list)',
  ),
);

/**
 * An Auth0 domain as the Management API wants it: a bare host (optionally :port). People paste
 * URLs, so a scheme and trailing slash are removed; a path, query or user info is refused.
 */
const bareDomain = (x: string) => x.replace(/^https?:\/\//i, '').replace(/\/+$/, '');
function domainOk(x: string): boolean {
  const bare = bareDomain(x);
  const port = /:(\d+)$/.exec(bare)?.[1];
  return (
    /^[a-z0-9.-]+(:\d{1,5})?$/i.test(bare) &&
    bare.includes('.') &&
    !/\.\./.test(bare) &&
    (port === undefined || (Number(port) >= 1 && Number(port) <= 65535))
  );
}
export const auth0DomainSchema: InputSchema = v.pipe(
  v.string(),
  v.trim(),
  v.check(
    domainOk,
    (issue) =>
      `Auth0 domain "${String(issue.input)}" is invalid: use the tenant's host, e.g. dev-abc123.us.auth0.com ` +
      '(no path; a port, if any, from 1 to 65535)',
  ),
  v.transform((x) => bareDomain(x).toLowerCase()),
);

/** Container image references: [host[:port]/]path[:tag][@sha256:digest]. */
export const imageSchema: InputSchema = v.pipe(
  v.string(),
  v.trim(),
  v.regex(
    new RegExp(
      /^(?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*/.source +
        /(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/.source,
    ),
    'image reference is invalid: use e.g. us-docker.pkg.dev/cloudrun/container/hello or ' +
      'REGION-docker.pkg.dev/PROJECT/REPO/IMAGE:TAG',
  ),
);

/**
 * --allow members: `pool` (everyone in the pool, the default), `user:<auth0 user id>`,
 * `email:<address>` (a person whose Auth0 email is verified), `role:<auth0 role>` and
 * `group:<name>` (both through the post-login Action iap-auth0 installs), or a full principal:// /
 * principalSet:// member. An Auth0 user id is `provider|id` (auth0|64f…, google-oauth2|1046…,
 * samlp|okta|alice@…); the subject Google sees is that id, so an email address given to user:
 * would admit nobody: it is refused, naming email:.
 */
const AUTH0_USER_ID = /^user:[a-z0-9-]+\|\S+$/i;
/** An address as people type it: one @, a dot in the domain, no spaces or brackets. */
const EMAIL = /^[^\s@<>()[\]",;:]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/i;
/**
 * A role or group name as it can appear in a principalSet://…/group/NAME member: no spaces and no
 * slash (Auth0 role names may have spaces; such a role cannot be named in an IAM member).
 */
const GROUP_NAME = /^[^\s/]+$/;
const KINDS =
  'use pool, user:<auth0 user id such as auth0|64f…>, email:<address>, role:<auth0 role>, group:<group name> ' +
  'or a principal:// member';

/** What is wrong with an --allow value, or undefined. */
function allowProblem(x: string): string | undefined {
  const [kind, ...rest] = x.split(':');
  const value = rest.join(':');
  if (kind === 'user' && !AUTH0_USER_ID.test(x))
    return EMAIL.test(value)
      ? `${x} is an email address, not an Auth0 user id: use --allow email:${value} (admits that person once ` +
          'Auth0 says the address is verified); user: takes the Auth0 user id (such as auth0|64f1c0ffee), which ' +
          'Google sees as the subject'
      : `${x} is not an Auth0 user id: user: takes provider|id (such as auth0|64f1c0ffee), not an email ` +
          'address or a name, because Google sees the Auth0 user id as the subject. Find it in the Auth0 ' +
          'dashboard under User Management > Users (user_id)';
  if (kind === 'email' && !EMAIL.test(value))
    return `${x}: "${value}" is not an email address: use email:alice@example.com`;
  if ((kind === 'role' || kind === 'group') && !GROUP_NAME.test(value))
    return value
      ? `${x}: a ${kind} name has no spaces and no slash (it becomes principalSet://…/group/NAME)`
      : `${x}: the ${kind} name is empty: use ${kind}:NAME, e.g. ` +
          (kind === 'role' ? 'role:admin' : 'group:engineering');
  if (
    x === 'pool' ||
    ['user', 'email', 'role', 'group'].includes(kind) ||
    /^principal(Set)?:\/\/iam\.googleapis\.com\/locations\/global\/workforcePools\/\S+$/.test(x)
  )
    return undefined;
  return `--allow member is invalid: ${KINDS}${EMAIL.test(x) ? ` (for this address: email:${x})` : ''}`;
}

export const allowSchema: InputSchema = v.pipe(
  v.string(),
  v.trim(),
  v.check(
    (x) => !allowProblem(x),
    (issue) => allowProblem(String(issue.input))!,
  ),
  // Emails are compared case-insensitively: recorded and granted in lower case, as the mapping lowers them.
  v.transform((x) => (x.startsWith('email:') ? x.toLowerCase() : x)),
);

export const scopeSchema = v.picklist(['service', 'project']);

/** The CEL syntax error of `x`, or undefined when it parses (Google checks the rest when it is written). */
function celProblem(x: string): string | undefined {
  try {
    parseCel(x);
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

/**
 * --require: the workforce provider's attribute condition (CEL over assertion, google and attribute,
 * at most 4096 characters, gcp-api.md 7.1), written instead of the one derived from --allow; '' goes back to it.
 */
export const requireSchema: InputSchema = v.pipe(
  v.string(),
  v.trim(),
  v.maxLength(4096, 'the attribute condition is longer than the 4096 characters Google allows'),
  v.check(
    (x) => x === '' || !celProblem(x),
    (issue) =>
      `"${String(issue.input)}" is not a CEL expression (${celProblem(String(issue.input).trim())}): write a ` +
      "condition such as \"'admins' in google.groups\" or assertion.email_verified == true, or '' for the one " +
      'derived from --allow',
  ),
);

/** The custom attribute that carries a verified email (workforce-provider.ts maps it). */
export const EMAIL_ATTRIBUTE = 'email';

/**
 * The IAM member an --allow value grants, given the pool. Roles and groups share one namespace: the
 * Action puts both in the claim mapped to google.groups, so role:admin and group:admin are one member.
 */
export function allowMember(value: string, pool: string): string {
  const base = `iam.googleapis.com/locations/global/workforcePools/${pool}`;
  if (value === 'pool') return `principalSet://${base}/*`;
  if (value.startsWith('user:')) return `principal://${base}/subject/${value.slice(5)}`;
  if (value.startsWith('email:'))
    return `principalSet://${base}/attribute.${EMAIL_ATTRIBUTE}/${value.slice(6).toLowerCase()}`;
  if (value.startsWith('group:')) return `principalSet://${base}/group/${value.slice(6)}`;
  if (value.startsWith('role:')) return `principalSet://${base}/group/${value.slice(5)}`;
  return value;
}

export { needsGroupsClaim } from './allow-kinds.js';

/**
 * Deterministic ids derived from project, region and service, so a run that died between "create"
 * and "record" finds its resource again. They are unique per project, region and service: the
 * readable form names all three (a region always looks like `word-word9`, so two different
 * triples never print the same id in one project), and where an id's length limit bites, the
 * readable part is cut and a short hash of all three is appended (a plain cut made
 * customer-portal-frontend-eu and -us share one service account). Pool ids are global across all
 * organizations, hence the project in the pool id.
 */
export function derivedIds(
  project: string,
  region: string,
  service: string,
): { pool: string; provider: string; oauthClient: string; serviceAccount: string } {
  const hash = shortHash(`${project}/${region}/${service}`);
  const fit = (id: string, max: number) =>
    id.length <= max ? id : `${id.slice(0, max - hash.length - 1).replace(/-+$/, '')}-${hash}`;
  return {
    pool: fit(`iap-${service}-${region}-${project}`, 63),
    provider: 'auth0',
    oauthClient: fit(`iap-auth0-${service}-${region}`, 63),
    serviceAccount: fit(`iap-${service}-${region}`, 30),
  };
}

/** Six characters of lowercase base32 from SHA-256: valid in every id, 30 bits against collisions. */
function shortHash(text: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return Array.from(createHash('sha256').update(text).digest().subarray(0, 6), (b) => alphabet[b % 32]).join('');
}
