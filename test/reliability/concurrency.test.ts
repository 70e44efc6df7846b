// Concurrent edits (issue 5, part 3). Another admin changes the project's, the service's and the
// IAP resource's IAM policies while init runs, including edits that land exactly between init's
// read and write (POST /race): every member survives, because init writes with the etag it read
// and repeats the whole read-modify-write on 409 ABORTED. Two iap-auth0 processes on one state
// file: the second stops at once naming the lock and its holder; a dead holder's lock is taken over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useSandbox, control } from '../helpers/sandbox.js';
import { runCli, startCli } from '../helpers/cli.js';
import { until } from '../helpers/wait.js';
import { assertNoSecretLeaked } from '../helpers/secrets.js';

const RUN = 'run:projects/415104041262/locations/us-central1/services/hello';
const IAP = 'iap:projects/415104041262/iap_web/cloud_run-us-central1/services/hello';
const CRM = 'crm:projects/415104041262';

test('concurrent IAM edits during init: every member survives', async (t) => {
  const sb = await useSandbox();
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-race-'));
  const theirs: [string, string, string][] = [];
  // Edits that land right between init's read and its write of the two policies it changes.
  for (const [res, role] of [
    [RUN, 'roles/run.invoker'],
    [IAP, 'roles/iap.httpsResourceAccessor'],
  ]) {
    for (const n of [1, 2]) {
      const member = `user:racer-${n}-${res.slice(0, 3)}@example.com`;
      await control(sb, '/race', { resource: res, role, member });
      theirs.push([res, role, member]);
    }
  }
  // And a steady stream of other edits on all three policies while init runs, made only while init
  // is not between its own read and write of that policy. The edits that land inside that window
  // are the raced ones above, whose count does not depend on the machine: on a loaded machine, a
  // stream every 15 ms landed in every window and used up init's retries (a livelock, not a bug).
  const api: Record<string, string> = { [CRM]: 'crm', [IAP]: 'iap', [RUN]: 'run' };
  const policyCall = /:(get|set)IamPolicy$/;
  const betweenReadAndWrite = (res: string) => {
    const last = sb.world.requests.filter((q) => q.api === api[res] && policyCall.test(q.path)).at(-1);
    return !!last && last.path.endsWith(':getIamPolicy');
  };
  const { child: _c, done } = startCli(['init', '--yes', '--service', 'hello'], sb.env, cwd);
  let stop = false;
  const edits = (async () => {
    for (let i = 0; !stop; i++) {
      for (const res of [CRM, IAP, ...(sb.world.runServices.size ? [RUN] : [])]) {
        if (betweenReadAndWrite(res)) continue;
        const member = `user:admin-${i}@example.com`;
        const cur = sb.world.policies.get(res);
        const bindings = [...(cur.bindings ?? []), { role: 'roles/viewer', members: [member] }];
        sb.world.policies.set(res, { ...cur, bindings });
        theirs.push([res, 'roles/viewer', member]);
      }
      // Pacing of the other admin (40 edits a second, far busier than any real project), not a wait
      // for anything: conflicts come from the four raced edits above, deterministically.
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  const r = await done;
  stop = true;
  await edits;
  assert.equal(r.code, 0, r.stderr);
  const has = (res: string, role: string, member: string) =>
    (sb.world.policies.get(res).bindings ?? []).some((b) => b.role === role && b.members.includes(member));
  for (const [res, role, member] of theirs) assert.ok(has(res, role, member), `${member} (${role}) on ${res} survived`);
  assert.ok(
    has(RUN, 'roles/run.invoker', 'serviceAccount:service-415104041262@gcp-sa-iap.iam.gserviceaccount.com'),
    'ours is there too',
  );
  assert.ok(
    has(
      IAP,
      'roles/iap.httpsResourceAccessor',
      'principalSet://iam.googleapis.com/locations/global/workforcePools/iap-hello-us-central1-sandbox-project/*',
    ),
  );
  const aborted = sb.world.requests.filter((x) => x.path.endsWith(':setIamPolicy') && x.status === 409).length;
  assert.ok(aborted >= 4, `init met the raced edits as 409 ABORTED and retried (${aborted})`);
  t.diagnostic(
    `${theirs.length} members added by another admin during init, ${aborted} of init's writes refused with ` +
      '409 ABORTED and redone; all survived',
  );
  await assertNoSecretLeaked(sb, [r.stdout, r.stderr], [cwd]);
});

test('two runs on one state file: the second stops at once naming the lock and the holder', async (t) => {
  const sb = await useSandbox({ profile: 'realistic' });
  // The first run's Cloud Run deploy lasts until the test moves the sandbox clock, so it is still
  // running (and holding the lock) however slowly a loaded machine starts the other two.
  const realistic = sb.world.profile;
  const LONG_MS = 600_000;
  sb.world.profile = { ...realistic, operationMs: { ...realistic.operationMs, runCreate: LONG_MS } };
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-lock-'));
  const first = startCli(['init', '--yes', '--service', 'hello'], sb.env, cwd);
  const lock = path.join(cwd, '.iap-auth0', 'state.json.lock');
  // Once the first run holds the lock and its state file records a resource, it is mid-way (and a
  // destroy would have something to do).
  const recordsSomething = async () =>
    existsSync(lock) &&
    Object.values(
      JSON.parse(await readFile(path.join(cwd, '.iap-auth0', 'state.json'), 'utf8').catch(() => '{}')).stages ?? {},
    ).some((st: any) => Object.keys(st.resources ?? {}).length > 0);
  await until(recordsSomething, 'the first run to hold the lock and record a resource', 120_000);
  const started = Date.now();
  const second = await runCli(['init', '--yes', '--service', 'hello'], sb.env, cwd);
  const took = Date.now() - started;
  assert.equal(second.code, 2, second.stderr);
  assert.match(
    second.stderr,
    new RegExp(
      `another iap-auth0 run holds the lock \\.iap-auth0/state\\.json\\.lock \\(init, pid ${first.child.pid} on `,
    ),
  );
  assert.match(second.stderr, /hint: wait for it to finish/);
  const destroy = await runCli(['destroy', '--force'], sb.env, cwd);
  assert.equal(destroy.code, 2, 'destroy waits its turn too');
  assert.match(destroy.stderr, /holds the lock/);
  sb.world.profile = realistic;
  sb.world.clock.advance(LONG_MS); // the first run's deploy ends
  const r = await first.done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(existsSync(lock), false, 'the lock is released');
  t.diagnostic(`the second run stopped after ${took} ms (start-up included) while the first took its time`);
});

test('a stale lock left by a dead process is recognised and taken over', async () => {
  const sb = await useSandbox();
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-stale-'));
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  await mkdir(path.join(cwd, '.iap-auth0'), { recursive: true, mode: 0o700 });
  await writeFile(
    path.join(cwd, '.iap-auth0', 'state.json.lock'),
    JSON.stringify({ pid: Number(dead), host: os.hostname(), startedAt: new Date().toISOString(), command: 'init' }),
  );
  const r = await runCli(['init', '--yes', '--service', 'hello'], sb.env, cwd);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(existsSync(path.join(cwd, '.iap-auth0', 'state.json.lock')), false);
});
