// IAM service accounts (gcp-api.md section 4): synchronous create/get/list/patch/delete. An account
// id is reusable right after delete (unlike pools); with `projects/-` a missing account is 403.
// Sources for patch are in docs/SANDBOX.md ("IAM service account patch").
import { GoogleError, errorInfo, invalid, notFound, resourceInfo } from '../core/errors.js';
import { type Router, requirePermission, type ApiRequest, type ApiResult } from '../core/http.js';
import { serviceAccountId } from '../facts/id-rules.js';
import { projectOr403, requireEnabled } from './common.js';
import { accountSettling } from './consistency.js';
import type { ServiceAccount, World } from '../world.js';

/**
 * The etag every real service account reports, whatever it holds and however often it changed: the
 * field is "Deprecated. Do not use." in IAM v1, and captured `get`/`create` outputs of unrelated
 * accounts all carry this value. So it detects nothing. Assumption: patch ignores whatever etag it
 * is sent (never a 409), since no real account ever reports another value.
 */
export const SERVICE_ACCOUNT_ETAG = 'MDEwMjE5MjA=';

/** UTF-8 byte limits of the two fields a caller sets (IAM v1 ServiceAccount field descriptions). */
const LIMITS = { displayName: 100, description: 256 } as const;
type Settable = keyof typeof LIMITS;
const MASK_PATHS: Record<string, Settable> = {
  displayName: 'displayName',
  display_name: 'displayName',
  description: 'description',
};

/** ServiceAccount's JSON names (camelCase and proto names); the output-only ones are ignored on input. */
const SA_FIELDS = new Set([
  'name',
  'projectId',
  'project_id',
  'uniqueId',
  'unique_id',
  'email',
  'displayName',
  'display_name',
  'etag',
  'description',
  'oauth2ClientId',
  'oauth2_client_id',
  'disabled',
]);

/** The field-length checks create and patch share; `field` is the proto path Google reports. */
function checkLength(name: Settable, value: unknown, field: string): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string')
    throw invalid(`Invalid value at '${field}' (TYPE_STRING), ${JSON.stringify(value)}`, field);
  // Assumption: the wording is ours; the limits (UTF-8 bytes) are IAM's.
  if (Buffer.byteLength(value) > LIMITS[name]) throw invalid(`${name} must be at most ${LIMITS[name]} bytes.`, field);
}

/**
 * The update mask of a PatchServiceAccountRequest. It travels in the BODY (the request message is
 * the body, `body: "*"`), as a comma-separated FieldMask string, camelCase or proto names. Absent
 * or empty answers Google's exact 400; only displayName and description may be named. Assumption:
 * `?updateMask=` in the query string is not read (the generated client has no such parameter), so
 * a mask sent only there answers the same missing-mask 400.
 */
function patchMask(body: any): Settable[] {
  const raw = body?.updateMask ?? body?.update_mask;
  if (raw !== undefined && raw !== null && typeof raw !== 'string') {
    throw invalid(
      `Invalid value at 'update_mask' (type.googleapis.com/google.protobuf.FieldMask), ${JSON.stringify(raw)}`,
      'update_mask',
    );
  }
  const paths = String(raw ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (paths.length === 0)
    throw invalid('Invalid field mask for ServiceAccount. Field mask paths cannot be empty.', 'update_mask');
  return paths.map((p) => {
    const f = MASK_PATHS[p];
    // Assumption: the real text for a path other than the two patchable fields is not on record.
    if (!f)
      throw invalid(
        `Invalid field mask for ServiceAccount. Field mask path "${p}" is not supported; only display_name ` +
          'and description can be patched.',
        'update_mask',
      );
    return f;
  });
}

const view = (sa: ServiceAccount) => ({
  name: `projects/${sa.projectId}/serviceAccounts/${sa.email}`,
  projectId: sa.projectId,
  uniqueId: sa.uniqueId,
  email: sa.email,
  ...(sa.displayName ? { displayName: sa.displayName } : {}),
  ...(sa.description ? { description: sa.description } : {}),
  etag: sa.etag,
  oauth2ClientId: sa.oauth2ClientId,
  disabled: sa.disabled,
});

export function addServiceAccountRoutes(r: Router, world: World): void {
  const project = (req: ApiRequest) => {
    const p = projectOr403(world, req.params.p, 'iam.serviceAccounts.list');
    requireEnabled(world, p, 'iam.googleapis.com');
    return p;
  };
  /** What a request for an account that does not exist gets: 404, or 403 through `projects/-`. */
  const missing = (req: ApiRequest): GoogleError => {
    if (req.params.p === '-') {
      const permission =
        req.method === 'DELETE'
          ? 'iam.serviceAccounts.delete'
          : req.method === 'PATCH'
            ? 'iam.serviceAccounts.update'
            : 'iam.serviceAccounts.get';
      return new GoogleError(
        'PERMISSION_DENIED',
        `Permission '${permission}' denied on resource (or it may not exist).`,
        [errorInfo('IAM_PERMISSION_DENIED', 'iam.googleapis.com', { permission })],
      );
    }
    return notFound(`Unknown service account`, `projects/${req.params.p}/serviceAccounts/${req.params.sa}`);
  };
  const find = (req: ApiRequest): ServiceAccount => {
    const ref = req.params.sa;
    const wildcard = req.params.p === '-';
    const p = wildcard ? undefined : project(req);
    const sa = [...world.serviceAccounts.values()].find(
      (s) => (s.email === ref || s.uniqueId === ref) && (!p || s.projectId === p.projectId),
    );
    if (!sa) throw missing(req);
    // With projects/- the account's own project is the consumer whose IAM API must be on.
    if (wildcard) requireEnabled(world, world.project(sa.projectId)!, 'iam.googleapis.com');
    return sa;
  };

  r.post(/^\/v1\/projects\/(?<p>[^/]+)\/serviceAccounts$/, (req) => {
    const p = project(req);
    requirePermission(req, 'iam.serviceAccounts.create', `projects/${p.projectId}`);
    const accountId = String(req.body?.accountId ?? '');
    const problem = serviceAccountId(accountId);
    if (problem) throw invalid(`${problem}.`, 'account_id');
    const input = req.body?.serviceAccount ?? {};
    checkLength('displayName', input.displayName, 'service_account.display_name');
    checkLength('description', input.description, 'service_account.description');
    const email = `${accountId}@${p.projectId}.iam.gserviceaccount.com`;
    if (world.serviceAccounts.has(email)) {
      throw new GoogleError(
        'ALREADY_EXISTS',
        `Service account ${accountId} already exists within project projects/${p.projectId}.`,
        [resourceInfo(`projects/${p.projectId}/serviceAccounts/${email}`)],
      );
    }
    const sa: ServiceAccount = {
      projectId: p.projectId,
      accountId,
      email,
      uniqueId: world.newUniqueId(),
      displayName: input.displayName,
      description: input.description,
      disabled: false,
      etag: SERVICE_ACCOUNT_ETAG,
      oauth2ClientId: world.newUniqueId(),
      createdAt: world.clock.now(),
    };
    world.serviceAccounts.set(email, sa);
    return { json: view(sa) };
  });
  r.get(/^\/v1\/projects\/(?<p>[^/]+)\/serviceAccounts$/, (req) => {
    const p = project(req);
    const accounts = [...world.serviceAccounts.values()].filter((s) => s.projectId === p.projectId).map(view);
    return { json: accounts.length ? { accounts } : {} };
  });
  r.get(/^\/v1\/projects\/(?<p>[^/]+)\/serviceAccounts\/(?<sa>[^/:]+)$/, (req) => {
    const sa = find(req);
    // A new account reads as missing until it has settled: why Terraform polls for three good
    // reads after a create (docs/SANDBOX.md "Eventual consistency after a create").
    if (accountSettling(world, sa.email)) throw missing(req);
    return { json: view(sa) };
  });
  // projects.serviceAccounts.patch: PATCH /v1/{serviceAccount.name} with body
  // {"serviceAccount": {...}, "updateMask": "displayName,description"}.
  r.patch(/^\/v1\/projects\/(?<p>[^/]+)\/serviceAccounts\/(?<sa>[^/:]+)$/, (req) => patchServiceAccount(req, find));
  r.delete(/^\/v1\/projects\/(?<p>[^/]+)\/serviceAccounts\/(?<sa>[^/:]+)$/, (req) => {
    const sa = find(req);
    requirePermission(req, 'iam.serviceAccounts.delete', `projects/${sa.projectId}/serviceAccounts/${sa.email}`);
    world.serviceAccounts.delete(sa.email);
    return { json: {} };
  });
}

function patchServiceAccount(req: ApiRequest, find: (req: ApiRequest) => ServiceAccount): ApiResult {
  const sa = find(req);
  requirePermission(req, 'iam.serviceAccounts.update', `projects/${sa.projectId}/serviceAccounts/${sa.email}`);
  const body = req.body ?? {};
  for (const k of Object.keys(body)) {
    if (!['serviceAccount', 'service_account', 'updateMask', 'update_mask'].includes(k)) {
      throw invalid(`Invalid JSON payload received. Unknown name "${k}": Cannot find field.`, k);
    }
  }
  const input = body.serviceAccount ?? body.service_account ?? {};
  if (typeof input !== 'object' || Array.isArray(input))
    throw invalid(
      `Invalid value at 'service_account' (type.googleapis.com/google.iam.admin.v1.ServiceAccount), ` +
        `${JSON.stringify(input)}`,
      'service_account',
    );
  for (const k of Object.keys(input)) {
    if (!SA_FIELDS.has(k))
      throw invalid(
        `Invalid JSON payload received. Unknown name "${k}" at 'service_account': Cannot find field.`,
        `service_account.${k}`,
      );
  }
  const mask = patchMask(body);
  // Every check before any change, so a refused patch changes nothing. Output-only fields (name,
  // email, uniqueId, etag, ...) in the body are ignored, as the reference says of each of them.
  const next: Partial<Record<Settable, string>> = {};
  for (const f of mask) {
    const value = input[f] ?? input[f === 'displayName' ? 'display_name' : f];
    checkLength(f, value, f === 'displayName' ? 'service_account.display_name' : 'service_account.description');
    // In the mask but unset = cleared.
    next[f] = value === null || value === undefined || value === '' ? undefined : value;
  }
  for (const f of mask) sa[f] = next[f];
  // Only the masked fields (and the name) come back: "Only the fields specified in the request are
  // guaranteed to be returned in the response", and Google's own example answer has exactly these.
  const answer: Record<string, string> = { name: `projects/${sa.projectId}/serviceAccounts/${sa.email}` };
  for (const f of ['displayName', 'description'] as const) if (mask.includes(f) && sa[f]) answer[f] = sa[f]!;
  return { json: answer };
}
