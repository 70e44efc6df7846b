// Racing runs (issue 11): two inits of one service from two folders at the same moment (the
// realistic profile, where Google and Auth0 take their time) end with one setup: the pool is
// claimed before anything else is created, so the loser stops having created nothing and exactly
// one Auth0 app exists. Six inits racing on one stale lock: one takes it, the others stop naming
// it, one Auth0 app exists, and destroy leaves nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useSandbox, inspect } from '../helpers/sandbox.js';
import { runCli, startCli } from '../helpers/cli.js';
import { leftovers } from '../../src/sandbox/leftovers.js';

/** The setup ids in iap-auth0's markers (labels, descriptions, Auth0 metadata) of everything named for `service`. */
function markerSetups(w: any, service: string): string[] {
  const named = (id: string | undefined) =>
    !!id &&
    (id.includes(`iap-${service}-`) || id.includes(`iap-auth0-${service}-`) || id.endsWith(`/services/${service}`));
  const described = (x: any) => /^Managed by iap-auth0 \(setup ([a-z2-7]{8})/.exec(x.description ?? '')?.[1];
  const ids = [
    ...w.runServices.filter((s: any) => named(s.name)).map((s: any) => s.labels?.['iap-auth0-setup']),
    ...w.serviceAccounts.filter((a: any) => named(a.email)).map(described),
    ...w.workforcePools.filter((p: any) => named(p.poolId)).map(described),
    ...w.oauthClients.filter((c: any) => named(c.oauthClientId)).map(described),
    ...w.auth0Clients
      .filter((c: any) => named(c.client_metadata?.iap_auth0_provider))
      .map((c: any) => c.client_metadata?.iap_auth0_setup),
  ];
  return [...new Set(ids.filter(Boolean))] as string[];
}

const TWO =
  'two inits of one service in two folders at the same moment: one setup, one Auth0 app, no debris of the other';
test(TWO, async (t) => {
  const sb = await useSandbox({ profile: 'realistic' });
  for (const n of [1, 2, 3]) {
    const service = `race-${n}`;
    const [a, b] = await Promise.all([0, 1].map(() => mkdtemp(path.join(os.tmpdir(), 'iap-auth0-race2-'))));
    const runs = [a, b].map((cwd) => startCli(['init', '--yes', '--service', service], sb.env, cwd));
    const [ra, rb] = await Promise.all(runs.map((r) => r.done));
    const results = [
      [a, ra],
      [b, rb],
    ] as const;
    const winners = results.filter(([, r]) => r.code === 0);
    assert.equal(winners.length, 1, `exactly one setup wins: ${ra.code} ${rb.code}\n${ra.stderr}\n${rb.stderr}`);
    const [winnerCwd] = winners[0];
    const loser = results.find(([, r]) => r.code !== 0)![1];
    const setup = JSON.parse(await readFile(path.join(winnerCwd, '.iap-auth0', 'state.json'), 'utf8')).setupId;
    assert.match(loser.stderr, new RegExp(`belongs to iap-auth0 setup ${setup}`), 'the loser names the setup that won');
    const w = await inspect(sb);
    const provider = `locations/global/workforcePools/iap-${service}-us-central1-sandbox-project/providers/auth0`;
    assert.equal(
      w.auth0Clients.filter((c: any) => c.client_metadata?.iap_auth0_provider === provider).length,
      1,
      'one Auth0 app',
    );
    assert.deepEqual(
      markerSetups(w, service),
      [setup],
      "everything carries the winner's setup id: the loser left no debris",
    );
    const loserState = JSON.parse(
      await readFile(path.join(results.find(([, r]) => r.code !== 0)![0], '.iap-auth0', 'state.json'), 'utf8').catch(
        () => '{}',
      ),
    );
    assert.deepEqual(
      Object.values(loserState.stages ?? {}).flatMap((st: any) => Object.keys(st.resources ?? {})),
      [],
      'the loser recorded nothing',
    );
    t.diagnostic(`try ${n}: one winner, the loser exited ${loser.code} naming setup ${setup}`);
  }
});

const SIX =
  'six inits racing on one stale lock: one runs, the others stop naming it; one Auth0 app; destroy leaves nothing';
test(SIX, async () => {
  const sb = await useSandbox();
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-six-'));
  const dead = Number(
    spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString(),
  );
  const lock = path.join(cwd, '.iap-auth0', 'state.json.lock');
  await mkdir(lock, { recursive: true });
  await writeFile(
    path.join(lock, `${dead}-stale.json`),
    JSON.stringify({
      pid: dead,
      host: os.hostname(),
      startedAt: new Date(Date.now() - 60_000).toISOString(),
      command: 'init',
    }),
  );
  const runs = Array.from({ length: 6 }, () => startCli(['init', '--yes', '--service', 'six'], sb.env, cwd));
  const results = await Promise.all(runs.map((r) => r.done));
  const codes = results.map((r) => r.code);
  assert.ok(
    codes.every((c) => c === 0 || c === 2),
    `exit codes: ${codes.join(', ')}`,
  );
  assert.ok(codes.includes(0), 'one took the lock');
  for (const r of results.filter((x) => x.code === 2))
    assert.match(r.stderr, /another iap-auth0 run holds the lock \.iap-auth0\/state\.json\.lock \(init, pid \d+/);
  const w = await inspect(sb);
  assert.equal(
    w.auth0Clients.filter((c: any) => c.client_metadata?.managed_by === 'iap-auth0').length,
    1,
    'one Auth0 app',
  );
  const d = await runCli(['destroy', '--force'], sb.env, cwd);
  assert.equal(d.code, 0, d.stderr);
  assert.deepEqual(leftovers(await inspect(sb)), []);
});
