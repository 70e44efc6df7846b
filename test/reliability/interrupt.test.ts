// Ctrl-C (issue 5, part 7). SIGINT while init polls a long Cloud Run operation and while destroy
// waits for a deletion: the process stops at once (long before the operation would have ended),
// exits 130, says what was done and how to resume, and the next run resumes and finishes. SIGINT
// at a prompt is covered by init-interactive.test.ts (exit 130, nothing sent, nothing written).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useSandbox } from '../helpers/sandbox.js';
import { runCli, startCli } from '../helpers/cli.js';
import { assertNoSecretLeaked } from '../helpers/secrets.js';
import { leftovers } from '../../src/sandbox/leftovers.js';
import type { Sandbox } from '../../src/sandbox/index.js';

/** Sends SIGINT once `when` matches a logged request; resolves with the stop latency. */
async function interruptWhen(
  sb: Sandbox,
  child: import('node:child_process').ChildProcess,
  when: (r: { api: string; method: string; path: string; status: number }) => boolean,
) {
  const since = sb.world.requests.at(-1)?.seq ?? 0;
  while (!sb.world.requests.some((r) => r.seq > since && when(r))) await new Promise((r) => setTimeout(r, 10));
  const sent = Date.now();
  child.kill('SIGINT');
  await new Promise((r) => child.once('close', r));
  return Date.now() - sent;
}
// Long enough that no loaded machine reaches the end before the interruption lands; the re-runs end
// the operations by moving the sandbox clock past them.
const LONG_MS = 600_000;
const pendingOps = (sb: Sandbox, api: string) =>
  sb.world.operations.list().filter((o) => o.api === api && !o.done).length;

test('Ctrl-C while init polls a Cloud Run deploy, and while destroy waits for a deletion', async (t) => {
  const sb = await useSandbox();
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-sigint-'));
  const outputs: string[] = [];
  const fast = sb.world.profile;

  await t.test(
    'init: stops at once, exit 130, says what was done and to run init again; the re-run finishes',
    async () => {
      sb.world.profile = { ...fast, operationMs: { ...fast.operationMs, runCreate: LONG_MS } };
      const run = startCli(['init', '--yes', '--service', 'hello'], sb.env, cwd);
      const latency = await interruptWhen(
        sb,
        run.child,
        (r) => r.api === 'run' && r.method === 'POST' && /\/services$/.test(r.path) && r.status === 200,
      );
      const r = await run.done;
      outputs.push(r.stdout, r.stderr);
      assert.equal(r.code, 130, r.stderr);
      assert.equal(pendingOps(sb, 'run'), 1, 'it stopped while the deploy operation was still running, not after');
      assert.match(r.stderr, /Done before the interruption: .*\. Not finished: .*Cloud Run service/);
      assert.match(r.stderr, /Interrupted\. Run iap-auth0 init again to resume where it stopped\./);
      // Interrupted is not failed: each unfinished stage says what it was doing, and what it made so far.
      assert.match(r.stderr, /^ {2}Cloud Run service: interrupted while (deploying hello|waiting)/m);
      assert.match(r.stderr, /^ {4}made so far: .*service account: iap-hello-us-central1@/m);
      assert.doesNotMatch(r.stderr, /✗|Some stages failed/, 'nothing failed: the run was interrupted');
      const state = JSON.parse(await readFile(path.join(cwd, '.iap-auth0', 'state.json'), 'utf8'));
      assert.ok(state.stages.deploy.operations.service, 'the deploy operation is recorded for the re-run to poll');
      assert.equal(state.stages.deploy.error, 'interrupted');
      const status = await runCli(['status'], {}, cwd);
      assert.match(status.stdout, /^- Cloud Run service +interrupted$/m);
      t.diagnostic(`init stopped ${latency} ms after SIGINT`);
      sb.world.profile = fast;
      sb.world.clock.advance(LONG_MS); // let the deployment the first run started finish
      const again = await runCli(['init', '--yes'], sb.env, cwd);
      outputs.push(again.stdout, again.stderr);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /waiting for the deployment a previous run started/);
      assert.equal(sb.world.runServices.size, 1);
    },
  );

  await t.test(
    'destroy: stops at once, exit 130, says what was removed and to run destroy again; the re-run finishes',
    async () => {
      sb.world.profile = { ...fast, operationMs: { ...fast.operationMs, runDelete: LONG_MS } };
      const run = startCli(['destroy', '--force'], sb.env, cwd);
      const latency = await interruptWhen(
        sb,
        run.child,
        (r) => r.api === 'run' && r.method === 'DELETE' && r.status === 200,
      );
      const r = await run.done;
      outputs.push(r.stdout, r.stderr);
      assert.equal(r.code, 130, r.stderr);
      assert.equal(pendingOps(sb, 'run'), 1, 'it stopped while the deletion was still running');
      assert.match(
        r.stderr,
        new RegExp(
          /Removed before the interruption: Access, IAP settings, IAP OAuth client, Workforce pool and /.source +
            /provider, Auth0 application\. Not finished: Cloud Run service\./.source,
        ),
      );
      assert.match(r.stderr, /Interrupted\. Run iap-auth0 destroy again to resume where it stopped\./);
      const status = JSON.parse((await runCli(['status', '--json'], {}, cwd)).stdout);
      assert.equal(status.next, 'iap-auth0 destroy (resumes where it stopped)');
      t.diagnostic(`destroy stopped ${latency} ms after SIGINT`);
      sb.world.profile = fast;
      sb.world.clock.advance(LONG_MS); // let the deletion the first run started finish
      const again = await runCli(['destroy', '--force'], sb.env, cwd);
      outputs.push(again.stdout, again.stderr);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(leftovers(sb.world.snapshot()), []);
    },
  );
  await assertNoSecretLeaked(sb, outputs, [cwd]);
});
