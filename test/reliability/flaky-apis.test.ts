// Flaky APIs (issue 5, part 2). With 30 % of every API's answers replaced by 429 (Google's with
// Retry-After, Auth0's with x-ratelimit-reset) or 503, or 30 % of connections reset (issue 12),
// init, verify and destroy still succeed. With
// answers *lost* after the change was made (the response never arrives), nothing is created twice:
// the Auth0 app is looked up by its tag before any re-create, Google creates are resolved by id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useSandbox } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';
import { assertNoSecretLeaked } from '../helpers/secrets.js';
import { leftovers } from '../../src/sandbox/leftovers.js';
import type { Sandbox } from '../../src/sandbox/index.js';

/** Exactly one of each thing init makes. */
function counts(sb: Sandbox) {
  const w = sb.world;
  return {
    taggedApps: [...w.auth0Clients.values()].filter((c) => c.client_metadata?.managed_by === 'iap-auth0').length,
    services: w.runServices.size,
    pools: w.pools.size,
    providers: w.providers.size,
    oauthClients: w.oauthClients.size,
    credentials: w.credentials.size,
    accessMembers: (
      w.policies.get('iap:projects/415104041262/iap_web/cloud_run-us-central1/services/hello').bindings ?? []
    ).flatMap((b) => b.members).length,
  };
}
const ONE = { taggedApps: 1, services: 1, pools: 1, providers: 1, oauthClients: 1, credentials: 1, accessMembers: 1 };

// npm test: one seed per kind; test:reliability: six seeds each (other fault sequences).
const SEEDS = process.env.IAP_AUTH0_RELIABILITY === 'full' ? [1, 2, 3, 4, 5, 6] : [0];
const KINDS = [
  ['30 % 429/503 on every API', 'all=0.3', 11],
  ['25 % of changes made but their answers lost', 'all=0.25:lost', 5],
  ['30 % of connections reset (a change half the time made first)', 'all=0.3:reset', 23],
] as const;
for (const [name, faults, seed] of KINDS.flatMap(([n, f, s]) => SEEDS.map((k) => [n, f, s + k] as const))) {
  test(`flaky APIs: ${name} (seed ${seed}): init, verify and destroy succeed, nothing duplicated`, async (t) => {
    const sb = await useSandbox({ faults, seed });
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-flaky-'));
    const outputs: string[] = [];
    const cli = async (args: string[]) => {
      const r = await runCli(args, sb.env, cwd);
      outputs.push(r.stdout, r.stderr);
      return r;
    };

    const init = await cli(['init', '--yes', '--service', 'hello']);
    assert.equal(init.code, 0, init.stderr);
    assert.deepEqual(counts(sb), ONE);
    const verify = await cli(['verify', '--wait', '30s']);
    assert.equal(verify.code, 0, verify.stderr);
    const destroy = await cli(['destroy', '--force']);
    assert.equal(destroy.code, 0, destroy.stderr);
    assert.deepEqual(leftovers(sb.world.snapshot()), []);

    const log = sb.world.requests;
    const refused = log.filter((r) => r.status === 429 || r.status === 503).length;
    const lost = log.filter((r) => r.lost).length;
    const resets = log.filter((r) => r.fault === 'reset').length;
    assert.ok(
      faults.includes('lost') ? lost >= 1 : faults.includes('reset') ? resets >= 10 && lost >= 1 : refused >= 10,
      `faults were injected (refused ${refused}, lost ${lost}, reset ${resets})`,
    );
    t.diagnostic(
      `${log.filter((r) => r.api !== 'frontdoor' && r.api !== 'signin').length} API requests, ${refused} ` +
        `answered 429/503, ${resets} connections reset, ${lost} changes made with their answer lost`,
    );
    await assertNoSecretLeaked(sb, outputs, [cwd]);
  });
}
