// What init says when the cloud refuses: a missing Google permission names the permission, the
// role and the gcloud command; a missing Auth0 scope names the scope; each has a stable code in
// --json; a run that cannot claim its workforce pool creates nothing else, and a re-run once fixed
// resumes and completes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useSandbox, control, requestLog } from './helpers/sandbox.js';
import { runCli } from './helpers/cli.js';

const init = (args: string[], env: Record<string, string>, cwd: string) => runCli(['init', ...args], env, cwd);

test('init reports refusals with codes and hints, and resumes once fixed', async (t) => {
  const sb = await useSandbox();

  await t.test('missing Google permission on the organization', async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-err-'));
    const { token } = await control(sb, '/tokens', { deny: ['iam.workforcePools.create'] });
    const r = await init(['--json', '--service', 'perm'], { ...sb.env, CLOUDSDK_AUTH_ACCESS_TOKEN: token }, cwd);
    assert.equal(r.code, 1);
    const doc = JSON.parse(r.stdout);
    const pool = doc.stages.find((s: any) => s.id === 'workforce-pool');
    assert.equal(pool.ok, false);
    assert.equal(pool.code, 'GOOGLE_PERMISSION_DENIED');
    assert.match(pool.error, /missing permission iam\.workforcePools\.create on organizations\/123456789012/);
    assert.match(pool.hint, /roles\/iam\.workforcePoolAdmin/);
    assert.match(pool.hint, /gcloud organizations add-iam-policy-binding 123456789012/);
    // The pool is the setup's claim: without it nothing else is created (no half-built setup).
    for (const id of ['deploy', 'auth0-app', 'oauth-client', 'iap-settings', 'access'])
      assert.equal(doc.stages.find((s: any) => s.id === id).code, 'DEPENDENCY_FAILED', id);
    assert.deepEqual(
      (sb.world.snapshot() as any).runServices.filter((s: any) => s.name.endsWith('/perm')),
      [],
      'no service was deployed',
    );
    assert.equal(
      [...sb.world.auth0Clients.values()].filter((c) => c.name.includes('perm')).length,
      0,
      'no Auth0 app was created',
    );
    const plain = await init(['--yes'], { ...sb.env, CLOUDSDK_AUTH_ACCESS_TOKEN: token }, cwd);
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /hint: grant yourself roles\/iam\.workforcePoolAdmin/);
    // With the permission (the full token) the same state resumes and completes.
    const fixed = await init(['--yes'], sb.env, cwd);
    assert.equal(fixed.code, 0, fixed.stderr);
  });

  await t.test('missing Auth0 scope: refused before anything changes, named with the dashboard path', async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-err-'));
    sb.world.auth0M2M.scopes.delete('create:clients');
    const since = (await requestLog(sb)).at(-1)?.seq ?? 0;
    try {
      const r = await init(['--json', '--service', 'scope'], sb.env, cwd);
      assert.equal(r.code, 2, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.ok, false);
      assert.equal(doc.error.code, 'usage');
      assert.match(
        doc.error.message,
        /AUTH0_CLIENT_ID names lacks Management API scope iap-auth0 init needs: create:clients/,
      );
      assert.match(doc.error.hint, /Applications > APIs > Auth0 Management API > Machine To Machine Applications/);
      assert.ok(!r.stdout.includes(sb.env.AUTH0_CLIENT_SECRET) && !r.stderr.includes(sb.env.AUTH0_CLIENT_SECRET));
      assert.deepEqual(
        (await requestLog(sb, since)).filter((x: any) => x.mutating),
        [],
        'nothing was changed',
      );
    } finally {
      sb.world.auth0M2M.scopes.add('create:clients');
    }
    const fixed = await init(['--yes', '--service', 'scope'], sb.env, cwd);
    assert.equal(fixed.code, 0, fixed.stderr);
  });
});
