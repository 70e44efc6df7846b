// The post-login Actions at sign-in: installed through the real auth0 SDK (create, deploy, bind),
// then a browser-like sign-in at the tenant's Universal Login, the code exchanged as Google's
// sign-in does. Checks what Auth0 does: claims in the ID token and /userinfo under Auth0's rules,
// api.access.deny and thrown errors ending at the callback with access_denied, binding order, only
// deployed and bound Actions running, the event's contents, and the isolated runtime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSandbox } from './helpers/sandbox.js';
import { mgmtFor } from './helpers/auth0-mgmt.js';
import { Jar, createApp, signIn, tokens } from './helpers/auth0-login.js';
import { installGroupsAction } from './helpers/groups-action.js';

const sb = await useSandbox();
const mgmt = mgmtFor(sb);
const app = await createApp(mgmt, sb.env.AUTH0_DOMAIN, 'Actions test app');
const ALICE = { email: 'alice@sandbox.example', password: sb.env.IAP_AUTH0_TEST_USER_PASSWORD };
const account = (email: string, connection: string) => {
  const u = sb.world.auth0Users.find((x) => x.email === email && x.connection === connection)!;
  return { email: u.email, password: u.password };
};

/** Creates and deploys an Action (not bound). */
async function install(name: string, body: string, secrets: { name: string; value: string }[] = []): Promise<string> {
  const code = `exports.onExecutePostLogin = async (event, api) => {\n${body}\n};`;
  const a = await mgmt.actions.create({
    name,
    supported_triggers: [{ id: 'post-login', version: 'v3' }],
    code,
    secrets,
  });
  await mgmt.actions.deploy(a.id!);
  return a.id!;
}
const bind = (...ids: string[]) =>
  mgmt.actions.triggers.bindings.updateMany('post-login', {
    bindings: ids.map((value) => ({ ref: { type: 'action_id' as const, value } })),
  });
const error = (cb: URL) => [
  cb.searchParams.get('error'),
  cb.searchParams.get('error_description'),
  cb.searchParams.get('state'),
];

test('no Action bound: the ID token has the profile and no custom claim, groups claim included', async () => {
  await bind();
  const { id, userinfo } = await tokens(app, await signIn(app, ALICE.email, ALICE.password));
  assert.equal(id.email, 'alice@sandbox.example');
  for (const claims of [id, userinfo]) assert.equal(claims['https://iap-auth0.dev/groups'], undefined);
});

test("the tests' groups Action: roles of database users, groups of enterprise users, in one claim", async () => {
  const id = await installGroupsAction(mgmt);
  const groupsOf = async (email: string, connection: string) => {
    const a = account(email, connection);
    return (await tokens(app, await signIn(app, a.email, a.password))).id['https://iap-auth0.dev/groups'];
  };
  assert.deepEqual(await groupsOf('alice@sandbox.example', 'Username-Password-Authentication'), ['admin', 'iap-users']);
  assert.deepEqual(await groupsOf('erin@sandbox.example', 'sandbox-entra'), ['engineering', 'iap-users']);
  assert.deepEqual(await groupsOf('alice@sandbox.example', 'sandbox-signups'), []);
  await bind();
  await mgmt.actions.delete(id);
});

test("an Action's custom claims reach the ID token and /userinfo, under Auth0's naming rules", async () => {
  const id = await install(
    'claims',
    [
      "api.idToken.setCustomClaim('https://example.com/roles', event.authorization.roles);",
      "api.idToken.setCustomClaim('https://example.com/verified', event.user.email_verified);",
      "api.idToken.setCustomClaim('favorite_color', 'blue');", // non-namespaced: allowed since 2022
      "api.idToken.setCustomClaim('groups', ['dropped']);", // restricted
      "api.idToken.setCustomClaim('https://tenant.auth0.com/x', 1);", // Auth0's own domain
      "api.idToken.setCustomClaim('sub', 'someone-else');", // restricted
    ].join('\n'),
  );
  await bind(id);
  const t = await tokens(app, await signIn(app, ALICE.email, ALICE.password));
  for (const claims of [t.id, t.userinfo]) {
    assert.deepEqual(claims['https://example.com/roles'], ['admin', 'iap-users']);
    assert.equal(claims['https://example.com/verified'], true);
    assert.equal(claims.favorite_color, 'blue');
    assert.equal(claims.groups, undefined);
    assert.equal(claims['https://tenant.auth0.com/x'], undefined);
    assert.equal(claims.sub, sb.world.testUser.user_id);
  }
  const bob = await tokens(
    app,
    await signIn(
      app,
      'bob@sandbox.example',
      account('bob@sandbox.example', 'Username-Password-Authentication').password,
    ),
  );
  assert.deepEqual(bob.id['https://example.com/roles'], [], 'Bob holds no role');
  await bind();
  await mgmt.actions.delete(id);
});

test('api.access.deny ends the sign-in at the callback with access_denied and the reason; SSO too', async () => {
  const id = await install(
    'deny-unverified',
    "if (!event.user.email_verified) api.access.deny('Verify your email first.');",
  );
  await bind(id);
  const twin = account('alice@sandbox.example', 'sandbox-signups');
  const denied = await signIn(app, twin.email, twin.password);
  assert.deepEqual(error(denied), ['access_denied', 'Verify your email first.', 'st-1']);
  assert.equal(denied.searchParams.get('code'), null);
  const jar = new Jar();
  assert.ok(
    (await signIn(app, ALICE.email, ALICE.password, jar)).searchParams.get('code'),
    'the verified Alice passes',
  );
  // The Actions run on every authorization: with Alice's session alive, a new rule applies at once.
  const all = await install('deny-all', "api.access.deny('Closed today.');");
  await bind(id, all);
  assert.deepEqual(error(await signIn(app, ALICE.email, ALICE.password, jar)), [
    'access_denied',
    'Closed today.',
    'st-1',
  ]);
  await bind();
  for (const x of [id, all]) await mgmt.actions.delete(x);
});

test('an Action that throws fails the sign-in with its message, as Auth0 does', async () => {
  const id = await install('throws', "throw new Error('Profile service unavailable');");
  await bind(id);
  assert.deepEqual(error(await signIn(app, ALICE.email, ALICE.password)), [
    'access_denied',
    'Profile service unavailable',
    'st-1',
  ]);
  await bind();
  await mgmt.actions.delete(id);
});

test('binding order is execution order; after a deny no later Action runs', async () => {
  const first = await install('first', "api.idToken.setCustomClaim('https://example.com/last', 'first');");
  const second = await install('second', "api.idToken.setCustomClaim('https://example.com/last', 'second');");
  await bind(first, second);
  assert.equal(
    (await tokens(app, await signIn(app, ALICE.email, ALICE.password))).id['https://example.com/last'],
    'second',
  );
  await bind(second, first);
  assert.equal(
    (await tokens(app, await signIn(app, ALICE.email, ALICE.password))).id['https://example.com/last'],
    'first',
  );
  const deny = await install('deny-first', "api.access.deny('No.');");
  await bind(deny, first);
  assert.deepEqual(error(await signIn(app, ALICE.email, ALICE.password)), ['access_denied', 'No.', 'st-1']);
  const last = sb.world.auth0ActionExecutions.at(-1)!;
  assert.deepEqual(
    last.results.map((r) => r.action_name),
    ['deny-first'],
    'the Action after the deny did not run',
  );
  assert.equal(last.outcome, 'denied');
  await bind();
  for (const x of [first, second, deny]) await mgmt.actions.delete(x);
});

test('an Action that is not deployed or not bound does not run; a new draft runs only once deployed', async () => {
  const unbound = await install('unbound', "api.access.deny('unbound ran');");
  const draftOnly = await mgmt.actions.create({
    name: 'draft-only',
    supported_triggers: [{ id: 'post-login', version: 'v3' }],
    code: "exports.onExecutePostLogin = async (e, api) => { api.access.deny('draft ran'); };",
  });
  const bound = await install('bound', "api.idToken.setCustomClaim('https://example.com/v', 1);");
  await bind(bound);
  await mgmt.actions.update(bound, {
    code: "exports.onExecutePostLogin = async (e, api) => { api.access.deny('v2 ran'); };",
  });
  const before = sb.world.auth0ActionExecutions.length;
  const t = await tokens(app, await signIn(app, ALICE.email, ALICE.password));
  assert.equal(t.id['https://example.com/v'], 1, 'the deployed version ran, not the new draft');
  assert.deepEqual(
    sb.world.auth0ActionExecutions.slice(before).flatMap((e) => e.results.map((r) => r.action_name)),
    ['bound'],
  );
  await mgmt.actions.deploy(bound);
  assert.deepEqual(error(await signIn(app, ALICE.email, ALICE.password)), ['access_denied', 'v2 ran', 'st-1']);
  await bind();
  for (const x of [unbound, draftOnly.id!, bound]) await mgmt.actions.delete(x);
});

test("the event: user, roles, connection, client, secrets; an enterprise user's groups", async () => {
  const id = await install(
    'event',
    "api.idToken.setCustomClaim('https://example.com/event', { user: event.user, roles: event.authorization.roles, " +
      'connection: event.connection, client: event.client, secret: event.secrets.API_KEY });',
    [{ name: 'API_KEY', value: 'k-123' }],
  );
  await bind(id);
  const erin = account('erin@sandbox.example', 'sandbox-entra');
  const e = (await tokens(app, await signIn(app, erin.email, erin.password))).id['https://example.com/event'];
  assert.equal(e.user.email, 'erin@sandbox.example');
  assert.equal(e.user.email_verified, true);
  assert.equal(e.user.name, 'Erin Example');
  assert.match(e.user.user_id, /^waad\|/);
  assert.deepEqual(e.user.groups, ['engineering', 'iap-users']);
  assert.deepEqual(e.user.app_metadata, {});
  assert.deepEqual(e.user.user_metadata, {});
  assert.deepEqual(e.roles, []);
  assert.deepEqual([e.connection.name, e.connection.strategy], ['sandbox-entra', 'waad']);
  assert.deepEqual(e.client, {
    client_id: app.clientId,
    name: 'Actions test app',
    metadata: { managed_by: 'iap-auth0' },
  });
  assert.equal(e.secret, 'k-123');
  const twin = account('alice@sandbox.example', 'sandbox-signups');
  const t = (await tokens(app, await signIn(app, twin.email, twin.password))).id['https://example.com/event'];
  assert.deepEqual(
    [t.user.email, t.user.email_verified, t.connection.name],
    ['alice@sandbox.example', false, 'sandbox-signups'],
  );
  assert.equal(t.user.groups, undefined, 'database users have no groups');
  await bind();
  await mgmt.actions.delete(id);
});

test("text in the event is only data: a user named like the runner's placeholders", async () => {
  const name = '__CODE__ __EVENT__ $' + '{x} `tick` \\ "quote" \u2028';
  await mgmt.users.create({
    connection: 'Username-Password-Authentication',
    email: 'odd@sandbox.example',
    password: 'an odd password',
    name,
  });
  const id = await install('echo', "api.idToken.setCustomClaim('https://example.com/name', event.user.name);");
  await bind(id);
  const t = await tokens(app, await signIn(app, 'odd@sandbox.example', 'an odd password'));
  assert.equal(t.id['https://example.com/name'], name);
  await bind();
  await mgmt.actions.delete(id);
});

test('the runtime is isolated: no process, no require, nothing of the host through constructors', async () => {
  const id = await install(
    'probe',
    "api.idToken.setCustomClaim('https://example.com/probe', [typeof process, typeof require, " +
      "typeof globalThis.process, (() => {}).constructor('return typeof process')(), " +
      "api.idToken.setCustomClaim.constructor('return typeof require')(), " +
      'event.constructor.constructor("return typeof process")()]);',
  );
  await bind(id);
  const probe = (await tokens(app, await signIn(app, ALICE.email, ALICE.password))).id['https://example.com/probe'];
  assert.deepEqual(probe, ['undefined', 'undefined', 'undefined', 'undefined', 'undefined', 'undefined']);
  const req = await install('require', "require('node:fs');");
  await bind(req);
  assert.deepEqual(error(await signIn(app, ALICE.email, ALICE.password)), [
    'access_denied',
    'require is not defined',
    'st-1',
  ]);
  await bind();
  for (const x of [id, req]) await mgmt.actions.delete(x);
});

test('an Action that never ends is cut off by the timeout and fails the sign-in', async () => {
  const spin = await install('spin', 'while (true) {}');
  const wait = await install('wait', 'await new Promise(() => {});');
  for (const x of [spin, wait]) {
    await bind(x);
    assert.deepEqual(error(await signIn(app, ALICE.email, ALICE.password)), [
      'access_denied',
      'The post-login Actions did not finish in time.',
      'st-1',
    ]);
  }
  await bind();
  for (const x of [spin, wait]) await mgmt.actions.delete(x);
});
