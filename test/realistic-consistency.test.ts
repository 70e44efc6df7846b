// The realistic profile, whose eventual-consistency windows are on (a new service account unusable
// for 3 s, a new OAuth client 250 ms, a new IAP agent 3 s): init waits them out and is green, then
// verify --wait and destroy are too. Domain-restricted sharing is not part of this profile (why:
// docs/SANDBOX.md "Domain-restricted sharing"); org-policy.test.ts covers it with its fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useSandbox, control } from './helpers/sandbox.js';
import { runCli } from './helpers/cli.js';
import { applyHintedFix } from './helpers/org-policy.js';
import { leftovers } from '../src/sandbox/leftovers.js';

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

// Issue 12's "all of them on": the realistic profile's timings and consistency windows, an
// organization enforcing domain-restricted sharing, a sign-in chain with a provider chooser, an
// Auth0 tenant signing users in on a custom domain, and 15 % of connections reset. init stops once
// at the organization policy with the fix; after the fix (made as the hint says), init, verify
// --wait and destroy are green, with exactly one of each resource and nothing left after.
test('every real-world behaviour at once: one stop at the org policy, then green with one of each', async (t) => {
  const sb = await useSandbox({
    profile: 'realistic',
    orgPolicies: ['iam.allowedPolicyMemberDomains'],
    signinHops: 'chooser',
    auth0CustomDomain: true,
    faults: 'all=0.15:reset',
    seed: 3,
  });
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-all-'));
  const first = await runCli(['init', '--json', '--service', 'hello'], sb.env, cwd);
  assert.equal(first.code, 1, first.stderr);
  const deploy = JSON.parse(first.stdout).stages.find((s: { id: string }) => s.id === 'deploy');
  assert.equal(deploy.code, 'ORG_POLICY_DOMAIN_RESTRICTED', first.stdout);
  // The person's fix goes through gcloud, which retries on its own: made here with the faults paused.
  await control(sb, '/faults', { spec: '' });
  await applyHintedFix(sb, deploy.hint);
  await control(sb, '/faults', { spec: 'all=0.15:reset', seed: 4 });
  const init = await runCli(['init', '--yes'], sb.env, cwd);
  assert.equal(init.code, 0, init.stderr);
  // Users sign in on the custom domain: the provider's issuer is the custom domain's.
  const provider = [...sb.world.providers.values()][0] as { oidc?: { issuerUri?: string } };
  assert.equal(provider.oidc?.issuerUri, `https://${sb.auth0CustomDomain}/`);
  const verify = await runCli(['verify', '--wait', '3m'], sb.env, cwd);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  const w = sb.world;
  assert.deepEqual(
    {
      taggedApps: [...w.auth0Clients.values()].filter((c) => c.client_metadata?.managed_by === 'iap-auth0').length,
      services: w.runServices.size,
      pools: w.pools.size,
      providers: w.providers.size,
      oauthClients: w.oauthClients.size,
      credentials: w.credentials.size,
    },
    { taggedApps: 1, services: 1, pools: 1, providers: 1, oauthClients: 1, credentials: 1 },
  );
  const destroy = await runCli(['destroy', '--force'], sb.env, cwd);
  assert.equal(destroy.code, 0, destroy.stderr);
  assert.deepEqual(leftovers(sb.world.snapshot()), []);
  const resets = sb.world.requests.filter((r) => r.fault === 'reset').length;
  assert.ok(resets > 0, 'connections were reset along the way');
  t.diagnostic(
    `${sb.world.requests.length} API requests, ${resets} connections reset; one stop at the organization ` +
      'policy, then green',
  );
});
