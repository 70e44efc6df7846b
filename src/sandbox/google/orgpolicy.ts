// Organization Policy API v2 (orgpolicy.googleapis.com), just enough for what a user runs to
// relax domain-restricted sharing for one project and put it back, as Google's docs show it:
// `gcloud org-policies set-policy FILE` (get, then create or patch) with
//   name: projects/PROJECT/policies/iam.allowedPolicyMemberDomains
//   spec: { rules: [ { allowAll: true } ] }
// and `gcloud org-policies delete iam.allowedPolicyMemberDomains --project=PROJECT`. Any
// constraint name is stored; only iam.allowedPolicyMemberDomains has an effect (org-policies.ts).
// Sources and assumptions: docs/SANDBOX.md "Domain-restricted sharing".
import { randomBytes } from 'node:crypto';
import { GoogleError, alreadyExists, errorInfo, invalid, notFound } from '../core/errors.js';
import { Router, requirePermission, type ApiRequest } from '../core/http.js';
import { projectOr403, requireEnabled } from './common.js';
import { DRS, effectiveRule } from './org-policies.js';
import type { OrgPolicyRecord, World } from '../world.js';

const PARENT = '(?<kind>projects|folders|organizations)/(?<id>[^/:]+)';
const CONSTRAINT = /^[a-z][a-z0-9]*(\.[a-zA-Z0-9]+)+$/;
const RULE_KINDS = ['values', 'allowAll', 'denyAll', 'enforce'] as const;

/** The node a request names, projects by number; unknown ones answer 403 as Resource Manager does. */
function nodeOf(world: World, req: ApiRequest, permission: string): string {
  const { kind, id } = req.params;
  const resource = `//cloudresourcemanager.googleapis.com/${kind}/${id}`;
  const denied = () =>
    new GoogleError(
      'PERMISSION_DENIED',
      `Permission '${permission}' denied on resource '${resource}' (or it may not exist).`,
      [errorInfo('IAM_PERMISSION_DENIED', 'iam.googleapis.com', { permission })],
    );
  if (kind === 'projects') {
    const p = projectOr403(world, id, permission);
    // Assumption: the API must be on in the project whose policy is set (scripts and Terraform
    // modules enable orgpolicy.googleapis.com first).
    requireEnabled(world, p, 'orgpolicy.googleapis.com');
    requirePermission(req, permission, `projects/${p.projectId}`);
    return `projects/${p.projectNumber}`;
  }
  if (kind === 'folders' ? !world.folders.has(id) : id !== world.organization.id) throw denied();
  requirePermission(req, permission, `${kind}/${id}`);
  return `${kind}/${id}`;
}

function constraintOf(raw: string): string {
  const c = raw.replace(/^constraints\//, '');
  if (!CONSTRAINT.test(c)) throw invalid(`Invalid constraint name "${raw}".`, 'name');
  return c;
}

/** Checks a Policy body's spec (rules of one kind each; reset excludes rules) and returns it stored. */
function checkSpec(world: World, constraint: string, spec: any): OrgPolicyRecord['spec'] {
  if (spec === undefined || spec === null) return undefined;
  if (typeof spec !== 'object' || Array.isArray(spec))
    throw invalid('spec must be a PolicySpec object.', 'policy.spec');
  const rules = spec.rules ?? [];
  if (!Array.isArray(rules)) throw invalid('spec.rules must be a list.', 'policy.spec.rules');
  if (spec.reset === true && rules.length)
    throw invalid('A policy with reset set cannot have rules.', 'policy.spec.reset');
  for (const [i, r] of rules.entries()) {
    const kinds = RULE_KINDS.filter((k) => r?.[k] !== undefined);
    if (kinds.length !== 1)
      throw invalid(
        `spec.rules[${i}] must set exactly one of values, allowAll, denyAll or enforce.`,
        `policy.spec.rules[${i}]`,
      );
    // Assumption (wording ours): a list constraint refuses the boolean form.
    if (kinds[0] === 'enforce' && constraint === DRS)
      throw invalid(
        `${DRS} is a list constraint: use values, allowAll or denyAll, not enforce.`,
        `policy.spec.rules[${i}].enforce`,
      );
    const v = r.values;
    if (
      v &&
      (typeof v !== 'object' ||
        [v.allowedValues, v.deniedValues].some(
          (x) => x !== undefined && !(Array.isArray(x) && x.every((s) => typeof s === 'string')),
        ))
    ) {
      throw invalid(`spec.rules[${i}].values must hold lists of strings.`, `policy.spec.rules[${i}].values`);
    }
  }
  const etag = randomBytes(6).toString('base64');
  return {
    rules: structuredClone(rules),
    ...(spec.inheritFromParent ? { inheritFromParent: true } : {}),
    ...(spec.reset ? { reset: true } : {}),
    etag,
    updateTime: world.clock.iso(),
  };
}

/** The Policy a request body describes, named under `node`. */
function policyFrom(world: World, node: string, constraint: string, body: any): OrgPolicyRecord {
  if (!body || typeof body !== 'object') throw invalid('policy: required field is not set.', 'policy');
  const spec = checkSpec(world, constraint, body.spec);
  return {
    name: `${node}/policies/${constraint}`,
    etag: spec?.etag ?? randomBytes(6).toString('base64'),
    ...(spec ? { spec } : {}),
  };
}

export function orgPolicyRouter(world: World): Router {
  const r = new Router();
  const base = `^/v2/${PARENT}/policies`;
  const named = (req: ApiRequest, permission: string) => {
    const node = nodeOf(world, req, permission);
    const constraint = constraintOf(req.params.c);
    return { node, constraint, name: `${node}/policies/${constraint}` };
  };
  const existing = (name: string) => {
    const rec = world.orgPolicies.get(name);
    if (!rec) throw notFound('Requested entity was not found.', name);
    return rec;
  };

  r.get(new RegExp(`${base}$`), (req) => {
    const node = nodeOf(world, req, 'orgpolicy.policies.list');
    const policies = [...world.orgPolicies.values()].filter((p) => p.name.startsWith(`${node}/policies/`));
    return { json: policies.length ? { policies } : {} };
  });
  r.get(new RegExp(`${base}/(?<c>[^/:]+)$`), (req) => ({ json: existing(named(req, 'orgpolicy.policy.get').name) }));
  r.get(new RegExp(`${base}/(?<c>[^/:]+):getEffectivePolicy$`), (req) => {
    const { node, constraint, name } = named(req, 'orgpolicy.policy.get');
    const rule = effectiveRule(world, node, constraint);
    const rules =
      !rule || rule.allowAll
        ? [{ allowAll: true }]
        : rule.denyAll
          ? [{ denyAll: true }]
          : [
              {
                values: {
                  ...(rule.allowed.size ? { allowedValues: [...rule.allowed] } : {}),
                  ...(rule.denied.size ? { deniedValues: [...rule.denied] } : {}),
                },
              },
            ];
    return { json: { name, spec: { rules } } };
  });
  r.post(new RegExp(`${base}$`), (req) => {
    const node = nodeOf(world, req, 'orgpolicy.policies.create');
    const m = /^(?:projects|folders|organizations)\/[^/]+\/policies\/(.+)$/.exec(String(req.body?.name ?? ''));
    if (!m) throw invalid('policy.name must be {parent}/policies/{constraint}.', 'policy.name');
    const constraint = constraintOf(m[1]);
    const rec = policyFrom(world, node, constraint, req.body);
    if (world.orgPolicies.has(rec.name)) throw alreadyExists(`Policy ${rec.name} already exists.`, rec.name);
    world.orgPolicies.set(rec.name, rec);
    return { json: rec };
  });
  r.patch(new RegExp(`${base}/(?<c>[^/:]+)$`), (req) => {
    const { node, constraint, name } = named(req, 'orgpolicy.policies.update');
    existing(name);
    const rec = policyFrom(world, node, constraint, req.body);
    world.orgPolicies.set(name, rec);
    return { json: rec };
  });
  r.delete(new RegExp(`${base}/(?<c>[^/:]+)$`), (req) => {
    const { name } = named(req, 'orgpolicy.policies.delete');
    existing(name);
    world.orgPolicies.delete(name);
    return { json: {} };
  });
  return r;
}
