// The tenant's users and RBAC roles through the Management API, driven by the real auth0 SDK (v7)
// the way the product will call it: users.list / create / get / listUsersByEmail, roles.list /
// create / get / update / delete, roles.users.list / assign, users.roles.list / assign / delete.
// Literal values are those of the seeded tenant (docs/SANDBOX.md "Auth0 test users") and of Auth0's
// answers (go-auth0 recordings, Auth0's reference).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSandbox, requestLog } from './helpers/sandbox.js';
import { mgmtError, mgmtFor, withoutScopes } from './helpers/auth0-mgmt.js';

const sb = await useSandbox();
const mgmt = mgmtFor(sb);

test('the seeded users: two accounts share alice@, one of them verified; erin@ comes with groups', async () => {
  const alices = await mgmt.users.listUsersByEmail({ email: 'alice@sandbox.example' });
  assert.deepEqual(
    alices.map((u) => [u.email_verified, u.identities?.[0].connection, u.identities?.[0].provider]),
    [
      [true, 'Username-Password-Authentication', 'auth0'],
      [false, 'sandbox-signups', 'auth0'],
    ],
  );
  assert.match(alices[0].user_id!, /^auth0\|[0-9a-f]{24}$/);
  assert.equal(alices[0].user_id, sb.world.testUser.user_id, 'the test user of IAP_AUTH0_TEST_USER_*');
  assert.equal(alices[0].name, 'Alice Example');
  assert.equal(alices[1].name, 'alice@sandbox.example', 'Auth0 names a user by its email');
  assert.equal(alices[0].password, undefined);
  assert.deepEqual(await mgmt.users.listUsersByEmail({ email: 'nobody@sandbox.example' }), []);
  assert.deepEqual(await mgmt.users.listUsersByEmail({ email: 'ALICE@sandbox.example' }), [], 'the match is exact');

  const [erin] = await mgmt.users.listUsersByEmail({ email: 'erin@sandbox.example' });
  assert.equal(erin.identities?.[0].connection, 'sandbox-entra');
  assert.equal(erin.identities?.[0].provider, 'waad');
  assert.deepEqual(erin.groups, ['engineering', 'iap-users']);
  const [carol] = await mgmt.users.listUsersByEmail({ email: 'carol@sandbox.example' });
  assert.equal(carol.email_verified, false);

  const all = await mgmt.users.list();
  assert.deepEqual(all.data.map((u) => u.email).sort(), [
    'alice@sandbox.example',
    'alice@sandbox.example',
    'bob@sandbox.example',
    'carol@sandbox.example',
    'erin@sandbox.example',
  ]);
  const signups = await mgmt.users.list({ q: 'identities.connection:"sandbox-signups"' });
  assert.deepEqual(
    signups.data.map((u) => [u.email, u.email_verified]),
    [['alice@sandbox.example', false]],
  );
  const got = await mgmt.users.get(alices[0].user_id!);
  assert.equal(got.email, 'alice@sandbox.example');
  const missing = await mgmtError(mgmt.users.get('auth0|000000000000000000000000'));
  assert.equal(missing.statusCode, 404);
  assert.deepEqual(missing.body, {
    statusCode: 404,
    error: 'Not Found',
    message: 'The user does not exist.',
    errorCode: 'inexistent_user',
  });
});

test('the seeded roles: admin and iap-users held by Alice, viewer by nobody', async () => {
  const roles = await mgmt.roles.list();
  assert.deepEqual(
    roles.data.map((r) => [r.name, r.description]),
    [
      ['admin', 'Administrators'],
      ['iap-users', 'May use the app behind IAP'],
      ['viewer', 'Nobody holds this role'],
    ],
  );
  for (const r of roles.data) assert.match(r.id!, /^rol_[A-Za-z0-9]{16}$/);
  const [admin] = (await mgmt.roles.list({ name_filter: 'ADMIN' })).data;
  assert.equal(admin.name, 'admin', 'name_filter is case-insensitive');
  const members = await mgmt.roles.users.list(admin.id!);
  assert.deepEqual(
    members.data.map((u) => [u.user_id, u.email, u.name]),
    [[sb.world.testUser.user_id, 'alice@sandbox.example', 'Alice Example']],
  );
  const viewer = roles.data.find((r) => r.name === 'viewer')!;
  assert.deepEqual((await mgmt.roles.users.list(viewer.id!)).data, []);
  const aliceRoles = await mgmt.users.roles.list(sb.world.testUser.user_id);
  assert.deepEqual(
    aliceRoles.data.map((r) => r.name),
    ['admin', 'iap-users'],
  );
});

test('create a user and a role, assign it both ways, remove it, delete the role', async () => {
  const user = await mgmt.users.create({
    connection: 'Username-Password-Authentication',
    email: 'Dave@Sandbox.Example',
    password: 'a long test password',
    email_verified: true,
  });
  assert.match(user.user_id!, /^auth0\|[0-9a-f]{24}$/);
  assert.equal(user.email, 'dave@sandbox.example', 'a database stores the address in lower case');
  assert.equal(user.nickname, 'dave');
  assert.deepEqual(user.identities, [
    {
      connection: 'Username-Password-Authentication',
      user_id: user.user_id!.slice(6),
      provider: 'auth0',
      isSocial: false,
    },
  ]);
  const dup = await mgmtError(
    mgmt.users.create({
      connection: 'Username-Password-Authentication',
      email: 'dave@sandbox.example',
      password: 'x y z w',
    }),
  );
  assert.equal(dup.statusCode, 409);
  assert.deepEqual(dup.body, {
    statusCode: 409,
    error: 'Conflict',
    message: 'The user already exists.',
    errorCode: 'auth0_idp_error',
  });

  const role = await mgmt.roles.create({ name: 'ops', description: 'Operators' });
  assert.match(role.id!, /^rol_/);
  assert.deepEqual(await mgmt.roles.get(role.id!), { id: role.id, name: 'ops', description: 'Operators' });
  await mgmt.roles.users.assign(role.id!, { users: [user.user_id!] });
  await mgmt.users.roles.assign(sb.world.testUser.user_id, { roles: [role.id!] });
  const members = await mgmt.roles.users.list(role.id!);
  assert.deepEqual(
    members.data.map((u) => u.email),
    ['dave@sandbox.example', 'alice@sandbox.example'],
  );
  await mgmt.users.roles.delete(user.user_id!, { roles: [role.id!] });
  assert.deepEqual((await mgmt.users.roles.list(user.user_id!)).data, []);
  assert.equal((await mgmt.roles.update(role.id!, { description: 'On call' })).description, 'On call');

  await mgmt.roles.delete(role.id!);
  const gone = await mgmtError(mgmt.roles.get(role.id!));
  assert.equal(gone.statusCode, 404);
  assert.deepEqual(gone.body, { statusCode: 404, error: 'Not Found', message: 'The role does not exist.' });
  assert.deepEqual(
    (await mgmt.users.roles.list(sb.world.testUser.user_id)).data.map((r) => r.name),
    ['admin', 'iap-users'],
    'a deleted role is gone from its members',
  );
  const log = await requestLog(sb);
  const statuses = (method: string, re: RegExp) =>
    log.filter((r) => r.api === 'auth0' && r.method === method && re.test(r.path)).map((r) => r.status);
  assert.deepEqual(statuses('POST', /^\/api\/v2\/roles$/), [200], 'POST /roles answers 200, as Auth0 does');
  assert.deepEqual(statuses('POST', /^\/api\/v2\/users\/[^/]+\/roles$/), [204]);
  assert.deepEqual(statuses('DELETE', /^\/api\/v2\/roles\/rol_/), [200]);
});

test('bad input is refused with Auth0 400s; unknown ids are 404', async () => {
  const noConn = await mgmtError(mgmt.users.create({ email: 'x@sandbox.example' } as any));
  assert.equal(noConn.statusCode, 400);
  assert.equal(noConn.body.message, "Payload validation error: 'Missing required property: connection'.");
  assert.equal(noConn.body.errorCode, 'invalid_body');
  const noRole = await mgmtError(mgmt.roles.create({} as any));
  assert.equal(noRole.body.message, "Payload validation error: 'Missing required property: name'.");
  const badRoles = await mgmtError(mgmt.users.roles.assign(sb.world.testUser.user_id, { roles: [] }));
  assert.equal(
    badRoles.body.message,
    "Payload validation error: 'Array is too short (0), minimum 1' on property roles.",
  );
  const unknownRole = await mgmtError(
    mgmt.users.roles.assign(sb.world.testUser.user_id, { roles: ['rol_0000000000000000'] }),
  );
  assert.equal(unknownRole.statusCode, 404);
  const unknownUser = await mgmtError(mgmt.users.roles.list('auth0|ffffffffffffffffffffffff'));
  assert.equal(unknownUser.body.errorCode, 'inexistent_user');
  const noEmail = await fetch(`https://${sb.env.AUTH0_DOMAIN}/api/v2/users-by-email`, {
    headers: { authorization: `Bearer ${await tokenOf()}` },
  });
  assert.equal(noEmail.status, 400);
  assert.equal(((await noEmail.json()) as any).message, "Query validation error: 'Missing required property: email'.");
});

async function tokenOf(): Promise<string> {
  const res = await fetch(`https://${sb.env.AUTH0_DOMAIN}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: sb.env.AUTH0_CLIENT_ID,
      client_secret: sb.env.AUTH0_CLIENT_SECRET,
      audience: `https://${sb.env.AUTH0_DOMAIN}/api/v2/`,
    }),
  });
  return ((await res.json()) as any).access_token;
}

test('each route wants the scopes Auth0 lists for it: 403 insufficient_scope naming them', async () => {
  const id = sb.world.testUser.user_id;
  const cases: [string[], (m: ReturnType<typeof mgmtFor>) => Promise<unknown>, string][] = [
    [['read:users', 'read:user_idp_tokens'], (m) => m.users.list(), 'read:users,read:user_idp_tokens'],
    [['create:users'], (m) => m.users.create({ connection: 'x' }), 'create:users'],
    [['read:users'], (m) => m.users.listUsersByEmail({ email: 'a@b.c' }), 'read:users'],
    [
      ['read:users', 'read:roles', 'read:role_members'],
      (m) => m.users.roles.list(id),
      'read:users,read:roles,read:role_members',
    ],
    [
      ['update:users', 'create:role_members'],
      (m) => m.users.roles.assign(id, { roles: ['r'] }),
      'update:users,create:role_members',
    ],
    [
      ['update:users', 'delete:role_members'],
      (m) => m.users.roles.delete(id, { roles: ['r'] }),
      'update:users,delete:role_members',
    ],
    [['read:roles'], (m) => m.roles.list(), 'read:roles'],
    [['create:roles'], (m) => m.roles.create({ name: 'n' }), 'create:roles'],
    [['delete:roles'], (m) => m.roles.delete('rol_x'), 'delete:roles'],
    [
      ['update:roles', 'create:role_members'],
      (m) => m.roles.users.assign('rol_x', { users: [id] }),
      'update:roles,create:role_members',
    ],
  ];
  for (const [remove, call, expected] of cases) {
    await withoutScopes(sb, remove, async (m) => {
      const e = await mgmtError(call(m));
      assert.equal(e.statusCode, 403, expected);
      assert.deepEqual(e.body, {
        statusCode: 403,
        error: 'Forbidden',
        message: `Insufficient scope, expected any of: ${expected}`,
        errorCode: 'insufficient_scope',
      });
    });
  }
});
