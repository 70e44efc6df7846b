// The test runner's two modes: `npm test` (offline, test/live/ left out) and `npm run test:live`
// (only test/live/), which skips, naming every variable to set, when they are not set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const runner = path.join(path.dirname(fileURLToPath(import.meta.url)), 'run.js');

test('npm run test:live without its variables: skipped, naming them, exit 0', async () => {
  const home = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-nohome-'));
  // Nothing of the caller's environment: no Auth0 or Google credentials, no gcloud folder.
  const r = spawnSync(process.execPath, [runner, '--live'], {
    env: { PATH: process.env.PATH!, HOME: home },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    new RegExp(
      /# SKIP live test skipped: set IAP_AUTH0_LIVE_PROJECT, IAP_AUTH0_LIVE_REGION, AUTH0_DOMAIN, /.source +
        /AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET, IAP_AUTH0_LIVE_USER_EMAIL, IAP_AUTH0_LIVE_USER_PASSWORD, /.source +
        /Google credentials/.source,
    ),
  );
  assert.match(r.stdout, /# skipped 1/);
  assert.match(r.stdout, /# pass 0/);
});

test('npm test never runs test/live/', () => {
  const r = spawnSync(process.execPath, [runner, 'live/live.test'], {
    env: { PATH: process.env.PATH! },
    encoding: 'utf8',
  });
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    /no test file matches live\/live\.test \(test\/live\/ runs only with --live: npm run test:live\)/,
  );
});
