// Organization policies and the one constraint the sandbox enforces: domain-restricted sharing,
// `iam.allowedPolicyMemberDomains` (docs/SANDBOX.md "Domain-restricted sharing"). Policies are
// kept per node (organization, folder, project) as the Org Policy API v2 stores them
// (orgpolicy.ts); the effective rule at a project is evaluated down the hierarchy. setIamPolicy on
// Cloud Run services, IAP resources and projects calls requirePermittedMembers before it writes.
import { GoogleError } from '../core/errors.js';
import type { Policy } from '../core/policies.js';
import type { World } from '../world.js';

export const DRS = 'iam.allowedPolicyMemberDomains';

/**
 * Google's texts: Cloud Run's (gcloud run services add-iam-policy-binding, and Terraform on a Cloud
 * Run service) ends with "perhaps due to an organization policy."; Resource Manager's (Google's
 * knowledge-base article on setIamPolicy) does not. IAP's is assumed to be Cloud Run's.
 */
export const DRS_TEXT = {
  run:
    'One or more users named in the policy do not belong to a permitted customer, perhaps due to an ' +
    'organization policy.',
  crm: 'One or more users named in the policy do not belong to a permitted customer.',
} as const;

/** What a node's policy (or the hierarchy above it) allows for a list constraint. */
export interface ListRule {
  allowAll: boolean;
  denyAll: boolean;
  allowed: Set<string>;
  denied: Set<string>;
}
const DEFAULT: ListRule = { allowAll: true, denyAll: false, allowed: new Set(), denied: new Set() };

/** The node and its ancestors, root first: organizations/O, folders/F…, projects/N. */
export function hierarchy(world: World, node: string): string[] {
  const out: string[] = [];
  let parent: string | undefined = node;
  while (parent) {
    out.unshift(parent);
    const [kind, id] = parent.split('/');
    if (kind === 'projects') {
      const p = world.project(id);
      parent = p?.parent && `${p.parent.type === 'organization' ? 'organizations' : 'folders'}/${p.parent.id}`;
    } else if (kind === 'folders') parent = world.folders.get(id)?.parent;
    else parent = undefined;
  }
  return out;
}

/**
 * A policy's own rules. Rules with a condition never match (the sandbox has no tags); any allowAll
 * or denyAll wins over listed values (assumption: the record shows one kind per policy).
 */
function rulesOf(rules: Record<string, any>[] = []): ListRule {
  const live = rules.filter((r) => !r.condition);
  const values = (k: 'allowedValues' | 'deniedValues') => new Set(live.flatMap((r) => r.values?.[k] ?? []) as string[]);
  return {
    allowAll: live.some((r) => r.allowAll === true),
    denyAll: live.some((r) => r.denyAll === true),
    allowed: values('allowedValues'),
    denied: values('deniedValues'),
  };
}

/** Effective rule of `constraint` at `node`, evaluated from the organization down (undefined: no policy anywhere). */
export function effectiveRule(world: World, node: string, constraint: string): ListRule | undefined {
  let rule: ListRule | undefined;
  for (const n of hierarchy(world, node)) {
    const spec = world.orgPolicies.get(`${n}/policies/${constraint}`)?.spec;
    if (!spec) continue;
    if (spec.reset) {
      rule = DEFAULT;
      continue;
    }
    const own = rulesOf(spec.rules);
    // Assumption: inheritFromParent merges value lists, and allowAll/denyAll of either side carry.
    rule =
      spec.inheritFromParent && rule
        ? {
            allowAll: rule.allowAll || own.allowAll,
            denyAll: rule.denyAll || own.denyAll,
            allowed: new Set([...rule.allowed, ...own.allowed]),
            denied: new Set([...rule.denied, ...own.denied]),
          }
        : own;
  }
  return rule;
}

/**
 * The directory customer a member belongs to, or undefined for members outside every customer:
 * allUsers, other domains, Google's service agents (gcp-sa-*, serverless-robot-prod; they belong
 * to Google, which is why the legacy constraint cannot admit them), service accounts of projects
 * outside the organization, and (by default, an assumption) workforce pool principals.
 */
function customerOf(world: World, member: string): string | undefined {
  const org = world.organization;
  const inOrg = (ref: string) => {
    const p = world.project(ref);
    return !!p && world.organizationOf(p) === org.id;
  };
  const [type, ...rest] = member.split(':');
  const value = rest.join(':');
  if (type === 'user' || type === 'group')
    return value.split('@')[1] === org.displayName ? org.directoryCustomerId : undefined;
  if (type === 'domain') return value === org.displayName ? org.directoryCustomerId : undefined;
  if (type === 'deleted' || /^project(Owner|Editor|Viewer)$/.test(type)) return org.directoryCustomerId;
  if (type === 'serviceAccount') {
    const sa = /^[^@]+@([a-z0-9-]+)\.iam\.gserviceaccount\.com$/.exec(value)?.[1];
    const compute = /^(\d+)-compute@developer\.gserviceaccount\.com$/.exec(value)?.[1];
    return (sa && !sa.startsWith('gcp-sa-') && inOrg(sa)) || (compute && inOrg(compute))
      ? org.directoryCustomerId
      : undefined;
  }
  const pool = /^principal(?:Set)?:\/\/iam\.googleapis\.com\/locations\/global\/workforcePools\/([^/]+)\//.exec(
    member,
  )?.[1];
  if (pool && !world.drsBlocksWorkforce)
    return world.pools.get(pool)?.parent === `organizations/${org.id}` ? org.directoryCustomerId : undefined;
  return undefined;
}

/** Whether the allowed values admit `customer` (by customer id, or the organization's principal set). */
function admits(world: World, rule: ListRule, customer: string | undefined): boolean {
  if (rule.denyAll) return false;
  if (rule.allowAll) return true;
  if (!customer || rule.denied.has(customer)) return false;
  const orgSet = `principalSet://iam.googleapis.com/organizations/${world.organization.id}`;
  return rule.allowed.has(customer) || rule.allowed.has(orgSet) || rule.allowed.has(`is:${orgSet}`);
}

/**
 * Refuses a setIamPolicy that adds a member the effective domain-restricted-sharing rule at `node`
 * does not admit, with Google's 400 FAILED_PRECONDITION and its PreconditionFailure detail. Only
 * members new to the policy are judged: the constraint is not retroactive.
 */
export function requirePermittedMembers(
  world: World,
  node: string,
  current: Policy,
  next: { members?: string[] }[] | undefined,
  text: string,
): void {
  const rule = effectiveRule(world, node, DRS);
  if (!rule) return;
  const had = new Set((current.bindings ?? []).flatMap((b) => b.members));
  const refused = (next ?? [])
    .flatMap((b) => b.members ?? [])
    .filter((m) => !had.has(m) && !admits(world, rule, customerOf(world, m)));
  if (!refused.length) return;
  throw new GoogleError('FAILED_PRECONDITION', text, [
    {
      '@type': 'type.googleapis.com/google.rpc.PreconditionFailure',
      violations: [{ type: `constraints/${DRS}`, description: 'User is not in permitted organization.' }],
    },
  ]);
}

/**
 * The organization-level policy `--org-policy iam.allowedPolicyMemberDomains` seeds: only the organization's own
 * customer.
 */
export function seedDomainRestriction(world: World): void {
  const at = world.clock.iso();
  const name = `organizations/${world.organization.id}/policies/${DRS}`;
  const rules = [{ values: { allowedValues: [world.organization.directoryCustomerId] } }];
  world.orgPolicies.set(name, { name, etag: 'CN6sq6gG', spec: { etag: 'CN6sq6gG', updateTime: at, rules } });
}
