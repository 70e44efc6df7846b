// Ctrl-C in a real terminal (issue 12). In a pipe, SIGINT always reaches the process; in a
// terminal, the progress spinner used to put stdin in raw mode, so Ctrl-C became a byte the
// spinner swallowed and `init --yes` / `destroy --force` could not be stopped. Here the commands
// run in a tmux pane on the realistic profile, Ctrl-C is typed (send-keys C-c) while the spinner
// is on screen, and the command must stop, say what was done and how to resume, and exit 130.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useSandbox } from '../helpers/sandbox.js';
import { until } from '../helpers/wait.js';
import { runCli, BIN } from '../helpers/cli.js';
import { envFile, hasTmux, NO_TMUX, pane } from '../helpers/tmux.js';
import { leftovers } from '../../src/sandbox/leftovers.js';

// Cloud Run's create and delete last this long here (the realistic profile's 3 s and 1 s could end
// before a loaded machine has drawn the spinner and delivered Ctrl-C); the re-runs end them by
// moving the sandbox clock.
const LONG_MS = 600_000;

test('Ctrl-C in a real terminal while the spinner runs: init --yes and destroy --force stop and exit 130', {
  skip: hasTmux ? false : NO_TMUX,
}, async (t) => {
  const sb = await useSandbox({ profile: 'realistic' });
  const realistic = sb.world.profile;
  const slowRun = (kind: 'runCreate' | 'runDelete') => {
    sb.world.profile = { ...realistic, operationMs: { ...realistic.operationMs, [kind]: LONG_MS } };
  };
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-tty-cc-'));
  const env = await envFile(sb, path.join(cwd, 'sandbox.env'));
  const run = (name: string, args: string) =>
    pane(name, `cd ${cwd} && set -a && . ${env} && set +a && ${process.execPath} -- ${BIN} ${args}; echo "EXIT=$?"`, {
      width: 200,
      joined: true,
    });

  await t.test('init --yes: Ctrl-C during the deploy stops it; the re-run finishes', async () => {
    slowRun('runCreate');
    const p = run(`cc-init-${process.pid}`, 'init --yes --service hello');
    try {
      // The spinner is on screen and Cloud Run is deploying (an operation that lasts until the clock moves).
      await p.until(/Cloud Run service: (deploying hello|Cloud Run is deploying)/, 'the spinner');
      await until(
        () => sb.world.operations.list().some((o) => o.api === 'run' && !o.done),
        'the Cloud Run deployment to be under way',
      );
      p.ctrlC();
      const sent = Date.now();
      const out = await p.until(/EXIT=\d+/, 'init to exit');
      t.diagnostic(`init exited ${Date.now() - sent} ms after Ctrl-C`);
      assert.match(out, /EXIT=130/);
      assert.match(out, /Done before the interruption: .*\. Not finished: .*Cloud Run service/);
      assert.match(out, /Interrupted\. Run iap-auth0 init again to resume where it stopped\./);
      assert.doesNotMatch(out, /did not run because/, 'stages that were waiting are reported as interrupted');
      // Its progress line and the summary say what the deploy was doing; nothing is marked failed.
      assert.match(out, /^- Cloud Run service: interrupted while /m);
      assert.match(out, /^ {2}Cloud Run service: interrupted while /m);
      assert.doesNotMatch(out, /^✗ /m);
      assert.equal(
        sb.world.operations.list().filter((o) => o.api === 'run' && !o.done).length,
        1,
        'it stopped while the deploy was still running',
      );
    } finally {
      p.kill();
    }
    sb.world.profile = realistic;
    sb.world.clock.advance(LONG_MS); // the deployment the first run started finishes
    const again = await runCli(['init', '--yes'], sb.env, cwd);
    assert.equal(again.code, 0, again.stderr);
  });

  await t.test('destroy --force: Ctrl-C while the service is being deleted stops it; the re-run finishes', async () => {
    slowRun('runDelete');
    const p = run(`cc-destroy-${process.pid}`, 'destroy --force');
    try {
      await p.until(/Cloud Run service: (deleting|Cloud Run is deleting)/, 'the deletion');
      // The spinner may say "deleting" before the request reached Cloud Run: wait for the operation.
      await until(
        () => sb.world.operations.list().some((o) => o.api === 'run' && !o.done),
        'the Cloud Run deletion to be under way',
      );
      p.ctrlC();
      const sent = Date.now();
      const out = await p.until(/EXIT=\d+/, 'destroy to exit');
      t.diagnostic(`destroy exited ${Date.now() - sent} ms after Ctrl-C`);
      assert.match(out, /EXIT=130/);
      assert.match(out, /Removed before the interruption: .*\. Not finished: .*Cloud Run service/);
      assert.match(out, /^- Cloud Run service: interrupted while removing it$/m);
      assert.match(out, /Interrupted\. Run iap-auth0 destroy again to resume where it stopped\./);
      assert.equal(
        sb.world.operations.list().filter((o) => o.api === 'run' && !o.done).length,
        1,
        'it stopped while the deletion was still running',
      );
    } finally {
      p.kill();
    }
    sb.world.profile = realistic;
    sb.world.clock.advance(LONG_MS); // the deletion the first run started finishes
    const again = await runCli(['destroy', '--force'], sb.env, cwd);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(leftovers(sb.world.snapshot()), []);
  });
});
