// Crash at every step (issue 5, part 1). A clean init and a clean destroy are recorded first; then,
// for each kill point k, a fresh sandbox runs the command, the sandbox SIGKILLs it right after its
// k-th change was answered (POST /kill-after does it at the precise moment), and the command is run
// again to completion. After init the world must equal the clean run's: exactly one service,
// tagged Auth0 app, pool, provider, OAuth client and credential, IAP settings naming them, exactly
// our members. After destroy nothing of iap-auth0's may be left.
// `npm test` samples kill points (the first and last change of every stage); `npm run
// test:reliability` (IAP_AUTH0_RELIABILITY=full) tries every one. The Action stage, which acts only
// for --allow role: or group:, has its own test below, killed after each of its changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import type { RequestRecord } from '../../src/sandbox/world.js';
import { leftovers } from '../../src/sandbox/leftovers.js';
import { startCli } from '../helpers/cli.js';
import { assertNoSecretLeaked } from '../helpers/secrets.js';

const FULL = process.env.IAP_AUTH0_RELIABILITY === 'full';
const INIT = ['init', '--yes', '--service', 'hello', '--region', 'europe-west1'];
const DESTROY = ['destroy', '--force'];

async function run(sb: Sandbox, cwd: string, args: string[], killAfter?: number) {
  const { child, done } = startCli(args, sb.env, cwd);
  if (killAfter) sb.world.killAfter = { count: killAfter, pid: child.pid!, seen: 0 };
  return done;
}

/** Which stage a change belongs to. */
function stageOf(r: RequestRecord): string {
  if (r.api === 'auth0') return r.path.includes('/actions/') ? 'auth0-action' : 'auth0-app';
  if (r.api === 'iap') return r.path.endsWith(':iapSettings') ? 'iap-settings' : 'access';
  if (r.api === 'iam')
    return r.path.includes('workforcePools')
      ? 'workforce-pool'
      : r.path.includes('oauthClients')
        ? 'oauth-client'
        : 'deploy';
  return 'deploy';
}
const changesOf = (sb: Sandbox, since = 0) =>
  sb.world.requests.filter((r) => r.seq > since && r.mutating && r.status < 400);

/** Kill points: all of them, or the first and last change of each stage. */
function killPoints(changes: RequestRecord[]): Map<number, string> {
  const points = new Map<number, string>();
  if (FULL) {
    for (const [i, r] of changes.entries()) {
      points.set(i + 1, `${stageOf(r)}: ${r.method} ${r.path.replace(/^\/v\d+\//, '')}`);
    }
    return points;
  }
  for (const stage of [
    'deploy',
    'auth0-app',
    'auth0-action',
    'workforce-pool',
    'oauth-client',
    'iap-settings',
    'access',
  ]) {
    const idx = changes.map((r, i) => (stageOf(r) === stage ? i + 1 : 0)).filter(Boolean);
    if (!idx.length) continue;
    points.set(idx[0], `${stage}, first change`);
    points.set(idx[idx.length - 1], `${stage}, last change`);
  }
  return points;
}

/** The world as far as init is concerned; equal for every correct run. */
function summary(sb: Sandbox) {
  const w = sb.world;
  const res = 'projects/415104041262/iap_web/cloud_run-europe-west1/services/hello';
  const settings = w.iapSettings.get(res)?.settings as any;
  const client = [...w.oauthClients.values()][0];
  const members = (key: string, role: string) =>
    (w.policies.get(key).bindings ?? [])
      .filter((b) => b.role === role)
      .flatMap((b) => b.members)
      .sort();
  return {
    services: [...w.runServices.values()].map((s) => `${s.serviceId} iap=${(s.resource as any).iapEnabled}`),
    taggedApps: [...w.auth0Clients.values()].filter((c) => c.client_metadata?.managed_by === 'iap-auth0').length,
    pools: [...w.pools.values()].map((p) => `${p.poolId} ${p.state}`),
    providers: [...w.providers.values()].map(
      (p) => `${p.providerId} ${p.state} issuer-is-discovery=${p.oidc.issuerUri === `https://${sb.env.AUTH0_DOMAIN}/`}`,
    ),
    oauthClients: [...w.oauthClients.values()].map(
      (c) =>
        `${c.oauthClientId} ${c.state} ` +
        `${c.allowedRedirectUris.length === 1 && c.allowedRedirectUris[0].includes(c.clientId)}`,
    ),
    credentials: [...w.credentials.values()].map((k) => `${k.credentialId} disabled=${k.disabled}`),
    settingsPointAtOurs:
      settings?.accessSettings?.workforceIdentitySettings?.oauth2?.clientId === client?.clientId &&
      w.iapSettings.get(res)?.oauth2SecretPlain === [...w.credentials.values()][0]?.clientSecret,
    access: members(`iap:${res}`, 'roles/iap.httpsResourceAccessor'),
    invokers: members('run:projects/415104041262/locations/europe-west1/services/hello', 'roles/run.invoker'),
    serviceAccounts: [...w.serviceAccounts.keys()],
    ...actionSummary(sb),
  };
}

/** iap-auth0's post-login Actions (marked on their code's first line): built, deployed as written, bound once. */
function actionSummary(sb: Sandbox) {
  const store = sb.world.auth0Actions;
  const ours = [...store.actions.values()].filter((a) => a.code.startsWith('// Managed by iap-auth0 (setup '));
  return {
    actions: ours.map((a) => `${store.status(a)} deployed-as-written=${a.versions.at(-1)?.draft.code === a.code}`),
    boundTimes: ours.map((a) => store.bindingsOf('post-login').filter((b) => b.action_id === a.id).length),
  };
}

/** A fresh sandbox: `init` killed after its k-th change, then run again; the world must equal the clean run's. */
async function initKilledAt(init: string[], k: number, reference: ReturnType<typeof summary>) {
  const sb = await startSandbox({ caDir: process.env.IAP_AUTH0_TEST_CA_DIR });
  try {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-crash-'));
    const killed = await run(sb, dir, init, k);
    assert.equal(killed.signal, 'SIGKILL', `the run was killed (exit ${killed.code}: ${killed.stderr.slice(-300)})`);
    const resumed = await run(sb, dir, init);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(summary(sb), reference);
    await assertNoSecretLeaked(sb, [killed.stdout, killed.stderr, resumed.stdout, resumed.stderr], [dir]);
  } finally {
    await sb.stop();
  }
}

/** A fresh sandbox set up by `init`: `destroy` killed after its k-th change, then run again: nothing left. */
async function destroyKilledAt(init: string[], k: number) {
  const sb = await startSandbox({ caDir: process.env.IAP_AUTH0_TEST_CA_DIR });
  try {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-crash-'));
    const set = await run(sb, dir, init);
    assert.equal(set.code, 0, set.stderr);
    const killed = await run(sb, dir, DESTROY, k);
    assert.equal(
      killed.signal,
      'SIGKILL',
      `the destroy was killed (exit ${killed.code}: ${killed.stderr.slice(-300)})`,
    );
    const resumed = await run(sb, dir, DESTROY);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(leftovers(sb.world.snapshot()), []);
    const again = await run(sb, dir, DESTROY);
    assert.match(again.stderr, /Nothing to destroy/);
    await assertNoSecretLeaked(sb, [set.stderr, killed.stderr, resumed.stderr, again.stderr], [dir]);
  } finally {
    await sb.stop();
  }
}

test('crash at every step: init and destroy killed after a change, then run again', async (t) => {
  // Clean runs: the reference world and the sequences of changes.
  const clean = await startSandbox({ caDir: process.env.IAP_AUTH0_TEST_CA_DIR });
  const cleanDir = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-crash-'));
  const r0 = await run(clean, cleanDir, INIT);
  assert.equal(r0.code, 0, r0.stderr);
  const reference = summary(clean);
  const initChanges = changesOf(clean);
  const mark = clean.world.requests.at(-1)!.seq;
  const d0 = await run(clean, cleanDir, DESTROY);
  assert.equal(d0.code, 0, d0.stderr);
  const destroyChanges = changesOf(clean, mark);
  assert.deepEqual(leftovers(clean.world.snapshot()), []);
  await clean.stop();
  assert.equal(reference.taggedApps, 1);
  assert.equal(reference.settingsPointAtOurs, true);

  const initPoints = killPoints(initChanges);
  const destroyPoints = FULL
    ? killPoints(destroyChanges)
    : new Map(
        [1, Math.ceil(destroyChanges.length / 2), destroyChanges.length].map((k) => [
          k,
          `${stageOf(destroyChanges[k - 1])} (change ${k} of ${destroyChanges.length})`,
        ]),
      );
  t.diagnostic(
    `clean init: ${initChanges.length} changes, clean destroy: ${destroyChanges.length} changes; kill points ` +
      `tried: init ${initPoints.size}, destroy ${destroyPoints.size} (${FULL ? 'all' : 'sampled'})`,
  );

  for (const [k, label] of [...initPoints].sort((a, b) => a[0] - b[0]))
    await t.test(`init killed after change ${k} (${label})`, () => initKilledAt(INIT, k, reference));

  for (const [k, label] of [...destroyPoints].sort((a, b) => a[0] - b[0]))
    await t.test(`destroy killed after change ${k} (${label})`, () => destroyKilledAt(INIT, k));
});

// The Action stage makes changes only with --allow role: or group:, so the matrix above never kills
// it: here every one of its changes (create, deploy, bind; unbind, delete) is a kill point.
test('crash at every change of the Action stage (--allow role:admin): init and destroy run again', async (t) => {
  const initRole = [...INIT, '--allow', 'role:admin'];
  const clean = await startSandbox({ caDir: process.env.IAP_AUTH0_TEST_CA_DIR });
  const cleanDir = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-crash-'));
  const r0 = await run(clean, cleanDir, initRole);
  assert.equal(r0.code, 0, r0.stderr);
  const reference = summary(clean);
  const pointsOf = (changes: RequestRecord[]) =>
    changes.flatMap((r, i) =>
      stageOf(r) === 'auth0-action' ? [[i + 1, `${r.method} ${r.path.replace(/[0-9a-f-]{36}/, '{id}')}`] as const] : [],
    );
  const initPoints = pointsOf(changesOf(clean));
  const mark = clean.world.requests.at(-1)!.seq;
  const d0 = await run(clean, cleanDir, DESTROY);
  assert.equal(d0.code, 0, d0.stderr);
  const destroyPoints = pointsOf(changesOf(clean, mark));
  await clean.stop();
  assert.deepEqual(reference.actions, ['built deployed-as-written=true']);
  assert.deepEqual(reference.boundTimes, [1]);
  assert.ok(initPoints.length >= 3 && destroyPoints.length >= 2, `${initPoints.length}, ${destroyPoints.length}`);

  for (const [k, label] of initPoints)
    await t.test(`init killed after change ${k} (${label})`, () => initKilledAt(initRole, k, reference));
  for (const [k, label] of destroyPoints)
    await t.test(`destroy killed after change ${k} (${label})`, () => destroyKilledAt(initRole, k));
});
