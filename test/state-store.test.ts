// The state file: validation that refuses (and never overwrites) bad files, atomic 0600 writes in
// a 0700 folder with a .gitignore, and the lock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, stat, readdir } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { readState, writeState, acquireLock, StateError } from '../src/state/store.js';
import { STATE_VERSION, type State } from '../src/state/schema.js';

const sample = (): State => ({
  version: STATE_VERSION, tool: 'iap-auth0', createdAt: '2026-11-22T00:00:00.000Z', updatedAt: '2026-11-22T00:00:00.000Z',
  inputs: { project: 'sandbox-project', region: 'europe-west1', service: 'hello', image: 'us-docker.pkg.dev/cloudrun/container/hello',
    auth0Domain: 'tenant.eu.auth0.com', pool: 'iap-auth0-hello', provider: 'auth0', oauthClient: 'iap-auth0-hello', allow: [], scope: 'service' },
  stages: { deploy: { status: 'done', operations: {}, resources: { service: 'projects/sandbox-project/locations/europe-west1/services/hello' } } },
});

const tmp = () => mkdtemp(path.join(os.tmpdir(), 'iap-auth0-state-'));

test('round trip, modes, .gitignore, no temp files left', async () => {
  const dir = path.join(await tmp(), '.iap-auth0');
  const file = path.join(dir, 'state.json');
  assert.equal(await readState(file), undefined);
  await writeState(file, sample());
  const back = await readState(file);
  assert.equal(back?.inputs.service, 'hello');
  assert.equal(back?.stages.deploy?.resources.service, 'projects/sandbox-project/locations/europe-west1/services/hello');
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
    await assert.rejects(readState(file), (e: StateError) => e instanceof StateError && e.code === code && e.message.includes(file) && e.hint.length > 0, name);
    assert.equal(await readFile(file, 'utf8'), content, `${name} must be untouched`);
  }
});

test('the lock stops a second run, naming the holder, and a dead holder is recognised', async () => {
  const file = path.join(await tmp(), 'state.json');
  const release = await acquireLock(file, 'init');
  await assert.rejects(acquireLock(file, 'destroy'), (e: StateError) => e.code === 'locked' && e.message.includes(`pid ${process.pid}`) && e.message.includes('init'));
  await release();
  // A lock left by a process that has exited is taken over.
  const child = spawn(process.execPath, ['-e', '0']);
  const deadPid = await new Promise<number>((r) => child.on('exit', () => r(child.pid!)));
  await writeFile(`${file}.lock`, JSON.stringify({ pid: deadPid, host: os.hostname(), startedAt: 'then', command: 'init' }));
  const again = await acquireLock(file, 'init');
  await again();
});
