// The one Ctrl-C policy (src/cli/interrupt.ts), in a real process: the first Ctrl-C aborts the
// run's signal and the command ends on its own terms; a second leaves at once with 130; a child
// named as working for us gets each signal passed on. Synchronised on the process's own output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MODULE = pathToFileURL(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli/interrupt.js'),
).href;

/** Runs `body` (an ES module using onInterrupt) and waits for lines on its stdout. */
function run(body: string) {
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', `import { onInterrupt } from ${JSON.stringify(MODULE)};\n${body}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  child.stdout!.on('data', (d) => {
    out += d;
    for (const w of waiters.filter((x) => x.re.test(out))) w.resolve();
  });
  const exited = new Promise<{ code: number | null; out: string }>((r) =>
    child.on('close', (code) => r({ code, out })),
  );
  const until = (re: RegExp) =>
    new Promise<void>((resolve) => (re.test(out) ? resolve() : waiters.push({ re, resolve })));
  return { child, until, exited };
}

test('first Ctrl-C: the signal aborts with "interrupted" and the command finishes as it chooses', async () => {
  const p = run(`const c = onInterrupt();
    c.signal.addEventListener('abort', () => {
      console.log('aborted: ' + c.signal.reason.message + ' ' + c.interrupted);
      c.dispose();
      process.exitCode = 130;
    });
    const alive = setInterval(() => {}, 1000);
    console.log('ready');
    await c.stopped;
    clearInterval(alive);
    console.log('stopped');`);
  await p.until(/ready/);
  p.child.kill('SIGINT');
  const r = await p.exited;
  assert.equal(r.code, 130);
  assert.match(r.out, /aborted: interrupted true\nstopped/);
});

test('second Ctrl-C while the command is still stopping: exit 130 at once', async () => {
  const p = run(`const c = onInterrupt({ signals: ['SIGINT', 'SIGTERM'] });
    setInterval(() => {}, 1000); console.log('ready'); await c.stopped; console.log('stopping slowly');`);
  await p.until(/ready/);
  p.child.kill('SIGTERM');
  await p.until(/stopping slowly/);
  p.child.kill('SIGINT');
  assert.equal((await p.exited).code, 130);
});

test('a Ctrl-C reported by a prompt counts as the first one', async () => {
  const p = run(
    'const c = onInterrupt(); c.interrupt(); console.log(String(c.interrupted)); setInterval(() => {}, 1000); ' +
      `process.kill(process.pid, 'SIGINT');`,
  );
  assert.deepEqual(await p.exited, { code: 130, out: 'true\n' });
});

test('each signal is passed on to the child working for us, first and second', async () => {
  const p = run(`import { spawn } from 'node:child_process';
    const child = spawn(
      process.execPath,
      [
        '-e',
        "let n = 0; process.on('SIGINT', () => { n++; console.log('child got ' + n); }); " +
          "console.log('child ready'); setInterval(() => {}, 1000);",
      ],
      { stdio: ['ignore', 'inherit', 'inherit'], detached: true },
    );
    const c = onInterrupt({ child: () => child });
    process.on('exit', () => child.kill('SIGKILL'));
    console.log('ready');`);
  await p.until(/child ready/);
  await p.until(/ready/);
  p.child.kill('SIGINT');
  await p.until(/child got 1/);
  p.child.kill('SIGINT');
  const r = await p.exited;
  assert.equal(r.code, 130);
  assert.match(r.out, /child got 1/);
});
