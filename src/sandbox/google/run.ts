// Cloud Run Admin API v2, services (gcp-api.md 5): create / get / list / patch / delete as
// long-running operations that reconcile on the profile's schedule, the service's IAM policy
// (getIamPolicy is a GET here, unlike IAP), and the operations endpoints (run-operations.ts).
// A created service gets a front door (world.frontDoors, the browser-chain module) whose address
// becomes the service's `uri`.
import { GoogleError, alreadyExists, failedPrecondition, invalid } from '../core/errors.js';
import { Router, requirePermission, type ApiRequest, type ApiResult } from '../core/http.js';
import { copyPath, page, projectOr403, requireEnabled, requireMembersExist, updateMask } from './common.js';
import { addOperationRoutes } from './run-operations.js';
import { checkLocation } from './run-locations.js';
import { DRS_TEXT, requirePermittedMembers } from './org-policies.js';
import { checkPolicyVersion, grantedPermissions, maskedPolicy } from './iap-iam.js';
import {
  SERVICE_TYPE,
  SPEC_FIELDS,
  checkIds,
  deterministicUrl,
  markReady,
  markReconciling,
  newEtag,
  notFoundService,
  operationName,
  outputLaunchStage,
  policyKey,
  principalEmail,
  revisionId,
  revisionSeq,
  serviceKey,
  serviceName,
  specOf,
  validateSpec,
  wire,
  type Json,
} from './run-services.js';
import type { Project, RunService, World } from '../world.js';

const SVC = '^/v2/projects/(?<project>[^/]+)/locations/(?<region>[^/]+)/services';

/** The front-door address of each live service (set at create, reported once Ready). */
const uris = new WeakMap<RunService, string>();
/** Front doors still closing after a delete, so an immediate re-create waits for the port. */
const closing = new WeakMap<World, Map<string, Promise<void>>>();

const flag = (req: ApiRequest, name: string) => req.query.get(name) === 'true';

/** Project checks every Cloud Run call makes, in Google's order: project, API enabled, permission. */
function projectFor(world: World, req: ApiRequest, permission: string, resource: string): Project {
  const p = projectOr403(world, req.params.project, permission);
  requireEnabled(world, p, 'run.googleapis.com');
  requirePermission(req, permission, resource);
  checkLocation(req.params.region);
  return p;
}

function serviceOr404(world: World, p: Project, req: ApiRequest): RunService {
  const svc = world.runServices.get(serviceKey(p.projectNumber, req.params.region, req.params.service));
  if (!svc) throw notFoundService(req.params.service, req.params.region, req.params.project);
  return svc;
}

/** The operation a validateOnly request gets: never stored, so polling it answers 404. */
function unpersisted(name: string, resource: Json): ApiResult {
  return { json: { name, metadata: { '@type': SERVICE_TYPE, ...structuredClone(resource) } } };
}

/** The desired-state part of a stored service (its launchStage is the output value; sameSpec ignores it). */
function currentSpec(r: Json): Json {
  const s: Json = {};
  for (const f of SPEC_FIELDS) if (r[f] !== undefined) s[f] = structuredClone(r[f]);
  return s;
}

/** Order-insensitive JSON for "did the desired state change?". */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Json)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Json)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
const sameSpec = (a: Json, b: Json) => {
  const strip = (s: Json) => {
    const c = { ...s };
    delete c.launchStage;
    return c;
  };
  return canonical(strip(a)) === canonical(strip(b));
};

/** Wire JSON: identity and bookkeeping first, then the desired state, then status (as Cloud Run orders it). */
function compose(head: Json, spec: Json, status: Json): Json {
  return { ...head, ...spec, launchStage: outputLaunchStage(spec), ...status };
}

async function createService(
  world: World,
  req: ApiRequest,
  p: Project,
  region: string,
  serviceId: string,
  body: Json,
): Promise<ApiResult> {
  checkIds(serviceId, region);
  const key = serviceKey(p.projectNumber, region, serviceId);
  const ref = req.params.project;
  const name = serviceName(ref, region, serviceId);
  if (world.runServices.has(key)) throw alreadyExists(`Resource '${serviceId}' already exists.`, name);
  const spec = validateSpec(world, req, p, serviceId, specOf(body ?? {}));
  const now = world.clock.iso();
  const who = principalEmail(req);
  const revision = spec.template.revision ?? revisionId(serviceId, 1);
  const resource = compose(
    { name, uid: world.newUuid(), generation: '1', createTime: now, updateTime: now, creator: who, lastModifier: who },
    spec,
    { latestCreatedRevision: `${name}/revisions/${revision}`, etag: newEtag() },
  );
  markReconciling(world, resource);
  const opName = operationName(world, ref, region);
  if (flag(req, 'validateOnly')) return unpersisted(opName, resource);

  const svc: RunService = { key, projectNumber: p.projectNumber, projectRef: ref, region, serviceId, resource };
  world.runServices.set(key, svc);
  try {
    await closing.get(world)?.get(key);
    uris.set(
      svc,
      world.frontDoors ? await world.frontDoors.open(key) : deterministicUrl(serviceId, p.projectNumber, region),
    );
  } catch (err) {
    world.runServices.delete(key);
    throw new GoogleError(
      'INTERNAL',
      `Internal error encountered while creating the service: ${(err as Error).message}`,
    );
  }
  const op = world.operations.start({
    name: opName,
    api: 'run',
    durationMs: world.profile.operationMs.runCreate,
    metadata: { '@type': SERVICE_TYPE, ...wire(svc) },
    complete: () => finishReconcile(world, svc, '1'),
  });
  return { json: { name: op.name, metadata: op.metadata, ...(op.done ? { done: true, response: op.response } : {}) } };
}

/** Completion of a create or update: Ready if this generation is still the newest one. */
function finishReconcile(world: World, svc: RunService, generation: string): { response: Json } {
  if (world.runServices.get(svc.key) === svc && !svc.deleting && svc.resource.generation === generation) {
    markReady(world, svc, uris.get(svc));
  }
  return { response: { '@type': SERVICE_TYPE, ...wire(svc) } };
}

async function patchService(world: World, req: ApiRequest): Promise<ApiResult> {
  const { region, service: serviceId } = req.params;
  const resourceName = serviceName(req.params.project, region, serviceId);
  const p = projectFor(world, req, 'run.services.update', resourceName);
  const body: Json = req.body ?? {};
  const svc = world.runServices.get(serviceKey(p.projectNumber, region, serviceId));
  if (!svc) {
    if (!flag(req, 'allowMissing')) throw notFoundService(serviceId, region, req.params.project);
    requirePermission(req, 'run.services.create', resourceName);
    return createService(world, req, p, region, serviceId, body);
  }
  // Assumption: a service that is being deleted takes no further changes.
  if (svc.deleting) throw failedPrecondition(`Resource '${serviceId}' is being deleted.`);
  const r: Json = svc.resource;
  // Assumption (gcp-api.md 5.5: code not verified): a stale etag is ABORTED, like IAM's.
  if (body.etag !== undefined && body.etag !== null && body.etag !== r.etag) {
    throw new GoogleError(
      'ABORTED',
      `The etag "${body.etag}" does not match the current etag of service '${serviceId}'. Read the service ` +
        'again and retry.',
    );
  }
  const before = currentSpec(r);
  const sent = specOf(body);
  let next: Json;
  const mask = updateMask(req);
  if (mask?.length) {
    next = structuredClone(before);
    for (const path of mask) {
      if (!(SPEC_FIELDS as readonly string[]).includes(path.split('.')[0])) {
        throw invalid(`Invalid update_mask path "${path}": not a field of Service that can be updated.`, 'update_mask');
      }
      copyPath(next, sent, path);
    }
  } else {
    next = sent; // no mask: the body is the whole desired state
  }
  next = validateSpec(world, req, p, serviceId, next);
  const changed = !sameSpec(before, next);
  const generation = changed ? String(Number(r.generation) + 1) : r.generation;
  const opName = operationName(world, req.params.project, region);

  const head: Json = {
    name: r.name,
    uid: r.uid,
    generation,
    createTime: r.createTime,
    updateTime: changed ? world.clock.iso() : r.updateTime,
    creator: r.creator,
    lastModifier: changed ? principalEmail(req) : r.lastModifier,
  };
  const status: Json = {};
  for (const f of [
    'observedGeneration',
    'terminalCondition',
    'conditions',
    'latestReadyRevision',
    'latestCreatedRevision',
    'trafficStatuses',
    'uri',
    'urls',
    'reconciling',
  ]) {
    if (r[f] !== undefined) status[f] = structuredClone(r[f]);
  }
  // A new revision only when the template changed; other spec changes keep the revision.
  if (changed && canonical(before.template) !== canonical(next.template)) {
    const rev = next.template.revision ?? revisionId(serviceId, revisionSeq(r.latestCreatedRevision) + 1);
    status.latestCreatedRevision = `${r.name}/revisions/${rev}`;
  }
  status.etag = changed ? newEtag() : r.etag;
  const updated = compose(head, next, status);
  if (changed) markReconciling(world, updated);
  if (flag(req, 'validateOnly')) return unpersisted(opName, updated);

  svc.resource = updated;
  // Cloud Run answers an operation even when nothing changed; it then only reports the service.
  const op = world.operations.start({
    name: opName,
    api: 'run',
    durationMs: world.profile.operationMs.runUpdate,
    metadata: { '@type': SERVICE_TYPE, ...wire(svc) },
    complete: () => finishReconcile(world, svc, generation),
  });
  return { json: { name: op.name, metadata: op.metadata, ...(op.done ? { done: true, response: op.response } : {}) } };
}

function deleteService(world: World, req: ApiRequest): ApiResult {
  const { region, service: serviceId } = req.params;
  const p = projectFor(world, req, 'run.services.delete', serviceName(req.params.project, region, serviceId));
  const svc = serviceOr404(world, p, req);
  if (svc.deleting) throw failedPrecondition(`Resource '${serviceId}' is being deleted.`);
  const etag = req.query.get('etag');
  if (etag && etag !== svc.resource.etag) {
    throw new GoogleError(
      'ABORTED',
      `The etag "${etag}" does not match the current etag of service '${serviceId}'. Read the service again and retry.`,
    );
  }
  const opName = operationName(world, req.params.project, region);
  const deleting = { ...structuredClone(svc.resource), deleteTime: world.clock.iso(), reconciling: true };
  if (flag(req, 'validateOnly')) return unpersisted(opName, deleting);
  svc.deleting = true;
  svc.resource = deleting;
  const op = world.operations.start({
    name: opName,
    api: 'run',
    durationMs: world.profile.operationMs.runDelete,
    metadata: { '@type': SERVICE_TYPE, ...wire(svc) },
    complete: () => {
      if (world.runServices.get(svc.key) === svc) world.runServices.delete(svc.key);
      world.policies.delete(policyKey(svc.projectNumber, svc.region, svc.serviceId));
      uris.delete(svc);
      if (world.frontDoors) {
        let map = closing.get(world);
        if (!map) {
          map = new Map();
          closing.set(world, map);
        }
        const pending = world.frontDoors
          .close(svc.key)
          .catch(() => {})
          .finally(() => {
            if (map!.get(svc.key) === pending) map!.delete(svc.key);
          });
        map.set(svc.key, pending);
      }
      return { response: { '@type': SERVICE_TYPE, ...wire(svc) } };
    },
  });
  return { json: { name: op.name, metadata: op.metadata, ...(op.done ? { done: true, response: op.response } : {}) } };
}

export function runRouter(world: World): Router {
  const router = new Router();

  router.post(new RegExp(`${SVC}$`), (req) => {
    const p = projectFor(
      world,
      req,
      'run.services.create',
      `projects/${req.params.project}/locations/${req.params.region}`,
    );
    return createService(
      world,
      req,
      p,
      req.params.region,
      req.query.get('serviceId') ?? req.query.get('service_id') ?? '',
      req.body,
    );
  });

  router.get(new RegExp(`${SVC}$`), (req) => {
    const { region } = req.params;
    const p = projectFor(world, req, 'run.services.list', `projects/${req.params.project}/locations/${region}`);
    // "-" lists every region, as the real API allows.
    const all = [...world.runServices.values()]
      .filter((s) => s.projectNumber === p.projectNumber && (region === '-' || s.region === region))
      .sort((a, b) => a.key.localeCompare(b.key));
    const { items, nextPageToken } = page(all, req, 1000, 100);
    return {
      json: { ...(items.length ? { services: items.map(wire) } : {}), ...(nextPageToken ? { nextPageToken } : {}) },
    };
  });

  router.get(new RegExp(`${SVC}/(?<service>[^/:]+)$`), (req) => {
    const p = projectFor(
      world,
      req,
      'run.services.get',
      serviceName(req.params.project, req.params.region, req.params.service),
    );
    return { json: wire(serviceOr404(world, p, req)) };
  });

  router.patch(new RegExp(`${SVC}/(?<service>[^/:]+)$`), (req) => patchService(world, req));
  router.delete(new RegExp(`${SVC}/(?<service>[^/:]+)$`), (req) => deleteService(world, req));

  addServiceIamRoutes(world, router);
  addOperationRoutes(world, router);
  return router;
}

function addServiceIamRoutes(world: World, router: Router): void {
  // IAM: always keyed by the project NUMBER, whichever form the caller used.
  router.get(new RegExp(`${SVC}/(?<service>[^/:]+):getIamPolicy$`), (req) => {
    const p = projectFor(
      world,
      req,
      'run.services.getIamPolicy',
      serviceName(req.params.project, req.params.region, req.params.service),
    );
    serviceOr404(world, p, req);
    checkPolicyVersion(
      req.query.get('options.requestedPolicyVersion') ?? req.query.get('options.requested_policy_version'),
    );
    return { json: world.readPolicy(policyKey(p.projectNumber, req.params.region, req.params.service)) };
  });

  router.post(new RegExp(`${SVC}/(?<service>[^/:]+):setIamPolicy$`), (req) => {
    const p = projectFor(
      world,
      req,
      'run.services.setIamPolicy',
      serviceName(req.params.project, req.params.region, req.params.service),
    );
    serviceOr404(world, p, req);
    const key = policyKey(p.projectNumber, req.params.region, req.params.service);
    const policy = maskedPolicy(world.policies.get(key), req.body);
    requireMembersExist(world, policy.bindings);
    requirePermittedMembers(
      world,
      `projects/${p.projectNumber}`,
      world.policies.get(key),
      policy.bindings,
      DRS_TEXT.run,
    );
    // allUsers is allowed here (unless domain-restricted sharing refuses it, above): that is exactly the
    // public-invoker pitfall (gcp-api.md 12.5).
    return { json: world.policies.set(key, policy) };
  });

  router.post(new RegExp(`${SVC}/(?<service>[^/:]+):testIamPermissions$`), (req) => {
    const p = projectFor(
      world,
      req,
      'run.services.get',
      serviceName(req.params.project, req.params.region, req.params.service),
    );
    serviceOr404(world, p, req);
    const granted = grantedPermissions(req, req.body?.permissions ?? []);
    return { json: granted.length ? { permissions: granted } : {} };
  });
}
