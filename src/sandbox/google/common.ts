// Helpers shared by the emulated Google APIs: project lookup with Google's "403 when unknown"
// behaviour, the SERVICE_DISABLED error, update masks and paging.
import { GoogleError, errorInfo, invalid } from '../core/errors.js';
import type { ApiRequest } from '../core/http.js';
import type { Project, World } from '../world.js';
import { accountSettling, agentSettling } from './consistency.js';

const TITLES: Record<string, string> = {
  'iam.googleapis.com': 'Identity and Access Management (IAM) API',
  'run.googleapis.com': 'Cloud Run Admin API',
  'iap.googleapis.com': 'Cloud Identity-Aware Proxy API',
  'cloudresourcemanager.googleapis.com': 'Cloud Resource Manager API',
  'serviceusage.googleapis.com': 'Service Usage API',
  'orgpolicy.googleapis.com': 'Organization Policy API',
};

/** Resolves a project id or number; unknown projects answer 403 as Google does (gcp-api.md 1.6). */
export function projectOr403(world: World, ref: string, permission: string): Project {
  const p = world.project(ref);
  if (!p) {
    throw new GoogleError(
      'PERMISSION_DENIED',
      `Permission '${permission}' denied on resource '//cloudresourcemanager.googleapis.com/projects/${ref}' ` +
        '(or it may not exist).',
      [errorInfo('IAM_PERMISSION_DENIED', 'iam.googleapis.com', { permission, resource: `projects/${ref}` })],
    );
  }
  return p;
}

/** Fails with the real "API has not been used in project … or it is disabled" error. */
export function requireEnabled(world: World, project: Project, service: string): void {
  if (world.serviceEnabled(project.projectNumber, service)) return;
  const n = project.projectNumber;
  const url = `https://console.developers.google.com/apis/api/${service}/overview?project=${n}`;
  throw new GoogleError(
    'PERMISSION_DENIED',
    `${TITLES[service] ?? service} has not been used in project ${n} before or it is disabled. Enable it by ` +
      `visiting ${url} then retry. If you enabled this API recently, wait a few minutes for the action to ` +
      'propagate to our systems and retry.',
    [
      errorInfo('SERVICE_DISABLED', 'googleapis.com', {
        service,
        consumer: `projects/${n}`,
        activationUrl: url,
        serviceTitle: TITLES[service] ?? service,
        containerInfo: n,
      }),
    ],
  );
}

/** The consumer project of an org-level call: X-Goog-User-Project when sent. */
export function quotaProject(world: World, req: ApiRequest): Project | undefined {
  const h = req.headers['x-goog-user-project'];
  const ref = Array.isArray(h) ? h[0] : h;
  return ref ? world.project(ref) : undefined;
}

/**
 * Parses updateMask/update_mask (comma-separated, camelCase or snake_case) into camelCase paths.
 * Returns undefined when no mask was sent.
 */
export function updateMask(req: ApiRequest): string[] | undefined {
  const raw = req.query.get('updateMask') ?? req.query.get('update_mask');
  if (raw === null) return undefined;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((p) => p.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
}

/** Requires a non-empty mask (IAM patch methods); every path must be in `allowed`. */
export function requiredMask(req: ApiRequest, allowed: string[]): string[] {
  const mask = updateMask(req);
  if (!mask || mask.length === 0) throw invalid('Field update_mask is required.', 'update_mask');
  for (const p of mask) {
    const top = p.split('.')[0];
    if (!allowed.includes(top))
      throw invalid(`Invalid update_mask path: "${p}". Supported paths: ${allowed.join(', ')}.`, 'update_mask');
  }
  return mask;
}

/** Page of a list, with Google's opaque nextPageToken (here: the offset, base64). */
export function page<T>(items: T[], req: ApiRequest, max = 100, dflt = 50): { items: T[]; nextPageToken?: string } {
  const size = Math.min(Math.max(Number(req.query.get('pageSize') ?? dflt) || dflt, 1), max);
  const tok = req.query.get('pageToken');
  let start = 0;
  if (tok) {
    start = Number(Buffer.from(tok, 'base64url').toString());
    if (!Number.isInteger(start) || start < 0) throw invalid('The page token is invalid.', 'page_token');
  }
  const slice = items.slice(start, start + size);
  return start + size < items.length
    ? { items: slice, nextPageToken: Buffer.from(String(start + size)).toString('base64url') }
    : { items: slice };
}

/** Sets `path` (dotted, camelCase) in `target` from `source`; absent in source = cleared. */
export function copyPath(target: Record<string, any>, source: Record<string, any>, path: string): void {
  const parts = path.split('.');
  let t = target,
    s: any = source;
  for (let i = 0; i < parts.length - 1; i++) {
    t[parts[i]] ??= {};
    t = t[parts[i]];
    s = s?.[parts[i]];
  }
  const last = parts[parts.length - 1];
  if (s && s[last] !== undefined) t[last] = structuredClone(s[last]);
  else delete t[last];
}

/**
 * IAM refuses a policy naming a Google-managed or project service account that does not exist:
 * "Service account X does not exist." This is what a grant to an IAP service agent that was never
 * generated runs into.
 */
export function requireMembersExist(world: World, bindings: { members?: string[] }[] | undefined): void {
  // An account or agent still settling after its create is not known yet (docs/SANDBOX.md
  // "Eventual consistency after a create"): the "does not exist" 400 a fresh IAP agent gets.
  const known = new Set<string>(
    [...world.serviceAccounts.keys(), ...[...world.serviceIdentities.values()].map((s) => s.email)].filter(
      (email) => !accountSettling(world, email) && !agentSettling(world, email),
    ),
  );
  for (const b of bindings ?? []) {
    for (const m of b.members ?? []) {
      const email = /^serviceAccount:(.+)$/.exec(m)?.[1];
      if (!email) continue;
      const managed = /@gcp-sa-[a-z0-9-]+\.iam\.gserviceaccount\.com$/.test(email);
      const sandboxSa = /@([a-z0-9-]+)\.iam\.gserviceaccount\.com$/.exec(email);
      const ours = managed || (sandboxSa && world.projects.has(sandboxSa[1]));
      if (ours && !known.has(email)) {
        throw new GoogleError('INVALID_ARGUMENT', `Service account ${email} does not exist.`, [
          {
            '@type': 'type.googleapis.com/google.rpc.BadRequest',
            fieldViolations: [
              { field: 'policy.bindings.members', description: `Service account ${email} does not exist.` },
            ],
          },
        ]);
      }
    }
  }
}
