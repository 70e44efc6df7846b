// The state file: validation that refuses (and never overwrites) bad files, atomic 0600 writes, a
// 0700 folder with a .gitignore only when iap-auth0 created it (an existing or symlinked folder is
// left as it is), a symlinked state file refused, and the lock folder with one entry per contender.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readFile, writeFile, stat, readdir, symlink } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { readState, writeState, acquireLock, assertWritable, StateError } from '../src/state/store.js';
import { STATE_VERSION, type State } from '../src/state/schema.js';

const sample = (): State => ({
  version: STATE_VERSION,
  tool: 'iap-auth0',
  createdAt: '2026-11-22T00:00:00.000Z',
  updatedAt: '2026-11-22T00:00:00.000Z',
  inputs: {
    project: 'sandbox-project',
    region: 'europe-west1',
    service: 'hello',
    image: 'us-docker.pkg.dev/cloudrun/container/hello',
    auth0Domain: 'tenant.eu.auth0.com',
    pool: 'iap-auth0-hello',
    provider: 'auth0',
    oauthClient: 'iap-auth0-hello',
    allow: [],
    scope: 'service',
  },
  stages: {
    deploy: {
      status: 'done',
      operations: {},
      resources: { service: 'projects/sandbox-project/locations/europe-west1/services/hello' },
    },
  },
});

const tmp = () => mkdtemp(path.join(os.tmpdir(), 'iap-auth0-state-'));

test('round trip, modes, .gitignore, no temp files left', async () => {
  const dir = path.join(await tmp(), '.iap-auth0');
  const file = path.join(dir, 'state.json');
  assert.equal(await readState(file), undefined);
  await writeState(file, sample());
  const back = await readState(file);
  assert.equal(back?.inputs.service, 'hello');
  assert.equal(
    back?.stages.deploy?.resources.service,
    'projects/sandbox-project/locations/europe-west1/services/hello',
  );
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  assert.equal(await readFile(path.join(dir, '.gitignore'), 'utf8'), '*\n');
  assert.deepEqual((await readdir(dir)).sort(), ['.gitignore', 'state.json']);
});

test('corrupt, truncated, foreign, newer and invalid files are refused and left byte-for-byte', async () => {
  const dir = await tmp();
  const cases: [string, string, StateError['code']][] = [
    ['corrupt', '{not json', 'corrupt'],
    ['truncated', JSON.stringify(sample()).slice(0, 40), 'corrupt'],
    ['foreign', JSON.stringify({ tool: 'terraform', version: 4 }), 'foreign'],
    ['newer', JSON.stringify({ ...sample(), version: 99 }), 'newer'],
    ['invalid', JSON.stringify({ ...sample(), inputs: { project: 1 } }), 'corrupt'],
  ];
  for (const [name, content, code] of cases) {
    const file = path.join(dir, `${name}.json`);
    await writeFile(file, content);
    await assert.rejects(
      readState(file),
      (e: StateError) => e instanceof StateError && e.code === code && e.message.includes(file) && e.hint.length > 0,
      name,
    );
    assert.equal(await readFile(file, 'utf8'), content, `${name} must be untouched`);
  }
});

const deadPid = async (): Promise<number> => {
  const child = spawn(process.execPath, ['-e', '0']);
  return new Promise<number>((r) => child.on('exit', () => r(child.pid!)));
};
const entry = (pid: number, command = 'init') =>
  JSON.stringify({ pid, host: os.hostname(), startedAt: '2026-01-01T00:00:00.000Z', command });

test('a fresh state folder is created 0700 with a .gitignore, nested folders included', async () => {
  const dir = path.join(await tmp(), 'a', 'b');
  await writeState(path.join(dir, 'state.json'), sample());
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  assert.equal(await readFile(path.join(dir, '.gitignore'), 'utf8'), '*\n');
  assert.equal(existsSync(path.join(path.dirname(dir), '.gitignore')), false, 'only the state folder gets one');
});

test('an existing folder keeps its mode and gets no .gitignore; the file is still 0600', async () => {
  const dir = path.join(await tmp(), 'proj');
  await mkdir(dir);
  await chmod(dir, 0o755);
  const file = path.join(dir, 'iap-state.json');
  const release = await acquireLock(file, 'init');
  await writeState(file, sample());
  await release();
  assert.equal((await stat(dir)).mode & 0o777, 0o755);
  assert.deepEqual(await readdir(dir), ['iap-state.json']);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
});

test('a symlinked state folder is written through; its target keeps its mode', async () => {
  const root = await tmp();
  const target = path.join(root, 'elsewhere');
  await mkdir(target);
  await chmod(target, 0o755);
  const link = path.join(root, '.iap-auth0');
  await symlink(target, link);
  const file = path.join(link, 'state.json');
  await assertWritable(file);
  const release = await acquireLock(file, 'init');
  await writeState(file, sample());
  await writeState(file, sample());
  await release();
  assert.ok((await lstat(link)).isSymbolicLink(), 'the link is still a link');
  assert.equal((await stat(target)).mode & 0o777, 0o755);
  assert.deepEqual(
    await readdir(target),
    ['state.json'],
    'the state file and nothing else (no temp file, no lock, no .gitignore)',
  );
  assert.equal((await stat(path.join(target, 'state.json'))).mode & 0o777, 0o600);
  assert.equal((await readState(file))?.inputs.service, 'hello');
});

test('a symlinked state file is refused before anything is written, naming the file and its target', async () => {
  const root = await tmp();
  const real = path.join(root, 'real.json');
  await writeFile(real, JSON.stringify(sample()));
  const file = path.join(root, 'link.json');
  await symlink(real, file);
  const refused = (e: StateError) =>
    e instanceof StateError &&
    e.code === 'symlink' &&
    e.message.includes(file) &&
    e.message.includes(real) &&
    /--state/.test(e.hint);
  await assert.rejects(assertWritable(file), refused);
  await assert.rejects(acquireLock(file, 'init'), refused);
  await assert.rejects(writeState(file, { ...sample(), createdAt: 'changed' }), refused);
  assert.ok((await lstat(file)).isSymbolicLink());
  assert.equal(await readFile(real, 'utf8'), JSON.stringify(sample()));
  assert.deepEqual((await readdir(root)).sort(), ['link.json', 'real.json'], 'no lock, no temp file');
  assert.equal(
    (await readState(file))?.inputs.service,
    'hello',
    'reading through the link (status, verify) stays allowed',
  );
});

test(
  'the lock is a folder with one entry per holder; a second run is refused naming the holder; release leaves no ' +
    'lock path',
  async () => {
    const file = path.join(await tmp(), 'state.json');
    const lock = `${file}.lock`;
    const release = await acquireLock(file, 'init');
    const names = await readdir(lock);
    assert.equal(names.length, 1);
    assert.match(names[0], new RegExp(`^${process.pid}-[0-9a-f]+\\.json$`));
    const held = JSON.parse(await readFile(path.join(lock, names[0]), 'utf8'));
    assert.deepEqual(Object.keys(held).sort(), ['command', 'host', 'pid', 'startedAt']);
    await assert.rejects(
      acquireLock(file, 'destroy'),
      (e: StateError) =>
        e.code === 'locked' &&
        e.message.startsWith(
          `another iap-auth0 run holds the lock ${lock} (init, pid ${process.pid} on ${os.hostname()}, since ` +
            `${held.startedAt}).`,
        ) &&
        e.hint.startsWith('wait for it to finish; if that process is gone, delete') &&
        e.hint.includes(lock),
    );
    assert.deepEqual(await readdir(lock), names, 'the refused run took its entry away');
    await release();
    assert.equal(existsSync(lock), false, 'no lock path left behind');
    await (await acquireLock(file, 'init'))();
  },
);

test(
  "a dead holder's entry is taken over; a live one, one " + 'of another host or an unreadable one is respected',
  async () => {
    const file = path.join(await tmp(), 'state.json');
    const lock = `${file}.lock`;
    await mkdir(lock);
    const dead = await deadPid();
    await writeFile(path.join(lock, `${dead}-0123abcd.json`), entry(dead));
    // A dot file is a contender's entry still being written: ignored by everyone.
    await writeFile(path.join(lock, '.99-half-written.tmp'), '{"pid": 9');
    const release = await acquireLock(file, 'init');
    assert.equal(existsSync(path.join(lock, `${dead}-0123abcd.json`)), false, 'the stale entry was removed');
    await release();
    const other = path.join(lock, `${process.pid}-elsewhere.json`);
    await writeFile(
      other,
      JSON.stringify({ pid: process.pid, host: 'other-host', startedAt: 'then', command: 'destroy' }),
    );
    const locked = (text: string) => (e: StateError) => e.code === 'locked' && e.message.includes(text);
    await assert.rejects(acquireLock(file, 'init'), locked(`(destroy, pid ${process.pid} on other-host, since then)`));
    await writeFile(other, entry(process.pid, 'destroy'));
    await assert.rejects(
      acquireLock(file, 'init'),
      locked(`(destroy, pid ${process.pid} on ${os.hostname()}, since 2026-01-01T00:00:00.000Z)`),
    );
    await writeFile(other, '{garbled');
    await assert.rejects(
      acquireLock(file, 'init'),
      (e: StateError) => e.code === 'locked' && e.message === `another iap-auth0 run holds the lock ${lock}.`,
    );
  },
);

test("a lock file in the old format: a dead holder's is taken over, a live holder's is respected", async () => {
  const file = path.join(await tmp(), 'state.json');
  const lock = `${file}.lock`;
  await writeFile(lock, entry(await deadPid()));
  const release = await acquireLock(file, 'init');
  assert.ok((await stat(lock)).isDirectory(), 'replaced by the lock folder');
  await release();
  assert.equal(existsSync(lock), false);
  await writeFile(lock, entry(process.pid, 'destroy'));
  await assert.rejects(
    acquireLock(file, 'init'),
    (e: StateError) =>
      e.code === 'locked' &&
      e.message.includes(`(destroy, pid ${process.pid} on ${os.hostname()}, since 2026-01-01T00:00:00.000Z)`) &&
      e.hint.endsWith(`delete ${lock}`),
  );
  assert.equal(await readFile(lock, 'utf8'), entry(process.pid, 'destroy'), 'left as it was');
});
