// Cloud Run v2 long-running operations (gcp-api.md 1.3, 5.9): get, list and :wait under
// projects/{p}/locations/{r}/operations. Operation names keep the project form the caller used
// (id or number); a poll with the other form finds the same operation.
import { GoogleError, invalid } from '../core/errors.js';
import { Operations, type StoredOperation } from '../core/operations.js';
import { requirePermission, sleep, type ApiRequest, type Router } from '../core/http.js';
import { page, projectOr403, requireEnabled } from './common.js';
import type { Project, World } from '../world.js';

const BASE = '^/v2/projects/(?<project>[^/]+)/locations/(?<region>[^/]+)/operations';

function projectOf(world: World, req: ApiRequest, permission: string): Project {
  const p = projectOr403(world, req.params.project, permission);
  requireEnabled(world, p, 'run.googleapis.com');
  requirePermission(req, permission, `projects/${req.params.project}/locations/${req.params.region}`);
  return p;
}

/** The Cloud Run operation with this id, whichever project form it was created with. */
function findOperation(world: World, p: Project, region: string, id: string): StoredOperation | undefined {
  for (const ref of [p.projectId, p.projectNumber]) {
    const op = world.operations.get(`projects/${ref}/locations/${region}/operations/${id}`);
    if (op && op.api === 'run') return op;
  }
  return undefined;
}

function operationOr404(world: World, req: ApiRequest, permission: string): StoredOperation {
  const p = projectOf(world, req, permission);
  const op = findOperation(world, p, req.params.region, req.params.id);
  if (!op) {
    throw new GoogleError(
      'NOT_FOUND',
      `Operation 'projects/${req.params.project}/locations/${req.params.region}/operations/${req.params.id}' ` +
        'not found.',
    );
  }
  return op;
}

/** Parses a google.protobuf.Duration in JSON form ("60s", "1.5s"). */
function parseTimeout(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(String(v));
  if (!m)
    throw invalid(
      `Invalid value at 'timeout' (type.googleapis.com/google.protobuf.Duration), "${String(v)}"`,
      'timeout',
    );
  return Math.round(Number(m[1]) * 1000);
}

// Assumption: without a timeout (or with a longer one) :wait holds the call at most this long, as
// Google caps long-polls well below a client's own deadline.
const MAX_WAIT_MS = 60_000;

export function addOperationRoutes(world: World, router: Router): void {
  router.get(new RegExp(`${BASE}/(?<id>[^/:]+)$`), (req) => ({
    json: Operations.toJSON(operationOr404(world, req, 'run.operations.get')),
  }));

  router.post(new RegExp(`${BASE}/(?<id>[^/:]+):wait$`), async (req) => {
    const op = operationOr404(world, req, 'run.operations.get');
    const wait = Math.min(parseTimeout(req.body?.timeout) ?? MAX_WAIT_MS, MAX_WAIT_MS);
    const deadline = Date.now() + wait;
    while (!op.done && Date.now() < deadline) await sleep(Math.min(10, Math.max(1, deadline - Date.now())));
    return { json: Operations.toJSON(op) };
  });

  router.get(new RegExp(`${BASE}$`), (req) => {
    const p = projectOf(world, req, 'run.operations.list');
    const region = req.params.region;
    const prefixes = [p.projectId, p.projectNumber].map((ref) => `projects/${ref}/locations/${region}/operations/`);
    const filter = (req.query.get('filter') ?? '').replace(/\s+/g, '');
    if (filter && !/^done[:=](true|false)$/.test(filter))
      throw invalid(
        `Invalid filter "${req.query.get('filter')}": only done:true and done:false are supported.`,
        'filter',
      );
    const wantDone = filter ? filter.endsWith('true') : undefined;
    const ops = world.operations
      .list()
      .filter((o) => o.api === 'run' && prefixes.some((x) => o.name.startsWith(x)))
      .filter((o) => wantDone === undefined || o.done === wantDone)
      .sort((a, b) => a.name.localeCompare(b.name));
    const { items, nextPageToken } = page(ops, req);
    return {
      json: {
        ...(items.length ? { operations: items.map((o) => Operations.toJSON(o)) } : {}),
        ...(nextPageToken ? { nextPageToken } : {}),
      },
    };
  });
}
