// Management API v2 routes for users and RBAC roles, as the auth0 SDK (v7) calls them:
//   users.list / create / get            GET, POST /api/v2/users; GET /api/v2/users/{id}
//   users.listUsersByEmail               GET /api/v2/users-by-email?email=
//   users.roles.list / assign / delete   GET, POST, DELETE /api/v2/users/{id}/roles
//   roles.list / create / get / update / delete   /api/v2/roles[/{id}]
//   roles.users.list / assign            GET, POST /api/v2/roles/{id}/users
// Scopes per route are those Auth0's reference lists (auth0/docs-v2, main/docs/api/management/v2/
// {users,roles,users-by-email}/*.mdx `<Scopes>`), any one of which passes. Answer shapes and
// statuses follow the recordings in auth0/go-auth0 (see directory.ts).
import type { Auth0Role, Auth0User, World } from '../world.js';
import { ManagementError, payloadError, queryError } from './errors.js';
import {
  body,
  boolParam,
  checkpoint,
  need,
  offsetPage,
  project,
  projection,
  type Ctx,
  type Route,
} from './mgmt-route.js';
import { defaultPicture, newRoleId, newUserId, roleView, userView } from './directory.js';
import { objectBody, optionalString, requiredString, stringList } from './validate.js';

const USERS = /^\/api\/v2\/users$/;
const USER = /^\/api\/v2\/users\/(?<id>[^/]+)$/;
const USER_ROLES = /^\/api\/v2\/users\/(?<id>[^/]+)\/roles$/;
const ROLES = /^\/api\/v2\/roles$/;
const ROLE = /^\/api\/v2\/roles\/(?<id>[^/]+)$/;
const ROLE_USERS = /^\/api\/v2\/roles\/(?<id>[^/]+)\/users$/;

export const USER_ROLE_ROUTES: Route[] = [
  { method: 'GET', re: USERS, handler: listUsers },
  { method: 'POST', re: USERS, handler: createUser },
  { method: 'GET', re: USER, handler: getUser },
  { method: 'GET', re: /^\/api\/v2\/users-by-email$/, handler: usersByEmail },
  { method: 'GET', re: USER_ROLES, handler: listUserRoles },
  { method: 'POST', re: USER_ROLES, handler: assignUserRoles },
  { method: 'DELETE', re: USER_ROLES, handler: removeUserRoles },
  { method: 'GET', re: ROLES, handler: listRoles },
  { method: 'POST', re: ROLES, handler: createRole },
  { method: 'GET', re: ROLE, handler: getRole },
  { method: 'PATCH', re: ROLE, handler: updateRole },
  { method: 'DELETE', re: ROLE, handler: deleteRole },
  { method: 'GET', re: ROLE_USERS, handler: listRoleUsers },
  { method: 'POST', re: ROLE_USERS, handler: assignRoleUsers },
];

export const userNotFound = () => new ManagementError(404, 'The user does not exist.', 'inexistent_user');
// Recorded without an errorCode (TestRoleManager_Delete.yaml).
export const roleNotFound = () => new ManagementError(404, 'The role does not exist.');

function findUser(world: World, id: string): Auth0User {
  const u = world.auth0Users.find((x) => x.user_id === id);
  if (!u) throw userNotFound();
  return u;
}
function findRole(world: World, id: string): Auth0Role {
  const r = world.auth0Roles.find((x) => x.id === id);
  if (!r) throw roleNotFound();
  return r;
}

/** An offset-paged list: a bare array, or {<key>, start, limit, total} with include_totals. */
function paged(c: Ctx, key: string, items: unknown[], extra: (n: number) => object = () => ({})) {
  const { page, perPage, slice } = offsetPage(items, c.req.query);
  if (!boolParam(c.req.query, 'include_totals', false)) return { status: 200, json: slice };
  return {
    status: 200,
    json: { [key]: slice, start: page * perPage, limit: perPage, ...extra(slice.length), total: items.length },
  };
}

// --- users ---------------------------------------------------------------------------------------

/**
 * The part of Lucene `q` the sandbox understands: `field:value` terms joined by AND, on email,
 * email_verified, user_id, name and identities.connection (quotes optional). Anything else is a
 * 400 in our own words (assumption: the real search takes the whole syntax).
 */
function userFilter(q: string | null): (u: Auth0User) => boolean {
  if (!q?.trim()) return () => true;
  const terms = q
    .trim()
    .split(/\s+AND\s+/i)
    .map((term) => {
      const m = /^([\w.]+):"?([^"]*)"?$/.exec(term.trim());
      const field = m?.[1];
      if (!m || !['email', 'email_verified', 'user_id', 'name', 'identities.connection'].includes(field!))
        throw queryError(
          `the sandbox only searches email, email_verified, user_id, name and identities.connection`,
          'q',
        );
      return { field: field!, value: m[2] };
    });
  const value = (u: Auth0User, f: string) =>
    f === 'identities.connection' ? u.connection : String((u as unknown as Record<string, unknown>)[f]);
  return (u) => terms.every((t) => value(u, t.field).toLowerCase() === t.value.toLowerCase());
}

function listUsers(c: Ctx) {
  need(c, ['read:users', 'read:user_idp_tokens']);
  const se = c.req.query.get('search_engine');
  if (se && !['v1', 'v2', 'v3'].includes(se)) throw queryError(`No enum match for: "${se}"`, 'search_engine');
  const connection = c.req.query.get('connection');
  const proj = projection(c.req.query);
  const users = c.t.world.auth0Users
    .filter(userFilter(c.req.query.get('q')))
    .filter((u) => !connection || u.connection === connection)
    .map((u) => project(userView(c.t.world, u), proj));
  return paged(c, 'users', users, (length) => ({ length }));
}

function getUser(c: Ctx) {
  need(c, ['read:users', 'read:current_user', 'read:user_idp_tokens']);
  return { status: 200, json: project(userView(c.t.world, findUser(c.t.world, c.params.id)), projection(c.req.query)) };
}

/** GET /api/v2/users-by-email: every account with exactly that address, in any connection (an array). */
function usersByEmail(c: Ctx) {
  need(c, ['read:users']);
  const email = c.req.query.get('email');
  if (email === null)
    throw new ManagementError(
      400,
      "Query validation error: 'Missing required property: email'.",
      'invalid_query_string',
    );
  const proj = projection(c.req.query);
  const users = c.t.world.auth0Users.filter((u) => u.email === email).map((u) => project(userView(c.t.world, u), proj));
  return { status: 200, json: users };
}

const CREATE_USER_PROPS = new Set(
  (
    'email phone_number user_metadata blocked email_verified phone_verified app_metadata given_name family_name name ' +
    'nickname picture user_id connection password verify_email username'
  ).split(' '),
);

/**
 * POST /api/v2/users, database connections only. Auth0 stores a database user's email in lower
 * case (the SDK's listUsersByEmail docstring), names it by its email, and answers 201 with the user;
 * a second account with that email in the same connection is 409 "The user already exists."
 */
function createUser(c: Ctx) {
  need(c, ['create:users']);
  const b = objectBody(body(c), CREATE_USER_PROPS);
  const connName = requiredString(b, 'connection');
  const world = c.t.world;
  const conn = world.auth0Connections.find((x) => x.name === connName);
  // Assumption [M]: Auth0's wording for an unknown connection here.
  if (!conn) throw new ManagementError(400, 'The connection does not exist.', 'inexistent_connection');
  // Assumption: the wording; enterprise users come from their IdP, not from the API.
  if (conn.strategy !== 'auth0')
    throw new ManagementError(400, `Connection ${connName} is not a database connection.`, 'operation_not_supported');
  const email = requiredString(b, 'email').toLowerCase();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
    throw payloadError(`Object didn't pass validation for format email: ${email}`, 'email');
  const password = requiredString(b, 'password');
  if (world.auth0Users.some((u) => u.connection === connName && u.email === email))
    throw new ManagementError(409, 'The user already exists.', 'auth0_idp_error');
  const now = world.clock.iso();
  const str = (k: string) => optionalString(b, k);
  const meta = (k: string) => (b[k] && typeof b[k] === 'object' ? (b[k] as Record<string, unknown>) : undefined);
  const user: Auth0User = {
    user_id: newUserId('auth0'),
    email,
    password,
    name: str('name') ?? email,
    email_verified: b.email_verified === true,
    connection: connName,
    nickname: str('nickname') ?? str('username') ?? email.split('@')[0],
    picture: str('picture') ?? defaultPicture(email),
    ...(str('username') ? { username: str('username') } : {}),
    ...(str('given_name') ? { given_name: str('given_name') } : {}),
    ...(str('family_name') ? { family_name: str('family_name') } : {}),
    ...(meta('app_metadata') ? { app_metadata: meta('app_metadata') } : {}),
    ...(meta('user_metadata') ? { user_metadata: meta('user_metadata') } : {}),
    ...(typeof b.blocked === 'boolean' ? { blocked: b.blocked } : {}),
    created_at: now,
    updated_at: now,
  };
  world.auth0Users.push(user);
  return { status: 201, json: userView(world, user) };
}

// --- a user's roles ------------------------------------------------------------------------------

function listUserRoles(c: Ctx) {
  need(c, ['read:users', 'read:roles', 'read:role_members']);
  const user = findUser(c.t.world, c.params.id);
  const roles = c.t.world.auth0Roles.filter((r) => r.users.includes(user.user_id)).map(roleView);
  return paged(c, 'roles', roles);
}

/** The role ids of a {roles: [...]} body; every one must exist (assumption: 404 for the first unknown). */
function rolesOfBody(c: Ctx): Auth0Role[] {
  const ids = stringList(objectBody(body(c), new Set(['roles'])), 'roles', 1);
  return ids.map((id) => findRole(c.t.world, id));
}

function assignUserRoles(c: Ctx) {
  need(c, ['update:users', 'create:role_members']);
  const user = findUser(c.t.world, c.params.id);
  for (const r of rolesOfBody(c)) if (!r.users.includes(user.user_id)) r.users.push(user.user_id);
  return { status: 204 };
}

function removeUserRoles(c: Ctx) {
  need(c, ['update:users', 'delete:role_members']);
  const user = findUser(c.t.world, c.params.id);
  for (const r of rolesOfBody(c)) r.users = r.users.filter((id) => id !== user.user_id);
  return { status: 204 };
}

// --- roles ---------------------------------------------------------------------------------------

/** GET /api/v2/roles; `name_filter` is case-insensitive (assumption: it matches a part of the name). */
function listRoles(c: Ctx) {
  need(c, ['read:roles']);
  const filter = c.req.query.get('name_filter')?.toLowerCase();
  const roles = c.t.world.auth0Roles.filter((r) => !filter || r.name.toLowerCase().includes(filter)).map(roleView);
  return paged(c, 'roles', roles);
}

const ROLE_PROPS = new Set(['name', 'description', 'type', 'owner_id']);

function roleFields(c: Ctx, creating: boolean): { name?: string; description?: string } {
  const b = objectBody(body(c), creating ? ROLE_PROPS : new Set(['name', 'description']));
  const name = creating ? requiredString(b, 'name') : optionalString(b, 'name');
  if (name !== undefined && !name) throw payloadError('String is too short (0 chars), minimum 1', 'name');
  const description = optionalString(b, 'description');
  const taken = c.t.world.auth0Roles.find((r) => name !== undefined && r.name.toLowerCase() === name.toLowerCase());
  // Assumption: role names are unique per tenant; the 409's wording is ours.
  if (taken && taken.id !== c.params.id) throw new ManagementError(409, 'A role with this name already exists.');
  return { ...(name !== undefined ? { name } : {}), ...(description !== undefined ? { description } : {}) };
}

/** POST /api/v2/roles answers 200 (not 201) with the role, as recorded. */
function createRole(c: Ctx) {
  need(c, ['create:roles']);
  const f = roleFields(c, true);
  const role: Auth0Role = {
    id: newRoleId(),
    name: f.name!,
    ...(f.description !== undefined ? { description: f.description } : {}),
    users: [],
  };
  c.t.world.auth0Roles.push(role);
  return { status: 200, json: roleView(role) };
}

function getRole(c: Ctx) {
  need(c, ['read:roles']);
  return { status: 200, json: roleView(findRole(c.t.world, c.params.id)) };
}

function updateRole(c: Ctx) {
  need(c, ['update:roles']);
  const role = findRole(c.t.world, c.params.id);
  Object.assign(role, roleFields(c, false));
  return { status: 200, json: roleView(role) };
}

/** DELETE /api/v2/roles/{id} answers 200 with `{}`, as recorded; its members lose it. */
function deleteRole(c: Ctx) {
  need(c, ['delete:roles']);
  const role = findRole(c.t.world, c.params.id);
  c.t.world.auth0Roles.splice(c.t.world.auth0Roles.indexOf(role), 1);
  return { status: 200, json: {} };
}

// --- a role's users ------------------------------------------------------------------------------

/**
 * GET /api/v2/roles/{id}/users: {user_id, email, picture, name} per member. Offset paging as the
 * other lists, or checkpoint paging ({users, next}) when `from` or `take` is given (the SDK sends
 * `take`); assumption: include_totals is ignored in checkpoint mode.
 */
function listRoleUsers(c: Ctx) {
  need(c, ['read:users', 'read:roles', 'read:role_members']);
  const world = c.t.world;
  const role = findRole(world, c.params.id);
  const users = role.users
    .map((id) => world.auth0Users.find((u) => u.user_id === id))
    .filter((u): u is Auth0User => !!u)
    .map((u) => ({ user_id: u.user_id, email: u.email, picture: u.picture ?? defaultPicture(u.email), name: u.name }));
  const q = c.req.query;
  if (q.has('from') || q.has('take')) {
    const { page, next } = checkpoint(users, q);
    return { status: 200, json: { users: page, ...(next ? { next } : {}) } };
  }
  return paged(c, 'users', users);
}

/** POST /api/v2/roles/{id}/users {users: [...]}: answers 200 `{}`, as recorded. */
function assignRoleUsers(c: Ctx) {
  need(c, ['update:roles', 'create:role_members']);
  const world = c.t.world;
  const role = findRole(world, c.params.id);
  const ids = stringList(objectBody(body(c), new Set(['users'])), 'users', 1);
  const users = ids.map((id) => findUser(world, id));
  for (const u of users) if (!role.users.includes(u.user_id)) role.users.push(u.user_id);
  return { status: 200, json: {} };
}
