// The progress renderer on a terminal (issue 15, item 2): one line per stage, redrawn in place
// (cursor up over exactly the lines it drew, then clear), each cut to the terminal's width so a
// redraw never wraps; lines that stay (warnings) go above the block; after stop() the last
// picture is whole, wrapped at word boundaries, and nothing is redrawn over what follows. Off a
// terminal: plain lines, one per change of a stage's state, and a long wait said every 30 s only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRenderer } from '../src/cli/render.js';

/** What clearing a block of n drawn lines writes: each line erased on its own, bottom up, then the line start. */
const erased = (n: number) => `${'\x1b[1A\x1b[2K'.repeat(n)}\r`;

/** A stream that says it is a terminal `columns` wide and keeps what is written to it. */
function terminal(columns: number) {
  const out: string[] = [];
  const stream = { isTTY: true, columns, write: (s: string) => out.push(s) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, out, text: () => out.join('') };
}

test('on a terminal: redrawn in place, one line per stage, cut to the width', async () => {
  const t = terminal(40);
  const ui = await createRenderer({ quiet: false, stream: t.stream, env: { NO_COLOR: '1' } });
  ui.event({ type: 'stage-start', stage: 'deploy' });
  ui.event({ type: 'stage-start', stage: 'access' });
  ui.event({ type: 'stage-waiting', stage: 'access', for: 'deploy' });
  t.out.length = 0;
  ui.event({ type: 'step', stage: 'deploy', text: 'deploying hello (us-docker.pkg.dev/cloudrun/container/hello)' });
  // Up over the two lines drawn, clear, then the two lines again: no more lines than stages.
  assert.equal(t.out[0], erased(2));
  const lines = t.out.slice(1).join('').split('\n').filter(Boolean);
  assert.equal(lines.length, 2);
  assert.ok(
    lines.every((l) => [...l].length <= 40),
    lines.join('\n'),
  );
  assert.equal(lines[0], '… Cloud Run service: deploying hello (u…');
  assert.equal(lines[1], '· Access: waiting for Cloud Run service');
  t.out.length = 0;
  ui.event({ type: 'warning', text: 'a scope is missing' });
  assert.equal(t.out[0], erased(2), 'the block is cleared');
  assert.match(t.out[1], /a scope is missing\n$/, 'the warning stays above the block');
  ui.event({ type: 'stage-done', stage: 'deploy', summary: 'hello on Cloud Run with IAP on: https://hello.example' });
  t.out.length = 0;
  ui.stop();
  const last = t.text();
  assert.equal(t.out[0], erased(2));
  // The last picture whole: the summary wraps at a space, not at the edge.
  assert.match(last, /✓ Cloud Run service: hello on Cloud Run\n {2}with IAP on: https:\/\/hello\.example\n/);
  t.out.length = 0;
  ui.line('Done.');
  assert.deepEqual(t.out, ['Done.\n'], 'nothing is redrawn after stop()');
});

test('off a terminal: plain lines, one per change; a long wait every 30 s, not at every poll', async () => {
  const out: string[] = [];
  const stream = { isTTY: false, write: (s: string) => out.push(s) > 0 } as unknown as NodeJS.WriteStream;
  const ui = await createRenderer({ quiet: false, stream, env: {} });
  ui.event({ type: 'stage-start', stage: 'deploy' });
  ui.event({ type: 'step', stage: 'deploy', text: 'deploying hello' });
  for (const ms of [1_000, 2_000, 29_000, 31_000, 45_000])
    ui.event({ type: 'waiting', stage: 'deploy', text: 'Cloud Run is deploying', elapsedMs: ms });
  ui.event({
    type: 'stage-failed',
    stage: 'deploy',
    error: 'interrupted',
    interrupted: true,
    during: 'deploying hello',
  });
  assert.deepEqual(
    out.map((l) => l.replace(/ \(\d+ s so far\)/, ' (N s so far)')),
    [
      '  Cloud Run service: deploying hello\n',
      '  Cloud Run service: Cloud Run is deploying (N s so far)\n',
      '  Cloud Run service: Cloud Run is deploying (N s so far)\n',
      '- Cloud Run service: interrupted while deploying hello\n',
    ],
  );
});

test('a wait on a terminal (verify --wait): one line redrawn in place, gone when it ends', async () => {
  const t = terminal(70);
  const ui = await createRenderer({ quiet: false, stream: t.stream, env: { NO_COLOR: '1' } });
  const now = Date.now();
  const w = { label: 'propagating', pending: ['IAP settings', 'Sign-in probe'], budgetMs: 600_000 };
  ui.wait({ ...w, startedAt: now - 3_000, nextAt: now + 1_500 });
  for (let i = 0; i < 12; i++) ui.wait({ ...w, startedAt: now - 3_000, nextAt: now + 1_500 });
  // Thirteen checks: each redraw goes up over the one line drawn; the screen keeps one line.
  const redraws = t.out.filter((s) => s === erased(1)).length;
  assert.equal(redraws, 12);
  const lines = t.out.filter((s) => s.endsWith('\n'));
  assert.equal(lines.length, 13);
  assert.ok(
    lines.every((l) => [...l].length <= 71), // 70 columns and the newline: cut, never wrapped
    lines.join(''),
  );
  assert.equal(lines[12], '… propagating: IAP settings… (waited 3 s of 10 min; next check in 2 s)\n');
  t.out.length = 0;
  ui.wait(undefined);
  assert.deepEqual(t.out, [erased(1)], 'the line is cleared; the results take its place');
  t.out.length = 0;
  ui.line('✓ Sign-in probe  ok');
  ui.stop();
  assert.deepEqual(t.out, ['✓ Sign-in probe  ok\n']);
});

test('a wait off a terminal: a line when it starts, then at most one every 30 s, whatever the checks', async () => {
  const out: string[] = [];
  const stream = { isTTY: false, write: (s: string) => out.push(s) > 0 } as unknown as NodeJS.WriteStream;
  const ui = await createRenderer({ quiet: false, stream, env: {} });
  const now = Date.now();
  const w = { label: 'propagating', pending: ['Sign-in probe'] };
  // 200 checks over 7 minutes (as a 7-minute propagation polled every 2 s): one line per 30 s, 15 in all.
  for (let s = 0; s < 420; s += 2.1) ui.wait({ ...w, startedAt: now - s * 1000, nextAt: now + 2_000 });
  assert.equal(out.length, 14, out.join(''));
  assert.equal(out[0], '… propagating: Sign-in probe (waited 0 s; next check in 2 s)\n');
  assert.match(out[1], /\(waited 3\d s;/);
  assert.match(out[13], /\(waited 6 min 3\d s;/);
  ui.wait(undefined);
  ui.stop();
  assert.equal(out.length, 14, 'ending the wait prints nothing of its own: the results follow');
});
