// Six iap-auth0 processes started together on one state file whose lock a dead process left behind
// (a stale entry in the lock folder, or a lock file in the old format): exactly one takes the lock.
// The winner holds it until every contender has answered, so a second winner could only have won
// while the first one held the lock: the test cannot pass by luck of timing. Five rounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const STORE = new URL('../src/state/store.js', import.meta.url).href;
const CONTENDERS = 6;
const ROUNDS = 5;

// Loads the compiled store, says READY, waits for the start file, contends once and says WON,
// LOCKED or ERROR; a winner keeps the lock until the test writes the done file.
const SCRIPT = `
import { existsSync } from 'node:fs';
const [store, file, go, done] = process.argv.slice(2);
const { acquireLock } = await import(store);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
process.stdout.write('READY\\n');
while (!existsSync(go)) await sleep(1);
let release;
try { release = await acquireLock(file, 'init'); } catch (e) {
  process.stdout.write(e.code === 'locked' ? 'LOCKED\\n' : 'ERROR ' + e.message + '\\n');
  process.exit(0);
}
process.stdout.write('WON\\n');
const until = Date.now() + 30000;
while (!existsSync(done) && Date.now() < until) await sleep(5);
await release();
`;

const deadPid = (): Promise<number> =>
  new Promise((r) => {
    const child = spawn(process.execPath, ['-e', '']);
    child.on('exit', () => r(child.pid!));
  });

/** Resolves once every child has printed a line matching `re`; rejects after `ms`. */
function allSaid(children: { out: () => string }[], re: RegExp, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (children.every((c) => re.test(c.out()))) return resolve();
      if (Date.now() > deadline)
        return reject(
          new Error(`not every contender answered: ${children.map((c) => JSON.stringify(c.out())).join(' ')}`),
        );
      setTimeout(check, 5);
    };
    check();
  });
}

async function round(dir: string, script: string, oldFormat: boolean): Promise<string[]> {
  const file = path.join(dir, 'state.json');
  const lock = `${file}.lock`;
  const dead = await deadPid();
  const stale = JSON.stringify({
    pid: dead,
    host: os.hostname(),
    startedAt: new Date().toISOString(),
    command: 'init',
  });
  if (oldFormat) await writeFile(lock, stale);
  else {
    await mkdir(lock);
    await writeFile(path.join(lock, `${dead}-5ea1e.json`), stale);
  }
  const go = path.join(dir, 'go'),
    done = path.join(dir, 'done');
  const children = Array.from({ length: CONTENDERS }, () => {
    const child: ChildProcess = spawn(process.execPath, [script, STORE, file, go, done], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const exited = new Promise((r) => child.on('close', r));
    return { child, out: () => out, exited };
  });
  try {
    await allSaid(children, /READY/, 60_000); // six Node start-ups on a loaded machine
    await writeFile(go, '');
    await allSaid(children, /WON|LOCKED|ERROR/, 20_000);
  } finally {
    await writeFile(done, '');
    await Promise.all(children.map((c) => c.exited));
  }
  assert.equal(existsSync(lock), false, 'the winner released the lock and nothing was left behind');
  return children.map((c) => c.out().replace('READY\n', '').trim());
}

test('six processes racing for a stale lock: exactly one holds it, five are refused', async (t) => {
  const base = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-lock-race-'));
  const script = path.join(base, 'contender.mjs');
  await writeFile(script, SCRIPT);
  for (let n = 0; n < ROUNDS; n++) {
    const oldFormat = n % 2 === 1;
    const dir = path.join(base, `round-${n}`);
    await mkdir(dir);
    const said = await round(dir, script, oldFormat);
    const count = (w: string) => said.filter((s) => s === w).length;
    const what = oldFormat ? 'old-format lock file' : 'stale entry';
    assert.deepEqual([count('WON'), count('LOCKED')], [1, CONTENDERS - 1], `round ${n} (${what}): ${said.join(', ')}`);
  }
  t.diagnostic(`${ROUNDS} rounds of ${CONTENDERS} processes: one holder each time`);
});
