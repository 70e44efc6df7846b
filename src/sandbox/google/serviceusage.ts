// Service Usage v1 / v1beta1 (gcp-api.md section 2): enable, batchEnable, get, batchGet, disable,
// operations, and generateServiceIdentity, which is what brings the IAP service agent into being.
import { randomUUID } from 'node:crypto';
import { GoogleError, errorInfo, failedPrecondition, invalid } from '../core/errors.js';
import { Operations } from '../core/operations.js';
import { Router, requirePermission, type ApiRequest } from '../core/http.js';
import { projectOr403 } from './common.js';
import type { Project, World } from '../world.js';

/** Services the sandbox knows; anything else is "not found or permission denied", as for real. */
const KNOWN: Record<string, string> = {
  'run.googleapis.com': 'Cloud Run Admin API',
  'iap.googleapis.com': 'Cloud Identity-Aware Proxy API',
  'iam.googleapis.com': 'Identity and Access Management (IAM) API',
  'iamcredentials.googleapis.com': 'IAM Service Account Credentials API',
  'sts.googleapis.com': 'Security Token Service API',
  'cloudresourcemanager.googleapis.com': 'Cloud Resource Manager API',
  'serviceusage.googleapis.com': 'Service Usage API',
  'artifactregistry.googleapis.com': 'Artifact Registry API',
  'compute.googleapis.com': 'Compute Engine API',
  'logging.googleapis.com': 'Cloud Logging API',
  'monitoring.googleapis.com': 'Cloud Monitoring API',
  'orgpolicy.googleapis.com': 'Organization Policy API',
};
/**
 * Service-agent domains. Most are gcp-sa-<short>.iam.gserviceaccount.com (IAP: gcp-sa-iap); Cloud
 * Run's agent predates that scheme and lives at serverless-robot-prod.iam.gserviceaccount.com.
 */
const AGENT_DOMAIN: Record<string, string> = {
  'iap.googleapis.com': 'gcp-sa-iap.iam.gserviceaccount.com',
  'run.googleapis.com': 'serverless-robot-prod.iam.gserviceaccount.com',
};
const agentEmail = (number: string, s: string) =>
  `service-${number}@${AGENT_DOMAIN[s] ?? `gcp-sa-${s.split('.')[0]}.iam.gserviceaccount.com`}`;

const NOOP = 'operations/noop.DONE_OPERATION';

export function serviceUsageRouter(world: World): Router {
  const r = new Router();
  const steps = serviceUsageSteps(world);
  addServiceRoutes(r, world, steps);
  addOperationAndIdentityRoutes(r, world, steps);
  return r;
}

/** What the routes share: the project in the path, a service's state and view, and enabling. */
function serviceUsageSteps(world: World) {
  const project = (req: ApiRequest) => projectOr403(world, req.params.p, 'serviceusage.services.get');
  const unknown = (names: string[]) =>
    new GoogleError('PERMISSION_DENIED', `Not found or permission denied for service(s): ${names.join(', ')}.`, [
      errorInfo('SERVICE_CONFIG_NOT_FOUND_OR_PERMISSION_DENIED', 'serviceusage.googleapis.com', {
        services: names.join(','),
      }),
    ]);
  const state = (p: Project, s: string) => world.services.get(p.projectNumber)?.get(s)?.state ?? 'DISABLED';
  const view = (p: Project, s: string) => ({
    name: `projects/${p.projectNumber}/services/${s}`,
    parent: `projects/${p.projectNumber}`,
    state: state(p, s),
    config: { name: s, title: KNOWN[s] ?? s },
  });

  /** One operation enabling `names`; already-enabled-only requests get Google's synthetic no-op. */
  const enable = (p: Project, names: string[], batch: boolean) => {
    const bad = names.filter((n) => !KNOWN[n]);
    if (bad.length) throw unknown(bad); // atomic: nothing is enabled when one name is bad
    const todo = names.filter((n) => state(p, n) !== 'ENABLED');
    const response = () =>
      batch
        ? {
            '@type': 'type.googleapis.com/google.api.serviceusage.v1.BatchEnableServicesResponse',
            services: names.map((n) => view(p, n)),
            failures: [],
          }
        : {
            '@type': 'type.googleapis.com/google.api.serviceusage.v1.EnableServiceResponse',
            service: view(p, names[0]),
          };
    if (todo.length === 0) return Operations.toJSON(world.operations.done(NOOP, 'serviceusage', response()));
    const op = world.operations.start({
      name: `operations/acat.p2-${p.projectNumber}-${randomUUID()}`,
      api: 'serviceusage',
      durationMs: world.profile.operationMs.serviceEnable,
      metadata: {
        '@type': 'type.googleapis.com/google.api.serviceusage.v1.OperationMetadata',
        resourceNames: todo.map((n) => `services/${n}/projectSettings/${p.projectNumber}`),
      },
      complete: () => {
        const map = world.services.get(p.projectNumber)!;
        // enabledAt starts the propagation window during which calls still see SERVICE_DISABLED.
        for (const n of todo) map.set(n, { state: 'ENABLED', enabledAt: world.clock.now() });
        return { response: response() };
      },
    });
    return Operations.toJSON(op);
  };
  return { project, unknown, state, view, enable };
}
type ServiceUsageSteps = ReturnType<typeof serviceUsageSteps>;

function addServiceRoutes(r: Router, world: World, steps: ServiceUsageSteps): void {
  const { project, unknown, state, view, enable } = steps;
  r.post(/^\/v1\/projects\/(?<p>[^/]+)\/services\/(?<s>[^/:]+):enable$/, (req) => {
    const p = project(req);
    requirePermission(req, 'serviceusage.services.enable', `projects/${p.projectId}`);
    return { json: enable(p, [req.params.s], false) };
  });
  r.post(/^\/v1\/projects\/(?<p>[^/]+)\/services:batchEnable$/, (req) => {
    const p = project(req);
    requirePermission(req, 'serviceusage.services.enable', `projects/${p.projectId}`);
    const ids: unknown = req.body?.serviceIds;
    if (!Array.isArray(ids) || ids.length === 0)
      throw invalid('serviceIds must name at least one service.', 'service_ids');
    if (ids.length > 20)
      throw invalid(`Too many services in one request: ${ids.length}; at most 20 are allowed.`, 'service_ids');
    return { json: enable(p, ids.map(String), true) };
  });
  r.post(/^\/v1\/projects\/(?<p>[^/]+)\/services\/(?<s>[^/:]+):disable$/, (req) => {
    const p = project(req);
    const s = req.params.s;
    if (!KNOWN[s]) throw unknown([s]);
    if (state(p, s) !== 'ENABLED')
      throw failedPrecondition(`Service ${s} is not enabled for consumer projects/${p.projectNumber}.`);
    const op = world.operations.start({
      name: `operations/acat.p2-${p.projectNumber}-${randomUUID()}`,
      api: 'serviceusage',
      durationMs: world.profile.operationMs.serviceEnable,
      complete: () => {
        world.services.get(p.projectNumber)!.set(s, { state: 'DISABLED', enabledAt: 0 });
        return {
          response: {
            '@type': 'type.googleapis.com/google.api.serviceusage.v1.DisableServiceResponse',
            service: view(p, s),
          },
        };
      },
    });
    return { json: Operations.toJSON(op) };
  });
  r.get(/^\/v1\/projects\/(?<p>[^/]+)\/services\/(?<s>[^/:]+)$/, (req) => {
    const p = project(req);
    if (!KNOWN[req.params.s]) throw unknown([req.params.s]);
    return { json: view(p, req.params.s) };
  });
  r.get(/^\/v1\/projects\/(?<p>[^/]+)\/services:batchGet$/, (req) => {
    const p = project(req);
    const names = req.query.getAll('names').map((n) => n.split('/').pop()!);
    if (names.length > 30) throw invalid('At most 30 services can be read at once.', 'names');
    const bad = names.filter((n) => !KNOWN[n]);
    if (bad.length) throw unknown(bad);
    return { json: { services: names.map((n) => view(p, n)) } };
  });
  r.get(/^\/v1\/projects\/(?<p>[^/]+)\/services$/, (req) => {
    const p = project(req);
    const onlyEnabled = /state:ENABLED/.test(req.query.get('filter') ?? '');
    const services = Object.keys(KNOWN)
      .map((s) => view(p, s))
      .filter((v) => !onlyEnabled || v.state === 'ENABLED');
    return { json: { services } };
  });
}

function addOperationAndIdentityRoutes(r: Router, world: World, steps: ServiceUsageSteps): void {
  const { project, unknown } = steps;
  const getOperation = (req: ApiRequest) => {
    const name = `operations/${req.params.id}`;
    // The synthetic no-op cannot be polled (gcp-api.md 2.5).
    if (name === NOOP) throw invalid('Invalid operation name: operations/noop.DONE_OPERATION.', 'name');
    const op = world.operations.get(name);
    if (op?.api !== 'serviceusage') throw new GoogleError('NOT_FOUND', `Operation ${name} not found.`);
    return { json: Operations.toJSON(op) };
  };
  r.get(/^\/v1\/operations\/(?<id>[^/]+)$/, getOperation);
  r.get(/^\/v1beta1\/operations\/(?<id>[^/]+)$/, getOperation);

  r.post(/^\/v1beta1\/projects\/(?<p>[^/]+)\/services\/(?<s>[^/:]+):generateServiceIdentity$/, (req) => {
    const p = project(req);
    const s = req.params.s;
    if (!KNOWN[s]) throw unknown([s]);
    requirePermission(req, 'serviceusage.services.enable', `projects/${p.projectId}`);
    // Assumption: Google creates an agent only for a service the project has enabled.
    if (!world.serviceEnabled(p.projectNumber, s))
      throw failedPrecondition(
        `Service ${s} is not enabled for consumer projects/${p.projectNumber}; enable it before generating ` +
          'its service identity.',
      );
    const key = `${p.projectNumber}/${s}`;
    const identity = () =>
      world.serviceIdentities.get(key) ?? { email: agentEmail(p.projectNumber, s), uniqueId: world.newUniqueId() };
    const op = world.operations.start({
      name: `operations/finsi.${randomUUID()}`,
      api: 'serviceusage',
      durationMs: world.profile.operationMs.serviceIdentity,
      complete: () => {
        const id = identity();
        // The first generation starts the agent's consistency window; later ones change nothing.
        if (!world.serviceIdentities.has(key)) world.serviceIdentityTimes.set(key, world.clock.now());
        world.serviceIdentities.set(key, id); // idempotent: the same agent every time
        return { response: { '@type': 'type.googleapis.com/google.api.serviceusage.v1beta1.ServiceIdentity', ...id } };
      },
    });
    return { json: Operations.toJSON(op) };
  });
}
