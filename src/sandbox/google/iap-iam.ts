// Request pieces the IAM methods of Cloud Run and IAP share: the requested policy version,
// setIamPolicy's updateMask, and testIamPermissions' answer.
import { invalid } from '../core/errors.js';
import type { ApiRequest } from '../core/http.js';
import type { Policy } from '../core/policies.js';

type Json = Record<string, any>;

export function checkPolicyVersion(v: unknown): void {
  if (v === undefined || v === null || v === '') return;
  if (![0, 1, 3].includes(Number(v)))
    throw invalid(`Invalid requested policy version ${String(v)}: use 1 or 3.`, 'options.requested_policy_version');
}

/** The permissions in `asked` the caller holds (the sandbox developer owns the project). */
export function grantedPermissions(req: ApiRequest, asked: unknown): string[] {
  if (!Array.isArray(asked)) throw invalid('permissions must be a list of permission names.', 'permissions');
  for (const perm of asked) {
    if (typeof perm !== 'string' || !/^[a-z]+\.[a-zA-Z]+\.[a-zA-Z]+$/.test(perm))
      throw invalid(`Permission ${String(perm)} is not valid.`, 'permissions');
  }
  return (asked as string[]).filter((perm) => !req.principal?.deniedPermissions.has(perm));
}

/** setIamPolicy with its optional updateMask (default "bindings,etag"): fields outside it are kept. */
export function maskedPolicy(current: Policy, body: Json): Policy {
  const policy: Policy | undefined = body?.policy;
  if (!policy || typeof policy !== 'object') throw invalid('policy: required field is not set.', 'policy');
  const mask =
    typeof body.updateMask === 'string'
      ? body.updateMask
          .split(',')
          .map((s: string) => s.trim())
          .filter(Boolean)
      : ['bindings', 'etag'];
  for (const f of mask)
    if (!['bindings', 'etag', 'auditConfigs', 'audit_configs', 'version'].includes(f))
      throw invalid(`Invalid update_mask path "${f}".`, 'update_mask');
  const out: Policy = { ...policy };
  if (!mask.includes('bindings')) out.bindings = current.bindings;
  return out;
}
