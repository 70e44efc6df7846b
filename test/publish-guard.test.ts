// `npm publish` runs scripts/check-publishable.mjs first (prepublishOnly in both packages): a README whose relative
// links the registry page cannot resolve (no "repository"), a link to a missing file, or a missing LICENSE stops
// the publication with a message naming the fix. Driven on throw-away package folders, as npm would run it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT, IDENTITY_DIR } from './helpers/packed.js';

const SCRIPT = path.join(ROOT, 'scripts', 'check-publishable.mjs');
let tmp: string;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-publish-'));
});
after(() => rm(tmp, { recursive: true, force: true }));

function run(dir: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT, dir], (err, _stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

async function folder(name: string, manifest: object, readme: string, files: Record<string, string> = {}) {
  const dir = path.join(tmp, name);
  await mkdir(path.join(dir, 'docs'), { recursive: true });
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name, license: 'Apache-2.0', ...manifest }));
  await writeFile(path.join(dir, 'README.md'), readme);
  for (const [f, text] of Object.entries({ LICENSE: 'Apache License', ...files }))
    await writeFile(path.join(dir, f), text);
  return dir;
}

const README = 'See [the sandbox](docs/sandbox.md#profiles), [npm](https://npmjs.com) and [below](#usage).\n';
const REPO = { repository: { type: 'git', url: 'git+https://github.com/example/p.git' } };

test('relative README links without a repository stop the publication, naming the field to add', async () => {
  const dir = await folder('no-repo', {}, README, { 'docs/sandbox.md': '# s' });
  const r = await run(dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no-repo is not ready to publish/);
  assert.match(r.stderr, /no "repository".*1 relative links \(first: docs\/sandbox\.md#profiles\)/);
  assert.match(r.stderr, /Add "repository"/);
});

test('with a repository, existing targets and a LICENSE, it passes', async () => {
  const dir = await folder('ready', REPO, README, { 'docs/sandbox.md': '# s' });
  assert.deepEqual(await run(dir), { code: 0, stderr: '' });
});

test('a link to a file that is not there, or a missing LICENSE, is named', async () => {
  const dir = await folder('broken', REPO, README);
  await rm(path.join(dir, 'LICENSE'));
  const r = await run(dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /README\.md links to docs\/sandbox\.md#profiles, which does not exist/);
  assert.match(r.stderr, /no LICENSE file although package\.json declares Apache-2\.0/);
});

test('a README with only absolute links needs no repository (the identity package today)', async () => {
  assert.deepEqual(await run(IDENTITY_DIR), { code: 0, stderr: '' });
});

test('both packages run the check before npm publishes them', async () => {
  for (const dir of [ROOT, IDENTITY_DIR]) {
    const m = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'));
    assert.match(m.scripts.prepublishOnly, /check-publishable\.mjs$/, `${m.name} runs the check`);
  }
});
