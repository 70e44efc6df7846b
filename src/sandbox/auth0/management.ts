// The Management API v2 routes iap-auth0 uses: /api/v2/clients (list, get, create, update,
// delete, rotate-secret, enabled connections), the connection↔client enablement endpoints and
// the custom domains (list, get) here; Actions and their trigger bindings in actions.ts; users
// and roles in users-roles.ts.
// State: world.auth0Clients and world.auth0Connections. Scopes come from the bearer token
// (token.ts). Error bodies are Auth0's {statusCode, error, message, errorCode}.
import type { Auth0Client, Auth0Connection } from '../world.js';
import { ManagementError, clientNotFound, payloadError, routeNotFound } from './errors.js';
import { applyPatch, createClient, newClientSecret, validateClientBody, viewClient } from './clients.js';
import { verifyManagementToken, type Tenant } from './token.js';
import {
  body,
  boolParam,
  checkpoint,
  intParam,
  need,
  projection,
  type Ctx,
  type MgmtRequest,
  type MgmtResult,
  type Route,
} from './mgmt-route.js';
import { ACTION_ROUTES } from './actions.js';
import { USER_ROLE_ROUTES } from './users-roles.js';

export type { MgmtRequest, MgmtResult } from './mgmt-route.js';

const ROUTES: Route[] = [
  { method: 'GET', re: /^\/api\/v2\/clients$/, handler: listClients },
  { method: 'POST', re: /^\/api\/v2\/clients$/, handler: createClientRoute },
  { method: 'GET', re: /^\/api\/v2\/clients\/(?<id>[^/]+)$/, handler: getClient },
  { method: 'PATCH', re: /^\/api\/v2\/clients\/(?<id>[^/]+)$/, handler: updateClient },
  { method: 'DELETE', re: /^\/api\/v2\/clients\/(?<id>[^/]+)$/, handler: deleteClient },
  { method: 'POST', re: /^\/api\/v2\/clients\/(?<id>[^/]+)\/rotate-secret$/, handler: rotateSecret },
  { method: 'GET', re: /^\/api\/v2\/clients\/(?<id>[^/]+)\/connections$/, handler: clientConnections },
  { method: 'GET', re: /^\/api\/v2\/connections$/, handler: listConnections },
  { method: 'GET', re: /^\/api\/v2\/connections\/(?<id>[^/]+)\/clients$/, handler: connectionClients },
  { method: 'PATCH', re: /^\/api\/v2\/connections\/(?<id>[^/]+)\/clients$/, handler: updateConnectionClients },
  { method: 'GET', re: /^\/api\/v2\/custom-domains$/, handler: listCustomDomains },
  { method: 'GET', re: /^\/api\/v2\/custom-domains\/(?<id>[^/]+)$/, handler: getCustomDomain },
  ...ACTION_ROUTES,
  ...USER_ROLE_ROUTES,
];

export async function handleManagement(t: Tenant, req: MgmtRequest): Promise<MgmtResult> {
  // Authentication comes before routing, as on the real API.
  const auth = req.headers.authorization;
  const scopes = await verifyManagementToken(t, Array.isArray(auth) ? auth[0] : auth);
  for (const r of ROUTES) {
    const m = r.re.exec(req.path);
    if (m && r.method === req.method) return r.handler({ t, req, scopes, params: { ...(m.groups ?? {}) } });
  }
  throw routeNotFound();
}

// --- helpers -------------------------------------------------------------------------------------

function findClient(c: Ctx): Auth0Client {
  const client = c.t.world.auth0Clients.get(c.params.id);
  if (!client) throw clientNotFound();
  return client;
}

/** The secret is shown to callers that may read keys; a create response always carries it. */
function visibleScopes(c: Ctx, extra: string[] = []): Set<string> {
  return new Set([...c.scopes, ...extra]);
}

// --- /api/v2/clients -----------------------------------------------------------------------------

function listClients(c: Ctx): MgmtResult {
  need(c, ['read:clients', 'read:client_summary']);
  const q = c.req.query;
  const page = intParam(
    q,
    'page',
    0,
    0,
    Number.MAX_SAFE_INTEGER,
    'Page index of the results to return. First page is 0.',
  );
  const perPage = intParam(
    q,
    'per_page',
    50,
    0,
    100,
    'Number of results per page. Default value is 50, maximum value is 100',
  );
  const includeTotals = boolParam(q, 'include_totals', false);
  const isGlobal = boolParam(q, 'is_global');
  const isFirstParty = boolParam(q, 'is_first_party');
  const appTypes = q
    .get('app_type')
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const all = [...c.t.world.auth0Clients.values()].filter(
    (cl) =>
      (isGlobal === undefined || cl.global === isGlobal) &&
      (isFirstParty === undefined || cl.is_first_party === isFirstParty) &&
      (!appTypes?.length || (cl.app_type !== undefined && appTypes.includes(cl.app_type))),
  );
  const slice = all.slice(page * perPage, page * perPage + perPage);
  const proj = projection(q);
  const clients = slice.map((cl) => viewClient(cl, c.scopes, proj));
  if (!includeTotals) return { status: 200, json: clients };
  return {
    status: 200,
    json: { total: all.length, start: page * perPage, limit: perPage, length: clients.length, clients },
  };
}

function getClient(c: Ctx): MgmtResult {
  need(c, ['read:clients', 'read:client_summary']);
  return { status: 200, json: viewClient(findClient(c), c.scopes, projection(c.req.query)) };
}

function createClientRoute(c: Ctx): MgmtResult {
  need(c, ['create:clients']);
  const b = validateClientBody(body(c), 'create');
  const world = c.t.world;
  const client = createClient(world, c.t.key, b);
  world.auth0Clients.set(client.client_id, client);
  // flags.enable_client_connections is on by default: the new app is enabled on every connection.
  for (const conn of world.auth0Connections) conn.enabled_clients.push(client.client_id);
  // Assumption (auth0.md 7.7): the create response includes client_secret even without read:client_keys.
  return { status: 201, json: viewClient(client, visibleScopes(c, ['read:client_keys'])) };
}

function updateClient(c: Ctx): MgmtResult {
  need(c, ['update:clients']);
  const b = validateClientBody(body(c), 'update');
  if (b.client_secret !== undefined) need(c, ['update:client_keys']);
  const client = findClient(c);
  const next = applyPatch(c.t.world, client, b);
  c.t.world.issuedSecrets.add(next.client_secret);
  c.t.world.auth0Clients.set(next.client_id, next);
  // Assumption: the PATCH answer shows the secret to callers allowed to read or set keys.
  const extra = c.scopes.has('update:client_keys') ? ['read:client_keys'] : [];
  return { status: 200, json: viewClient(next, visibleScopes(c, extra)) };
}

function deleteClient(c: Ctx): MgmtResult {
  need(c, ['delete:clients']);
  const client = findClient(c);
  c.t.world.auth0Clients.delete(client.client_id);
  for (const conn of c.t.world.auth0Connections)
    conn.enabled_clients = conn.enabled_clients.filter((id) => id !== client.client_id);
  return { status: 204 };
}

function rotateSecret(c: Ctx): MgmtResult {
  need(c, ['update:client_keys']);
  const client = findClient(c);
  const next = { ...client, client_secret: newClientSecret(), updated_at: c.t.world.clock.iso() };
  c.t.world.issuedSecrets.add(next.client_secret);
  c.t.world.auth0Clients.set(next.client_id, next);
  return { status: 200, json: viewClient(next, visibleScopes(c, ['read:client_keys'])) };
}

// --- connections ---------------------------------------------------------------------------------

function connectionView(conn: Auth0Connection): Record<string, unknown> {
  return {
    id: conn.id,
    name: conn.name,
    display_name: conn.name,
    strategy: conn.strategy,
    realms: [conn.name],
    is_domain_connection: false,
    options: {},
  };
}

function clientConnections(c: Ctx): MgmtResult {
  // Needs read:connections and one of read:clients / read:client_summary (auth0.md 2.1).
  need(c, ['read:connections']);
  need(c, ['read:clients', 'read:client_summary']);
  const client = findClient(c);
  const strategies = c.req.query.getAll('strategy');
  const enabled = c.t.world.auth0Connections.filter(
    (conn) =>
      conn.enabled_clients.includes(client.client_id) && (!strategies.length || strategies.includes(conn.strategy)),
  );
  const { page, next } = checkpoint(enabled, c.req.query);
  const proj = projection(c.req.query);
  const connections = page
    .map(connectionView)
    .map((v) =>
      proj.fields?.length
        ? Object.fromEntries(Object.entries(v).filter(([k]) => proj.fields!.includes(k) === proj.include))
        : v,
    );
  return { status: 200, json: { connections, ...(next ? { next } : {}) } };
}

function listConnections(c: Ctx): MgmtResult {
  need(c, ['read:connections']);
  const strategy = c.req.query.getAll('strategy');
  const list = c.t.world.auth0Connections
    .filter((conn) => !strategy.length || strategy.includes(conn.strategy))
    .map((conn) => ({ ...connectionView(conn), enabled_clients: [...conn.enabled_clients] }));
  return { status: 200, json: list };
}

function findConnection(c: Ctx): Auth0Connection {
  const conn = c.t.world.auth0Connections.find((x) => x.id === c.params.id);
  if (!conn) throw new ManagementError(404, 'The connection does not exist', 'inexistent_connection');
  return conn;
}

function connectionClients(c: Ctx): MgmtResult {
  need(c, ['read:connections']);
  const conn = findConnection(c);
  const { page, next } = checkpoint(conn.enabled_clients, c.req.query);
  return { status: 200, json: { clients: page.map((client_id) => ({ client_id })), ...(next ? { next } : {}) } };
}

function updateConnectionClients(c: Ctx): MgmtResult {
  need(c, ['update:connections']);
  const conn = findConnection(c);
  const items = body(c);
  if (!Array.isArray(items)) throw payloadError(`Expected type array but found type ${typeof items}`);
  if (items.length > 50) throw payloadError(`Array is too long (${items.length}), maximum 50`);
  items.forEach((it: any, i) => {
    if (typeof it?.client_id !== 'string') throw payloadError('Missing required property: client_id', `[${i}]`);
    if (typeof it?.status !== 'boolean') throw payloadError('Missing required property: status', `[${i}]`);
  });
  for (const it of items as { client_id: string; status: boolean }[]) {
    if (!c.t.world.auth0Clients.has(it.client_id)) throw clientNotFound();
  }
  for (const it of items as { client_id: string; status: boolean }[]) {
    const has = conn.enabled_clients.includes(it.client_id);
    if (it.status && !has) conn.enabled_clients.push(it.client_id);
    if (!it.status && has) conn.enabled_clients = conn.enabled_clients.filter((id) => id !== it.client_id);
  }
  return { status: 204 };
}

// --- custom domains --------------------------------------------------------------------------------

/**
 * GET /api/v2/custom-domains: every custom domain of the tenant, whatever its status, as an array
 * (Auth0's reference; `read:custom_domains`, auth0/agent-skills custom-domains api.md). `fields`
 * and `include_fields` project as for clients; the other parameters (q, sort, take, from) are
 * accepted and ignored (assumption: tenants here have at most a few domains).
 */
function listCustomDomains(c: Ctx): MgmtResult {
  need(c, ['read:custom_domains']);
  const proj = projection(c.req.query);
  const view = (d: object) =>
    proj.fields?.length
      ? Object.fromEntries(Object.entries(d).filter(([k]) => proj.fields!.includes(k) === proj.include))
      : { ...d };
  return { status: 200, json: c.t.world.auth0CustomDomains.map(view) };
}

function getCustomDomain(c: Ctx): MgmtResult {
  need(c, ['read:custom_domains']);
  const d = c.t.world.auth0CustomDomains.find((x) => x.custom_domain_id === c.params.id);
  // Assumption: the wording of the 404.
  if (!d) throw new ManagementError(404, 'The custom domain does not exist', 'inexistent_custom_domain');
  return { status: 200, json: { ...d } };
}
