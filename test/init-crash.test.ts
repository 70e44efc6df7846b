// init killed (SIGKILL) right after the first and the last mutating request of every stage, then
// run again: it must finish, and the world must equal a clean run's: exactly one Cloud Run
// service, tagged Auth0 app, pool, provider, OAuth client and credential, IAP settings naming them,
// and exactly our members in the policies. The sandbox does the killing (POST /kill-after), so the
// kill lands precisely after the change was made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import type { RequestRecord } from '../src/sandbox/world.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/iap-auth0.js');
const ARGS = ['init', '--yes', '--service', 'hello', '--region', 'europe-west1'];

function run(sb: Sandbox, cwd: string, killAfter?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(process.execPath, ['--', bin, ...ARGS], { cwd, env: { ...sb.env, PATH: process.env.PATH!, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS! }, stdio: ['ignore', 'ignore', 'pipe'] });
  if (killAfter) sb.world.killAfter = { count: killAfter, pid: child.pid!, seen: 0 };
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((r) => child.on('exit', (code, signal) => r({ code, signal, stderr })));
}

/** Which stage a mutating request belongs to. */
function stageOf(r: RequestRecord): string {
  if (r.api === 'auth0') return 'auth0-app';
  if (r.api === 'iap') return r.path.endsWith(':iapSettings') ? 'iap-settings' : 'access';
  if (r.api === 'iam') return r.path.includes('workforcePools') ? 'workforce-pool' : r.path.includes('oauthClients') ? 'oauth-client' : 'deploy';
  return 'deploy';
}

/** The world as far as init is concerned; equal for every correct run. */
function summary(sb: Sandbox) {
  const w = sb.world;
  const res = 'projects/415104041262/iap_web/cloud_run-europe-west1/services/hello';
  const settings = w.iapSettings.get(res)?.settings as any;
  const client = [...w.oauthClients.values()][0];
  const members = (key: string, role: string) => (w.policies.get(key).bindings ?? []).filter((b) => b.role === role).flatMap((b) => b.members).sort();
  return {
    services: [...w.runServices.values()].map((s) => `${s.serviceId} iap=${(s.resource as any).iapEnabled}`),
    taggedApps: [...w.auth0Clients.values()].filter((c) => c.client_metadata?.managed_by === 'iap-auth0').length,
    pools: [...w.pools.values()].map((p) => `${p.poolId} ${p.state}`),
    providers: [...w.providers.values()].map((p) => `${p.providerId} ${p.state} issuer-is-discovery=${p.oidc.issuerUri === `https://${sb.env.AUTH0_DOMAIN}/`}`),
    oauthClients: [...w.oauthClients.values()].map((c) => `${c.oauthClientId} ${c.state} ${c.allowedRedirectUris.length === 1 && c.allowedRedirectUris[0].includes(c.clientId)}`),
    credentials: [...w.credentials.values()].map((k) => `${k.credentialId} disabled=${k.disabled}`),
    settingsPointAtOurs: settings?.accessSettings?.workforceIdentitySettings?.oauth2?.clientId === client?.clientId
      && w.iapSettings.get(res)?.oauth2SecretPlain === [...w.credentials.values()][0]?.clientSecret,
    access: members(`iap:${res}`, 'roles/iap.httpsResourceAccessor'),
    invokers: members('run:projects/415104041262/locations/europe-west1/services/hello', 'roles/run.invoker'),
    serviceAccounts: [...w.serviceAccounts.keys()],
  };
}

test('init survives being killed after any stage\'s first and last change', { timeout: 300_000 }, async (t) => {
  // A clean run: the reference world and the sequence of changes.
  const clean = await startSandbox({ caDir: process.env.IAP_AUTH0_TEST_CA_DIR });
  const cleanDir = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-crash-'));
  const r0 = await run(clean, cleanDir);
  assert.equal(r0.code, 0, r0.stderr);
  const reference = summary(clean);
  const changes = clean.world.requests.filter((r) => r.mutating && r.status < 400);
  await clean.stop();
  assert.equal(reference.taggedApps, 1);
  assert.equal(reference.settingsPointAtOurs, true);

  const points = new Map<number, string>();
  for (const stage of ['deploy', 'auth0-app', 'workforce-pool', 'oauth-client', 'iap-settings', 'access']) {
    const idx = changes.map((r, i) => (stageOf(r) === stage ? i + 1 : 0)).filter(Boolean);
    assert.ok(idx.length > 0, `the clean run changed something in ${stage}`);
    points.set(idx[0], `${stage}, first change`);
    points.set(idx[idx.length - 1], `${stage}, last change`);
  }
  t.diagnostic(`${changes.length} mutating requests in a clean init; ${points.size} kill points tried`);

  for (const [k, label] of [...points].sort((a, b) => a[0] - b[0])) {
    await t.test(`killed after change ${k} (${label})`, async () => {
      const sb = await startSandbox({ caDir: process.env.IAP_AUTH0_TEST_CA_DIR });
      try {
        const dir = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-crash-'));
        const killed = await run(sb, dir, k);
        assert.equal(killed.signal, 'SIGKILL', `the run was killed (exit ${killed.code}: ${killed.stderr.slice(-300)})`);
        const resumed = await run(sb, dir);
        assert.equal(resumed.code, 0, resumed.stderr);
        assert.deepEqual(summary(sb), reference);
      } finally {
        await sb.stop();
      }
    });
  }
});
