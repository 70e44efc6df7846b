// verify knows who can get in (issue 14): with --allow role: and email:, a check per value (the
// role exists and has members, the address belongs to a verified user) and one for the post-login
// Action (deployed and bound); the access policy's members are listed. The Action unbound or
// deleted by hand fails its check (exit 3, with the fix) and init repairs it; grants that can
// never match (a role with no members, an address nobody verified) are failed checks, not passes.
// The tests share one sandbox and one setup and run in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useSandbox, moveClock, requestLog, clientsFor, waitOperation } from './helpers/sandbox.js';
import { runCli } from './helpers/cli.js';
import { mgmtFor } from './helpers/auth0-mgmt.js';

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
async function verify(): Promise<{ code: number | null; checks: Record<string, Check>; access: any[] }> {
  const r = await runCli(['verify', '--json', '--wait', '30s'], sb.env, cwd);
  const doc = JSON.parse(r.stdout);
  return { code: r.code, checks: Object.fromEntries(doc.checks.map((c: Check) => [c.id, c])), access: doc.access };
}
async function init(...allow: string[]): Promise<void> {
  const r = await runCli(['init', '--yes', ...SERVICE, ...allow.flatMap((a) => ['--allow', a])], sb.env, cwd);
  assert.equal(r.code, 0, r.stderr);
  await moveClock(sb, sb.world.profile.iamPropagationMs + 20);
}
const actionId = async () =>
  JSON.parse(await readFile(path.join(cwd, '.iap-auth0', 'state.json'), 'utf8')).stages['auth0-action'].resources
    .actionId as string;

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
