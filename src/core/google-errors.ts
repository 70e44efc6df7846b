// Reading Google API errors (GaxiosError from the generated clients) into facts the core can act
// on, and into messages a user can act on: a 403 names the missing permission, the role that grants
// it and the gcloud command; SERVICE_DISABLED says which API; 401 says how to sign in.
import { netFailure, Unreachable } from '../lib/net.js';
import { describeDomainRestricted, isDomainRestricted } from './org-policy.js';

export interface GoogleFailure {
  httpStatus?: number;
  status?: string; // INVALID_ARGUMENT, PERMISSION_DENIED, ...
  message: string;
  reason?: string; // ErrorInfo.reason, e.g. SERVICE_DISABLED
  metadata: Record<string, string>;
  retryAfterMs?: number;
}

/** The error body Google's APIs answer with: a google.rpc.Status under `error`. */
interface GoogleErrorBody {
  error?: {
    status?: string;
    message?: string;
    details?: { '@type'?: string; reason?: string; metadata?: Record<string, string> }[];
  };
}

export function googleFailure(err: unknown): GoogleFailure | undefined {
  const e = err as {
    response?: { status?: number; data?: unknown; headers?: unknown };
    status?: number;
    code?: string | number;
    message?: string;
  };
  if (!e || typeof e !== 'object' || !('response' in e || 'status' in e)) return undefined;
  // gaxios errors carry a `response` key even when no answer came (a reset, a timeout): those are
  // network failures, not Google answers.
  if (e.response === undefined && typeof e.status !== 'number') return undefined;
  const data = e.response?.data;
  const body = (typeof data === 'string' ? safeJson(data) : data) as GoogleErrorBody | undefined;
  const error = body?.error;
  const info = (error?.details ?? []).find((d) => d?.['@type']?.endsWith('google.rpc.ErrorInfo'));
  const ra = headerValue(e.response?.headers, 'retry-after');
  return {
    httpStatus: e.response?.status ?? (typeof e.status === 'number' ? e.status : undefined),
    status: error?.status,
    message: error?.message ?? e.message ?? String(err),
    reason: info?.reason,
    metadata: info?.metadata ?? {},
    retryAfterMs: ra && /^\d+$/.test(ra) ? Number(ra) * 1000 : undefined,
  };
}

function safeJson(s: string) {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
/** A header of a fetch `Headers` or of a plain object of headers. */
function headerValue(h: unknown, name: string): string | undefined {
  if (!h) return undefined;
  const headers = h as Record<string, unknown>;
  if (typeof headers.get === 'function') return headers.get(name) ?? undefined;
  return (headers[name] ?? headers[name.toLowerCase()]) as string | undefined;
}

export const isNotFound = (err: unknown) => googleFailure(err)?.httpStatus === 404;
export const isConflict = (err: unknown) =>
  googleFailure(err)?.httpStatus === 409 && googleFailure(err)?.status !== 'ABORTED';
export const isAborted = (err: unknown) => {
  const f = googleFailure(err);
  return (f?.httpStatus === 409 && f.status === 'ABORTED') || f?.httpStatus === 412;
};
export const isServiceDisabled = (err: unknown) => {
  const f = googleFailure(err);
  // SERVICE_DISABLED, or a call that needs another API enabled (generateServiceIdentity answers
  // FAILED_PRECONDITION "... is not enabled ..." until the enablement has propagated).
  return f?.reason === 'SERVICE_DISABLED' || (f?.status === 'FAILED_PRECONDITION' && /is not enabled/.test(f.message));
};
/**
 * Worth retrying unchanged: rate limits, server trouble, and a network failure (a reset, a refused
 * connection, a request that timed out) unless its endpoint has been given up for this run.
 */
export const isTransient = (err: unknown) => {
  if (err instanceof Unreachable) return false;
  if (isNetworkError(err)) return true;
  const f = googleFailure(err);
  return !!f && (f.httpStatus === 429 || (f.httpStatus !== undefined && f.httpStatus >= 500));
};
/** A failure of the network itself (no HTTP answer), whatever the client library calls it. */
export const isNetworkError = (err: unknown): boolean => netFailure(err) !== undefined && !(err instanceof Unreachable);

/** Roles that grant the permissions iap-auth0 needs, for the hint of a 403. */
const ROLE_OF: [RegExp, string][] = [
  [/^iam\.workforcePool/, 'roles/iam.workforcePoolAdmin (on the organization)'],
  [/^iam\.oauthClient/, 'roles/iam.oauthClientAdmin'],
  [/^iam\.serviceAccounts\.actAs$/, 'roles/iam.serviceAccountUser'],
  [/^iam\.serviceAccounts/, 'roles/iam.serviceAccountAdmin'],
  [/^run\./, 'roles/run.admin'],
  [/^iap\./, 'roles/iap.admin'],
  [/^serviceusage\./, 'roles/serviceusage.serviceUsageAdmin'],
  [/^resourcemanager\./, 'roles/resourcemanager.projectIamAdmin'],
];

/** A sentence and a hint for the user; never includes request bodies (which may hold secrets). */
export function describeGoogleFailure(
  f: GoogleFailure,
  project?: string,
): { code: string; message: string; hint: string } {
  if (f.httpStatus === 401) {
    return {
      code: 'GOOGLE_UNAUTHENTICATED',
      message: `Google rejected the credentials (401 ${f.status ?? ''}).`.replace(' )', ')'),
      hint:
        'sign in with `gcloud auth application-default login`, or set CLOUDSDK_AUTH_ACCESS_TOKEN to a fresh ' +
        '`gcloud auth print-access-token`',
    };
  }
  if (f.reason === 'SERVICE_DISABLED') {
    const api = f.metadata.service ?? 'the API';
    return {
      code: 'GOOGLE_API_DISABLED',
      message: `${api} is not enabled in project ${f.metadata.consumer?.replace('projects/', '') ?? project ?? ''}.`,
      hint:
        'iap-auth0 enables it itself; if you just enabled it, wait a minute and re-run. Manually: gcloud ' +
        `services enable ${api}${project ? ` --project ${project}` : ''}`,
    };
  }
  const drs = describeOrgPolicyFailure(f, project);
  if (drs) return drs;
  const actAs = describeActAsFailure(f, project);
  if (actAs) return actAs;
  const perm = /Permission '([^']+)' denied on resource '([^']+)'/.exec(f.message);
  if (f.httpStatus === 403 && perm) {
    const role = ROLE_OF.find(([re]) => re.test(perm[1]))?.[1] ?? 'a role that includes it';
    const onOrg = perm[2].startsWith('organizations/');
    return {
      code: 'GOOGLE_PERMISSION_DENIED',
      message: `missing permission ${perm[1]} on ${perm[2]}.`,
      hint:
        `grant yourself ${role}: gcloud ` +
        (onOrg
          ? `organizations add-iam-policy-binding ${perm[2].split('/')[1]}`
          : `projects add-iam-policy-binding ${project ?? 'PROJECT'}`) +
        ' ' +
        `--member=user:YOU@EXAMPLE.COM --role=${role.split(' ')[0]}`,
    };
  }
  const location = /Location '([^']+)' is not a valid location/.exec(f.message);
  if (f.httpStatus === 400 && location) {
    // Only reachable past the local region check (IAP_AUTH0_ALLOW_REGION): the region is not Cloud Run's.
    return {
      code: 'GOOGLE_INVALID_REGION',
      message: `Cloud Run does not serve region ${location[1]}.`,
      hint:
        'pick a region from https://cloud.google.com/run/docs/locations (or `gcloud run regions list`) and pass ' +
        'it as --region; a state file records its region, so start over with another --state for a new one',
    };
  }
  if (f.httpStatus === 429)
    return {
      code: 'GOOGLE_QUOTA',
      message: `Google rate limit or quota exceeded: ${f.message}`,
      hint: 'wait a minute and re-run; iap-auth0 resumes where it stopped',
    };
  return {
    code: 'GOOGLE_API_ERROR',
    message: `${f.httpStatus ?? ''} ${f.status ?? ''}: ${f.message}`.trim(),
    hint: 're-run to resume; if it persists, run with --debug and report it',
  };
}

/** Domain-restricted sharing refused a grant (org-policy.ts); the stages name the member themselves. */
function describeOrgPolicyFailure(f: GoogleFailure, project?: string) {
  return isDomainRestricted(f) ? describeDomainRestricted(f, project) : undefined;
}

/**
 * Cloud Run may not run as the service account: "Permission 'iam.serviceaccounts.actAs' denied on
 * service account X (or it may not exist)." Reported at once, unless it follows this run's own
 * create of X (settle.ts waits for that one).
 */
function describeActAsFailure(f: GoogleFailure, project?: string) {
  const m =
    /Permission 'iam\.serviceaccounts\.actAs' denied on service account (\S+?)[.,]? \(or it may not exist\)/i.exec(
      f.message,
    );
  if (f.httpStatus !== 403 || !m) return undefined;
  return {
    code: 'GOOGLE_PERMISSION_DENIED',
    message: `missing permission iam.serviceAccounts.actAs on service account ${m[1]}, or the account does not exist.`,
    hint:
      'let yourself run services as it: gcloud iam service-accounts add-iam-policy-binding ' +
      `${m[1]}${project ? ` --project ${project}` : ''} ` +
      '--member=user:YOU@EXAMPLE.COM --role=roles/iam.serviceAccountUser; if it was deleted, re-create it or ' +
      'run iap-auth0 init with another --service; ' +
      'if you created it by hand moments ago, wait a minute and re-run',
  };
}

/** The call's result, or undefined when Google answers 404 (the resource does not exist). */
export async function unlessNotFound<T>(f: () => Promise<T>): Promise<T | undefined> {
  try {
    return await f();
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}
