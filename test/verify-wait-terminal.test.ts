// `verify --wait` as a person sees it: in a real terminal (a tmux pane 80 columns wide), while IAM
// is still propagating, the wait is one line redrawn in place ("propagating: <checks> (waited N s
// of M; next check in K s)"), whose waited time moves, never a line appended per check and never a
// row wider than the terminal. Once the sandbox's clock is moved past propagation, the checks pass,
// the command exits 0 and the wait's line is gone from the screen. (The renderer is tested with a
// fake terminal in render-in-place.test.ts and verify through a pipe in verify.test.ts; only here
// does a terminal draw it.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useSandbox, moveClock } from './helpers/sandbox.js';
import { runCli, BIN } from './helpers/cli.js';
import { DURATION, until } from './helpers/wait.js';
import { envFile, hasTmux, NO_TMUX, pane } from './helpers/tmux.js';

const WIDTH = 80;
// Longer than the whole test: IAM propagates only when the test moves the sandbox's clock.
const PROPAGATION_MS = 30 * 60_000;

/** The rows that mention the wait (scrollback included: a line appended per redraw would show here). */
const waitRows = (screen: string) => screen.split('\n').filter((l) => l.includes('propagating:'));

/** The waited time on the wait's row, in seconds ("12 s", or "1 min 05 s" past a minute). */
function waitedSeconds(row: string): number {
  const m = /\(waited (?:(\d+) min )?(\d+) s of /.exec(row);
  assert.ok(m, `no waited time in: ${row}`);
  return Number(m[1] ?? 0) * 60 + Number(m[2]);
}

/** The screen's only wait row, checked whole: what is awaited, the waited time of 5 min, the next check. */
function theWaitRow(screen: string): string {
  const rows = waitRows(screen);
  assert.equal(rows.length, 1, `one wait row, redrawn in place; the pane shows:\n${screen}`);
  assert.match(
    rows[0],
    /^… propagating: Sign-in probe \(waited (\d+ min )?\d+ s of 5 min; (next check in \d+ s|checking again now)\)$/,
  );
  return rows[0];
}

/** The rows wider than the terminal, with the rows it wrapped joined back (none, when nothing wrapped). */
const tooWide = (joined: string) => joined.split('\n').filter((l) => [...l].length > WIDTH);

test('verify --wait on a real terminal, 80 columns: one "propagating:" line redrawn in place, then the result', {
  skip: hasTmux ? false : NO_TMUX,
}, async () => {
  const sb = await useSandbox({ propagationMs: PROPAGATION_MS });
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-tty-verify-'));
  const init = await runCli(['init', '--yes', '--service', 'hello', '--region', 'europe-west1'], sb.env, cwd);
  assert.equal(init.code, 0, init.stderr);
  const env = await envFile(sb, path.join(cwd, 'sandbox.env'));
  // After `clear` the wait's line is the screen's first row. Redrawing it with "erase to the end of the screen"
  // from the top-left corner is a whole-screen clear to tmux, which copied every picture into its scrollback (read
  // here too); the renderer erases line by line, so exactly one row says propagating in screen and scrollback.
  const p = pane(
    `verify-wait-${process.pid}`,
    `cd ${cwd} && set -a && . ${env} && set +a && clear && ` +
      `${process.execPath} -- ${BIN} verify --wait 5m; echo "EXIT=$?"`,
    { width: WIDTH, joined: false },
  );
  try {
    await p.until(/propagating:/, 'verify to say it waits for propagation');
    const first = p.text();
    const firstWaited = waitedSeconds(theWaitRow(first));
    assert.deepEqual(tooWide(p.text(true)), [], 'no row reaches past 80 columns');
    // A few seconds later (every screen meanwhile has that one row): the same row, its waited time grown.
    let later = first;
    await until(() => {
      later = p.text();
      return waitedSeconds(theWaitRow(later)) >= firstWaited + 3;
    }, 'the waited time to grow by 3 s');
    assert.ok(waitedSeconds(theWaitRow(later)) > firstWaited, `waited grew:\n${first}\n---\n${later}`);
    assert.deepEqual(tooWide(p.text(true)), [], 'no row reaches past 80 columns');
    assert.doesNotMatch(later, /EXIT=/, 'still waiting');

    await moveClock(sb, sb.world.profile.iamPropagationMs + 20); // IAM has propagated
    const end = await p.until(/EXIT=\d+/, 'verify to end');
    assert.match(end, /^EXIT=0$/m);
    assert.match(end, new RegExp(`All \\d+ checks passed \\(waited ${DURATION} for propagation\\)\\.`));
    assert.match(end, /^✓ Sign-in probe {2,}unauthenticated GET → /m, 'the check that waited passed');
    assert.doesNotMatch(end, /^(✗|…) /m, 'no check failed or still propagating');
    assert.deepEqual(waitRows(end), [], `the wait's line is gone; the pane shows:\n${end}`);
    assert.deepEqual(tooWide(p.text(true)), [], 'no row reaches past 80 columns');
  } finally {
    p.kill();
  }
});
