// Where the state may live, through the real CLI: a folder iap-auth0 did not create (a project
// folder in a git repository, a symlinked .iap-auth0) keeps its mode and gets no .gitignore, so git
// still sees the state file; a symlinked state file is refused before any request, changing nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useSandbox, requestLog } from './helpers/sandbox.js';
import { runCli } from './helpers/cli.js';

const mode = async (p: string) => (await stat(p)).mode & 0o777;

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('state folders iap-auth0 does not own, and a symlinked state file', async (t) => {
  const sb = await useSandbox();
  const lastSeq = async () => (await requestLog(sb)).at(-1)?.seq ?? 0;
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-folders-'));
  const proj = path.join(cwd, 'proj');

  await t.test(
    '--state in a git repository: the folder keeps 0755, no .gitignore, git lists the state file as untracked',
    async () => {
      await mkdir(proj);
      await chmod(proj, 0o755);
      git(proj, 'init', '-q');
      await writeFile(path.join(proj, 'README.md'), '# proj\n');
      git(proj, 'add', 'README.md');
      git(proj, 'commit', '-q', '-m', 'readme');
      const r = await runCli(['init', '--yes', '--service', 'hello', '--state', 'proj/iap-state.json'], sb.env, cwd);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await mode(proj), 0o755, 'the project folder was not chmodded');
      assert.equal(existsSync(path.join(proj, '.gitignore')), false, 'no .gitignore hiding the project from git');
      assert.equal(
        git(proj, 'status', '--porcelain'),
        '?? iap-state.json\n',
        'git sees the state file, untracked and not ignored',
      );
      assert.equal(existsSync(path.join(proj, 'iap-state.json.lock')), false, 'the lock is gone');
      assert.equal(await mode(path.join(proj, 'iap-state.json')), 0o600);
    },
  );

  await t.test('a .iap-auth0 that is a symlink: written through, the target keeps 0755', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-linked-'));
    const target = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-target-'));
    await chmod(target, 0o755);
    await symlink(target, path.join(dir, '.iap-auth0'));
    const r = await runCli(['init', '--yes', '--service', 'hello-linked'], sb.env, dir);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await lstat(path.join(dir, '.iap-auth0'))).isSymbolicLink(), 'still a link');
    assert.equal(await mode(target), 0o755, 'the target was not chmodded');
    assert.deepEqual(await readdir(target), ['state.json'], 'the state file, and no .gitignore, lock or temp file');
    assert.equal(await mode(path.join(target, 'state.json')), 0o600);
    assert.equal(JSON.parse(await readFile(path.join(target, 'state.json'), 'utf8')).inputs.service, 'hello-linked');
  });

  await t.test('--state naming a symlink: exit 2 naming the file, no request, nothing written', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-link-file-'));
    const real = path.join(proj, 'iap-state.json');
    await symlink(real, path.join(dir, 'link.json'));
    const before = await readFile(real);
    const since = await lastSeq();
    for (const args of [
      ['init', '--yes', '--service', 'hello'],
      ['destroy', '--force'],
    ]) {
      const r = await runCli([...args, '--state', 'link.json'], sb.env, dir);
      assert.equal(r.code, 2, `${args[0]}: ${r.stderr}`);
      assert.match(
        r.stderr,
        new RegExp(`the state file link\\.json is a symbolic link to ${real.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
      );
      assert.match(r.stderr, /hint: pass --state with the real path/);
    }
    assert.deepEqual(await requestLog(sb, since), [], 'no request reached any API');
    assert.deepEqual(await readdir(dir), ['link.json'], 'no lock, no temp file');
    assert.deepEqual(await readFile(real), before, 'the file it points at is byte for byte as it was');
    assert.deepEqual((await readdir(proj)).sort(), ['.git', 'README.md', 'iap-state.json']);
  });
});
