// verify knows who can get in (issue 14): with --allow role: and email:, a check per value (the
// role exists and has members, the address belongs to a verified user) and one for the post-login
// Action (deployed and bound); the access policy's members are listed. The Action unbound or
// deleted by hand fails its check (exit 3, with the fix) and init repairs it; grants that can
// never match (a role with no members, an address nobody verified, a group no enabled connection
// can send) are failed checks, not passes. The Action's code changed by hand is re-deployed by
// init; its marker removed, verify names the fix init's refusal names. Conditional members are
// listed, marked; a policy verify cannot read is said.
// The tests share one sandbox and one setup and run in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useSandbox, moveClock, requestLog, clientsFor, waitOperation, control } from './helpers/sandbox.js';
import { runCli } from './helpers/cli.js';
import { mgmtFor } from './helpers/auth0-mgmt.js';
import { actionCode } from '../src/core/stages/auth0-action/code.js';
import { NOT_OURS_HINT } from '../src/core/stages/auth0-action/decide.js';

const sb = await useSandbox();
const mgmt = mgmtFor(sb);
const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-allow-verify-'));
const SERVICE = ['--service', 'hello', '--region', 'europe-west1'];

interface Check {
  id: string;
  status: string;
  detail: string;
  hint?: string;
}
async function verify(
  env = sb.env,
): Promise<{ code: number | null; checks: Record<string, Check>; access: any[]; accessError?: string }> {
  const r = await runCli(['verify', '--json', '--wait', '30s'], env, cwd);
  const doc = JSON.parse(r.stdout);
  return {
    code: r.code,
    checks: Object.fromEntries(doc.checks.map((c: Check) => [c.id, c])),
    access: doc.access,
    accessError: doc.accessError,
  };
}
async function init(...allow: string[]): Promise<void> {
  const r = await runCli(['init', '--yes', ...SERVICE, ...allow.flatMap((a) => ['--allow', a])], sb.env, cwd);
  assert.equal(r.code, 0, r.stderr);
  await moveClock(sb, sb.world.profile.iamPropagationMs + 20);
}
const recordedState = async () => JSON.parse(await readFile(path.join(cwd, '.iap-auth0', 'state.json'), 'utf8'));
const actionId = async () => (await recordedState()).stages['auth0-action'].resources.actionId as string;
/** The code iap-auth0 writes for this setup's Action. */
const ourCode = async () => {
  const st = await recordedState();
  return actionCode(st.setupId, st.stages['auth0-app'].resources.clientId);
};
/** Changes the Action's code by hand and deploys it, as someone in the Auth0 dashboard would. */
async function editAndDeploy(id: string, code: string): Promise<void> {
  await mgmt.actions.update(id, { code });
  await moveClock(sb, sb.world.profile.actions.buildMs + 10);
  assert.equal((await mgmt.actions.get(id)).status, 'built');
  await mgmt.actions.deploy(id);
  await moveClock(sb, sb.world.profile.actions.deployMs + 10);
  assert.equal((await mgmt.actions.get(id)).deployed_version?.code, code);
}

test('role:admin and a verified email: every check passes, one per value, and the members are listed', async () => {
  await init('role:admin', 'email:alice@sandbox.example');
  const v = await verify();
  assert.equal(v.code, 0, JSON.stringify(Object.values(v.checks).filter((c) => c.status !== 'ok')));
  assert.match(v.checks['allow-role:admin'].detail, /^role admin \(rol_\w+\) has members$/);
  assert.match(v.checks['allow-email:alice@sandbox.example'].detail, /^alice@sandbox\.example belongs to auth0\|/);
  assert.match(v.checks['auth0-action'].detail, /deployed and bound to post-login/);
  assert.deepEqual(
    v.access
      .filter((a) => a.ours)
      .map((a) => a.member.replace(/^.*workforcePools\/[^/]+\//, ''))
      .sort(),
    ['attribute.email/alice@sandbox.example', 'group/admin'],
  );
});

test('a M2M app without read:roles or read:users: those checks fail naming the scope, never pass', async () => {
  const scopes = sb.world.auth0M2M.scopes;
  const removed = ['read:roles', 'read:users'];
  for (const s of removed) scopes.delete(s);
  try {
    const v = await verify();
    assert.equal(v.code, 3, 'a check that cannot run is a failed check');
    const role = v.checks['allow-role:admin'];
    const email = v.checks['allow-email:alice@sandbox.example'];
    assert.equal(role.status, 'failed');
    assert.match(role.detail, /lacks a Management API scope: read:roles/);
    assert.equal(email.status, 'failed');
    assert.match(email.detail, /lacks a Management API scope: read:users/);
    assert.match(email.hint ?? '', /Auth0 Management API > your M2M app/);
  } finally {
    for (const s of removed) scopes.add(s);
  }
  assert.equal((await verify()).code, 0, 'with the scopes back, every check passes again');
});

test('the Action unbound by hand: verify fails that check with the fix; init binds it again', async () => {
  const ours = await actionId();
  const bound = (await mgmt.actions.triggers.bindings.list('post-login')).data;
  assert.ok(bound.some((b) => b.action?.id === ours));
  await mgmt.actions.triggers.bindings.updateMany('post-login', {
    bindings: bound
      .filter((b) => b.action?.id !== ours)
      .map((b) => ({ ref: { type: 'binding_id' as const, value: b.id! } })),
  });
  const broken = await verify();
  assert.equal(broken.code, 3);
  assert.equal(broken.checks['auth0-action'].status, 'failed');
  assert.match(broken.checks['auth0-action'].detail, /is not bound to the post-login trigger: it never runs/);
  assert.match(broken.checks['auth0-action'].hint ?? '', /run iap-auth0 init/);
  await init();
  assert.equal((await verify()).code, 0);
});

test('the Action deleted by hand: verify fails that check; init creates, deploys and binds it again', async () => {
  const gone = await actionId();
  await mgmt.actions.delete(gone, { force: true });
  const broken = await verify();
  assert.equal(broken.code, 3);
  assert.match(broken.checks['auth0-action'].detail, new RegExp(`the Auth0 Action ${gone} no longer exists`));
  await init();
  assert.notEqual(await actionId(), gone);
  assert.equal((await verify()).code, 0);
});

test('the Action code changed and deployed by hand: verify fails that check; init deploys its own again', async () => {
  const id = await actionId();
  const mine = await ourCode();
  const edited = mine.replace('return;', "{ api.access.deny('edited'); return; }");
  assert.notEqual(edited, mine);
  await editAndDeploy(id, edited);
  const broken = await verify();
  assert.equal(broken.code, 3);
  assert.match(
    broken.checks['auth0-action'].detail,
    new RegExp(`the deployed version of the Auth0 Action ${id} is not`),
  );
  assert.match(broken.checks['auth0-action'].hint ?? '', /run iap-auth0 init/);
  await init();
  assert.equal(await actionId(), id, 'the same Action, re-deployed');
  const a = await mgmt.actions.get(id);
  assert.equal(a.code, mine);
  assert.equal(a.deployed_version?.code, mine);
  assert.equal((await verify()).code, 0);
});

test("the Action's marker removed by hand: verify's fix is the one init's refusal names", async () => {
  const id = await actionId();
  await editAndDeploy(id, (await ourCode()).split('\n').slice(1).join('\n'));
  const broken = await verify();
  assert.equal(broken.code, 3);
  assert.match(broken.checks['auth0-action'].detail, /no longer carries this setup's marker/);
  assert.equal(broken.checks['auth0-action'].hint, NOT_OURS_HINT);
  const refused = await runCli(['init', '--yes', ...SERVICE], sb.env, cwd);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /ACTION_NOT_OURS|does not carry this setup's iap-auth0 marker/);
  assert.ok(refused.stderr.replace(/\s+/g, ' ').includes(NOT_OURS_HINT), refused.stderr);
  await mgmt.actions.delete(id, { force: true }); // what the hint says
  await init();
  assert.equal((await verify()).code, 0);
});

test('verify lists conditional members, marked; a policy it cannot read is said, not dropped', async () => {
  const st = await recordedState();
  const resource = st.stages.access.resources.iapResource as string;
  const iap = clientsFor(sb).iap;
  const policy = (await iap.getIamPolicy({ resource, requestBody: { options: { requestedPolicyVersion: 3 } } })).data;
  const condition = { title: 'until 2030', expression: 'request.time < timestamp("2030-01-01T00:00:00Z")' };
  const binding = { role: 'roles/iap.httpsResourceAccessor', members: ['user:temp@sandbox.example'], condition };
  await iap.setIamPolicy({
    resource,
    requestBody: { policy: { ...policy, version: 3, bindings: [...(policy.bindings ?? []), binding] } },
  });
  const v = await verify();
  assert.equal(v.code, 0);
  const entry = v.access.find((a) => a.member === 'user:temp@sandbox.example');
  assert.deepEqual(entry, {
    member: 'user:temp@sandbox.example',
    on: resource,
    ours: false,
    condition: 'until 2030 (request.time < timestamp("2030-01-01T00:00:00Z"))',
  });
  const text = await runCli(['verify'], sb.env, cwd);
  assert.match(
    (text.stdout + text.stderr).replace(/\s+/g, ' '),
    /user:temp@sandbox\.example on .*conditional: only while until 2030/,
  );
  const now = (await iap.getIamPolicy({ resource, requestBody: { options: { requestedPolicyVersion: 3 } } })).data;
  const rest = now.bindings!.filter((b) => !b.condition);
  await iap.setIamPolicy({ resource, requestBody: { policy: { ...now, version: 1, bindings: rest } } });

  const { token } = await control(sb, '/tokens', {
    principal: 'user:dev@sandbox.example',
    deny: ['resourcemanager.projects.getIamPolicy'],
  });
  const denied = await verify({ ...sb.env, CLOUDSDK_AUTH_ACCESS_TOKEN: token });
  assert.equal(denied.access, undefined);
  assert.match(denied.accessError ?? '', /^could not read who may sign in: .*resourcemanager\.projects\.getIamPolicy/);
  const shown = await runCli(['verify'], { ...sb.env, CLOUDSDK_AUTH_ACCESS_TOKEN: token }, cwd);
  assert.match((shown.stdout + shown.stderr).replace(/\s+/g, ' '), /could not read who may sign in: /);
});

test('group: passes only with the Action in place and a connection sending groups, else fails', async () => {
  await init('group:engineering');
  const v = await verify();
  assert.equal(v.code, 0, JSON.stringify(Object.values(v.checks).filter((c) => c.status !== 'ok')));
  assert.match(v.checks['allow-group:engineering'].detail, /^engineering: sent at sign-in by sandbox-entra \(waad\)/);

  const clientId = (await recordedState()).stages['auth0-app'].resources.clientId as string;
  const entra = sb.world.auth0Connections.find((c) => c.name === 'sandbox-entra')!;
  // As unticking it under the app's Connections tab does (the M2M app has no update:connections).
  entra.enabled_clients = entra.enabled_clients.filter((c) => c !== clientId);
  try {
    const off = await verify();
    assert.equal(off.code, 3);
    const g = off.checks['allow-group:engineering'];
    assert.equal(g.status, 'failed');
    assert.match(g.detail, /^no connection enabled for the app can send groups \(enabled: .*\): this grant admits/);
    assert.match(g.hint ?? '', /groups come only from enterprise connections.*use --allow role: instead/);
  } finally {
    entra.enabled_clients.push(clientId);
  }

  const scopes = sb.world.auth0M2M.scopes;
  scopes.delete('read:connections');
  try {
    const blind = await verify();
    assert.equal(blind.code, 3);
    const g = blind.checks['allow-group:engineering'];
    assert.equal(g.status, 'failed', 'not checkable is never a pass');
    assert.match(g.detail, /^cannot check that a connection .* lacks read:connections$/);
    assert.match(g.hint ?? '', /^add read:connections: Auth0 dashboard/);
  } finally {
    scopes.add('read:connections');
  }

  const id = await actionId();
  const bound = (await mgmt.actions.triggers.bindings.list('post-login')).data;
  await mgmt.actions.triggers.bindings.updateMany('post-login', {
    bindings: bound
      .filter((b) => b.action?.id !== id)
      .map((b) => ({ ref: { type: 'binding_id' as const, value: b.id! } })),
  });
  const unbound = await verify();
  assert.equal(unbound.checks['allow-group:engineering'].status, 'failed');
  assert.match(unbound.checks['allow-group:engineering'].detail, /^groups reach Google only through the post-login/);
  await init();
  assert.equal((await verify()).code, 0);
});

test('grants that can never match fail: a role nobody holds, an address nobody verified', async () => {
  await init('role:viewer', 'email:carol@sandbox.example');
  const v = await verify();
  assert.equal(v.code, 3);
  assert.equal(v.checks['allow-role:viewer'].status, 'failed');
  assert.match(v.checks['allow-role:viewer'].detail, /the Auth0 role "viewer" has no members: this grant admits/);
  assert.match(v.checks['allow-email:carol@sandbox.example'].detail, /1 Auth0 account, none verified/);
  assert.match(v.checks['allow-email:carol@sandbox.example'].hint ?? '', /verify their address/);
  assert.equal(v.checks['auth0-action'].status, 'ok');
});

test('a M2M app without the Action scopes: init --allow group: stops before any change, naming them', async () => {
  const scopes = sb.world.auth0M2M.scopes;
  const removed = ['create:actions', 'delete:actions'];
  for (const s of removed) scopes.delete(s);
  try {
    const since = (await requestLog(sb)).at(-1)?.seq ?? 0;
    const r = await runCli(['init', '--yes', ...SERVICE, '--allow', 'group:engineering'], sb.env, cwd);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /lacks Management API scopes iap-auth0 init needs: create:actions, delete:actions .*nothing was changed/,
    );
    assert.deepEqual(
      (await requestLog(sb, since)).filter((x) => x.mutating),
      [],
    );
  } finally {
    for (const s of removed) scopes.add(s);
  }
});

test('--require replaces the derived condition, is kept on re-runs; "" goes back to the derived one', async () => {
  const provider = async () => {
    const st = JSON.parse(await readFile(path.join(cwd, '.iap-auth0', 'state.json'), 'utf8'));
    return sb.world.providers.get(`${st.inputs.pool}/${st.inputs.provider}`)!;
  };
  await init('email:alice@sandbox.example');
  assert.equal(
    (await provider()).attributeCondition,
    '(has(attribute.email) && attribute.email in ["alice@sandbox.example"])',
  );
  const r = await runCli(['init', '--yes', '--require', 'assertion.email_verified == true'], sb.env, cwd);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await provider()).attributeCondition, 'assertion.email_verified == true');
  const again = await runCli(['init', '--yes', '--dry-run', '--json'], sb.env, cwd);
  assert.deepEqual(
    JSON.parse(again.stdout).plan.filter((c: any) => c.action !== 'none'),
    [],
    'the recorded --require is kept',
  );
  const cleared = await runCli(['init', '--yes', '--require', ''], sb.env, cwd);
  assert.equal(cleared.code, 0, cleared.stderr);
  const recorded = JSON.parse(await readFile(path.join(cwd, '.iap-auth0', 'state.json'), 'utf8')).inputs;
  assert.equal(recorded.require, undefined, 'the state file no longer records it');
  assert.equal(
    (await provider()).attributeCondition ?? '',
    '(has(attribute.email) && attribute.email in ["alice@sandbox.example"])',
  );
});

test('the email mapping or the condition changed by hand: verify fails the provider check; init repairs', async () => {
  const st = JSON.parse(await readFile(path.join(cwd, '.iap-auth0', 'state.json'), 'utf8'));
  const name = st.stages['workforce-pool'].resources.provider;
  const providers = clientsFor(sb).iam.locations.workforcePools.providers;
  const edit = async (updateMask: string, requestBody: object) => {
    const op = (await providers.patch({ name, updateMask, requestBody })).data;
    await waitOperation(() => clientsFor(sb).iam.locations.workforcePools.operations.get({ name: op.name! }));
  };
  const mapping = (await providers.get({ name })).data.attributeMapping!;
  const { 'attribute.email': _email, ...rest } = mapping;
  await edit('attributeMapping', { attributeMapping: rest });
  let v = await verify();
  assert.equal(v.code, 3);
  assert.match(v.checks['workforce-provider'].detail, /^attribute\.email is not mapped as --allow needs/);
  await init();
  assert.equal((await verify()).code, 0);

  await edit('attributeCondition', { attributeCondition: '' });
  v = await verify();
  assert.equal(v.code, 3);
  assert.match(v.checks['workforce-provider'].detail, /the attribute condition iap-auth0 wrote was removed/);
  await init();
  assert.equal((await verify()).code, 0);
  assert.equal(
    (await providers.get({ name })).data.attributeCondition,
    '(has(attribute.email) && attribute.email in ["alice@sandbox.example"])',
  );
});
