// Auth0 Actions and the post-login trigger's bindings through the Management API, driven by the
// real auth0 SDK (v7): actions.create / get / list / update / delete / deploy, actions.versions,
// actions.triggers.list, actions.triggers.bindings.list / updateMany. Expected values are Auth0's
// answers as a real tenant gave them (go-auth0 recordings, terraform-provider and deploy-cli issues;
// docs/SANDBOX.md "Auth0 Actions through the Management API").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { moveClock, useSandbox } from './helpers/sandbox.js';
import { mgmtError, mgmtFor, withoutScopes } from './helpers/auth0-mgmt.js';
import { leftovers } from '../src/sandbox/leftovers.js';

const sb = await useSandbox();
const mgmt = mgmtFor(sb);
const CODE = 'exports.onExecutePostLogin = async (event, api) => {};';
const POST_LOGIN = [{ id: 'post-login' as const, version: 'v3' }];

const create = (name: string, extra: Record<string, unknown> = {}) =>
  mgmt.actions.create({ name, supported_triggers: POST_LOGIN, code: CODE, ...extra });

/** Runs `fn` with Auth0's build and deploy taking a minute of sandbox time (POST /clock skips them). */
async function withSlowBuilds(fn: () => Promise<void>): Promise<void> {
  const saved = sb.world.profile;
  sb.world.profile = { ...saved, actions: { ...saved.actions, buildMs: 60_000, deployMs: 60_000 } };
  try {
    await fn();
  } finally {
    sb.world.profile = saved;
  }
}

test('create answers the draft pending, secrets without values; get and list show it built', async () => {
  const a = await create('add-claims', { secrets: [{ name: 'API_KEY', value: 'secret-value-1' }] });
  assert.match(a.id!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(a.status, 'pending');
  assert.equal(a.runtime, 'node22');
  assert.equal(a.all_changes_deployed, false);
  assert.deepEqual(a.supported_triggers, POST_LOGIN);
  assert.deepEqual(Object.keys(a.secrets![0]).sort(), ['name', 'updated_at']);
  assert.ok(!JSON.stringify(a).includes('secret-value-1'), 'a secret value is never answered');
  const got = await mgmt.actions.get(a.id!);
  assert.equal(got.status, 'built', 'the fast profile builds at once');
  assert.equal(got.deployed_version, undefined);

  const byName = await mgmt.actions.list({ actionName: 'add-claims' });
  assert.deepEqual(
    byName.data.map((x) => x.id),
    [a.id],
  );
  assert.deepEqual((await mgmt.actions.list({ triggerId: 'credentials-exchange' })).data, []);
  assert.deepEqual((await mgmt.actions.list({ actionName: 'add-claims', deployed: true })).data, []);
  const raw = await mgmt.actions.list({ actionName: 'add-claims' }).then((p) => p.response);
  assert.equal(raw.total, 1);
  assert.equal(raw.per_page, 50);
  await mgmt.actions.delete(a.id!);
});

test('a build takes time: pending, building, built; deploy before that is refused', async () => {
  await withSlowBuilds(async () => {
    const a = await create('slow');
    assert.equal((await mgmt.actions.get(a.id!)).status, 'pending');
    const early = await mgmtError(mgmt.actions.deploy(a.id!));
    assert.equal(early.statusCode, 400);
    assert.equal(early.body.message, "A draft must be in the 'built' state before it can be deployed.");
    await moveClock(sb, 30_000);
    assert.equal((await mgmt.actions.get(a.id!)).status, 'building');
    await moveClock(sb, 30_000);
    assert.equal((await mgmt.actions.get(a.id!)).status, 'built');

    const v = await mgmt.actions.deploy(a.id!);
    assert.equal(v.number, 1);
    assert.equal(v.deployed, false, 'the new version takes effect a little later');
    assert.equal(v.action?.id, a.id);
    const bind = await mgmtError(
      mgmt.actions.triggers.bindings.updateMany('post-login', {
        bindings: [{ ref: { type: 'action_id', value: a.id! } }],
      }),
    );
    assert.equal(bind.statusCode, 400);
    assert.equal(bind.body.message, 'Trying to create a binding for an action that has not been deployed yet');
    await moveClock(sb, 60_000);
    const deployed = await mgmt.actions.get(a.id!);
    assert.equal(deployed.deployed_version?.id, v.id);
    assert.equal(deployed.deployed_version?.deployed, true);
    assert.equal(deployed.all_changes_deployed, true);
    await mgmt.actions.delete(a.id!);
  });
});

test('a draft that does not compile fails its build and cannot be deployed', async () => {
  const a = await mgmt.actions.create({ name: 'broken', supported_triggers: POST_LOGIN, code: 'exports.x = (;' });
  assert.equal((await mgmt.actions.get(a.id!)).status, 'failed');
  const e = await mgmtError(mgmt.actions.deploy(a.id!));
  assert.equal(e.body.message, "A draft must be in the 'built' state before it can be deployed.");
  await mgmt.actions.delete(a.id!);
});

test('bindings: PATCH replaces the whole list in its order, by id or name; only deployed Actions', async () => {
  const one = await create('one');
  const two = await create('two');
  const draftOnly = await create('draft-only');
  await mgmt.actions.deploy(one.id!);
  await mgmt.actions.deploy(two.id!);
  const set = await mgmt.actions.triggers.bindings.updateMany('post-login', {
    bindings: [
      { ref: { type: 'action_name', value: 'two' }, display_name: 'Second first' },
      { ref: { type: 'action_id', value: one.id! } },
    ],
  });
  assert.deepEqual(
    set.bindings?.map((b) => [b.trigger_id, b.display_name, b.action?.id, b.action?.deployed_version?.number]),
    [
      ['post-login', 'Second first', two.id, 1],
      ['post-login', 'one', one.id, 1],
    ],
  );
  const listed = await mgmt.actions.triggers.bindings.list('post-login');
  assert.deepEqual(
    listed.data.map((b) => b.action?.name),
    ['two', 'one'],
  );
  const kept = await mgmt.actions.triggers.bindings.updateMany('post-login', {
    bindings: [{ ref: { type: 'binding_id', value: listed.data[1].id! } }],
  });
  assert.deepEqual(
    kept.bindings?.map((b) => b.id),
    [listed.data[1].id],
    'a binding_id ref keeps that binding',
  );
  const undeployed = await mgmtError(
    mgmt.actions.triggers.bindings.updateMany('post-login', {
      bindings: [{ ref: { type: 'action_id', value: draftOnly.id! } }],
    }),
  );
  assert.equal(undeployed.body.message, 'Trying to create a binding for an action that has not been deployed yet');
  const shape = await mgmtError(
    mgmt.actions.triggers.bindings.updateMany('post-login', {
      bindings: [{ id_type: 'action_id', id_value: one.id } as any],
    }),
  );
  assert.equal(shape.statusCode, 400);
  assert.equal(
    shape.body.message,
    "Payload validation error: 'Data does not match any schemas from 'oneOf'' on property bindings[0].",
  );
  assert.equal(
    (await mgmt.actions.triggers.bindings.list('post-login')).data.length,
    1,
    'a refused PATCH changes nothing',
  );
  await mgmt.actions.triggers.bindings.updateMany('post-login', { bindings: [] });
  for (const a of [one, two, draftOnly]) await mgmt.actions.delete(a.id!);
});

test('deleting a bound Action is refused with 409 unless force=true, which unbinds it', async () => {
  const a = await create('bound');
  await mgmt.actions.deploy(a.id!);
  await mgmt.actions.triggers.bindings.updateMany('post-login', {
    bindings: [{ ref: { type: 'action_id', value: a.id! } }],
  });
  const refused = await mgmtError(mgmt.actions.delete(a.id!));
  assert.equal(refused.statusCode, 409);
  assert.deepEqual(refused.body, {
    statusCode: 409,
    error: 'Conflict',
    message: 'Unable to delete an action bound to a trigger.',
  });
  assert.equal((await mgmt.actions.get(a.id!)).name, 'bound', 'still there');
  await mgmt.actions.delete(a.id!, { force: true });
  assert.deepEqual((await mgmt.actions.triggers.bindings.list('post-login')).data, []);
  const gone = await mgmtError(mgmt.actions.get(a.id!));
  assert.deepEqual(gone.body, { statusCode: 404, error: 'Not Found', message: 'That action does not exist.' });
});

test('update changes the draft only: the deployed version stays until the next deploy; versions are kept', async () => {
  const a = await create('versions');
  const v1 = await mgmt.actions.deploy(a.id!);
  const updated = await mgmt.actions.update(a.id!, { code: 'exports.onExecutePostLogin = async () => { /* v2 */ };' });
  assert.equal(updated.status, 'pending');
  assert.equal(updated.all_changes_deployed, false);
  assert.equal(updated.deployed_version?.code, CODE, 'the deployed version is still the first');
  const v2 = await mgmt.actions.deploy(a.id!);
  assert.equal(v2.number, 2);
  const versions = await mgmt.actions.versions.list(a.id!);
  assert.deepEqual(
    versions.data.map((v) => [v.number, v.deployed]),
    [
      [2, true],
      [1, false],
    ],
  );
  assert.equal((await mgmt.actions.versions.get(a.id!, v1.id!)).code, CODE);
  await mgmt.actions.delete(a.id!);
});

test('bad bodies: Auth0 400 invalid_body with its wording', async () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ supported_triggers: POST_LOGIN }, "Payload validation error: 'Missing required property: name'."],
    [{ name: 'x' }, "Payload validation error: 'Missing required property: supported_triggers'."],
    [
      { name: 'x', supported_triggers: [{ id: 'post-logon' }] },
      `Payload validation error: 'No enum match for: "post-logon"' on property supported_triggers[0].id.`,
    ],
    [
      { name: 'x', supported_triggers: [...POST_LOGIN, { id: 'credentials-exchange', version: 'v2' }] },
      "Payload validation error: 'Array is too long (2), maximum 1' on property supported_triggers.",
    ],
    [
      { name: 'x', supported_triggers: POST_LOGIN, colour: 'red' },
      "Payload validation error: 'Additional properties not allowed: colour'.",
    ],
    [
      { name: 'x', supported_triggers: POST_LOGIN, code: 42 },
      "Payload validation error: 'Expected type string but found type integer' on property code.",
    ],
  ];
  for (const [b, message] of cases) {
    const e = await mgmtError(mgmt.actions.create(b as any));
    assert.equal(e.statusCode, 400, message);
    assert.deepEqual(e.body, { statusCode: 400, error: 'Bad Request', message, errorCode: 'invalid_body' });
  }
});

test('triggers: post-login v3 is current, compatible with v2, node22 by default', async () => {
  const { triggers } = await mgmt.actions.triggers.list();
  const v3 = triggers?.find((t) => t.id === 'post-login' && t.version === 'v3');
  assert.equal(v3?.status, 'CURRENT');
  assert.equal(v3?.default_runtime, 'node22');
  assert.deepEqual(v3?.compatible_triggers, [{ id: 'post-login', version: 'v2' }]);
  assert.equal(triggers?.find((t) => t.id === 'post-login' && t.version === 'v2')?.status, 'DEPRECATED');
});

test('each route wants the scope Auth0 lists for it: 403 insufficient_scope naming it', async () => {
  const a = await create('scoped');
  await mgmt.actions.deploy(a.id!);
  const bind = { bindings: [{ ref: { type: 'action_id' as const, value: a.id! } }] };
  const cases: [string, (m: ReturnType<typeof mgmtFor>) => Promise<unknown>][] = [
    ['read:actions', (m) => m.actions.list()],
    ['read:actions', (m) => m.actions.get(a.id!)],
    ['read:actions', (m) => m.actions.triggers.list()],
    ['read:actions', (m) => m.actions.triggers.bindings.list('post-login')],
    ['read:actions', (m) => m.actions.versions.list(a.id!)],
    ['create:actions', (m) => m.actions.create({ name: 'n', supported_triggers: POST_LOGIN })],
    ['create:actions', (m) => m.actions.deploy(a.id!)],
    ['update:actions', (m) => m.actions.update(a.id!, { code: CODE })],
    ['update:actions', (m) => m.actions.triggers.bindings.updateMany('post-login', bind)],
    ['delete:actions', (m) => m.actions.delete(a.id!)],
  ];
  for (const [scope, call] of cases) {
    await withoutScopes(sb, [scope], async (m) => {
      const e = await mgmtError(call(m));
      assert.equal(e.statusCode, 403, scope);
      assert.equal(e.body.message, `Insufficient scope, expected any of: ${scope}`);
      assert.equal(e.body.errorCode, 'insufficient_scope');
    });
  }
  await mgmt.actions.delete(a.id!);
});

test("leftovers name iap-auth0's Actions (marked on the code's first line) and their bindings, no other", async () => {
  const marked = await create('marked', {
    code: `// Managed by iap-auth0 (setup abcd2345): iap-auth0 init rewrites this code.\n${CODE}`,
  });
  const other = await create('someone else: audit');
  for (const a of [marked, other]) await mgmt.actions.deploy(a.id!);
  await mgmt.actions.triggers.bindings.updateMany('post-login', {
    bindings: [other, marked].map((a) => ({ ref: { type: 'action_id' as const, value: a.id! } })),
  });
  assert.deepEqual(leftovers(sb.world.snapshot()), [
    `Auth0 Action ${marked.id}`,
    `post-login binding of Auth0 Action ${marked.id}`,
  ]);
  await mgmt.actions.delete(marked.id!, { force: true });
  assert.deepEqual(leftovers(sb.world.snapshot()), []);
  await mgmt.actions.delete(other.id!, { force: true });
});
