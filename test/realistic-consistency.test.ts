// The realistic profile, whose eventual-consistency windows are on (a new service account unusable
// for 3 s, a new OAuth client 250 ms, a new IAP agent 3 s): init waits them out and is green, then
// verify --wait and destroy are too. Domain-restricted sharing is not part of this profile (why:
// docs/SANDBOX.md "Domain-restricted sharing"); org-policy.test.ts covers it with its fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useSandbox } from './helpers/sandbox.js';
import { runCli } from './helpers/cli.js';

test('realistic profile: init, verify --wait and destroy are green with the consistency windows on', async () => {
  const sb = await useSandbox({ profile: 'realistic' });
  assert.equal(sb.world.profile.consistencyMs.serviceAccount, 3000);
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-real-'));
  const init = await runCli(['init', '--yes', '--service', 'real'], sb.env, cwd);
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stderr, /waiting for the new service account to be usable/);
  const verify = await runCli(['verify', '--wait', '2m'], sb.env, cwd);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  const destroy = await runCli(['destroy', '--force'], sb.env, cwd);
  assert.equal(destroy.code, 0, destroy.stderr);
  assert.equal(sb.world.runServices.size, 0);
});
