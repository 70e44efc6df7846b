// The `npx iap-auth0` path: both packages packed, the CLI's tarball installed into an empty folder with the identity
// package's tarball standing in for the registry's copy (offline, pinned to the lockfile: helpers/packed.ts), then the
// installed command run through npx from a user's shell: `--help`, then `demo`, the README's first command. The
// shell is a clean one: none of the tests' variables (test CA, sandbox endpoints), no dev dependency installed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_STEPS, demoSteps } from './helpers/demo.js';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { IDENTITY_DIR, ROOT, installPinned, npmEnv, pack } from './helpers/packed.js';

const exec = promisify(execFile);
let tmp: string;
let app: string;

/** A user's shell: npm's settings and PATH, none of the variables the test runner or the sandbox set. */
function userEnv(): NodeJS.ProcessEnv {
  const env = npmEnv();
  for (const k of Object.keys(env))
    if (/^(IAP_AUTH0_|CLOUDSDK_|GOOGLE_|AUTH0_|NODE_EXTRA_CA_CERTS$|NODE_OPTIONS$)/.test(k)) delete env[k];
  return env;
}

/** `npx --offline iap-auth0 ARGS` in `cwd`, as typed in a shell; output and exit code. */
async function npx(args: string[], cwd: string) {
  try {
    const r = await exec('npx', ['--offline', 'iap-auth0', ...args], {
      cwd,
      env: userEnv(),
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, ...r };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-npx-'));
  app = path.join(tmp, 'app');
  await mkdir(app);
  const cli = await pack(ROOT, app);
  const identity = await pack(IDENTITY_DIR, app);
  await installPinned(app, [cli, identity]);
});
after(() => rm(tmp, { recursive: true, force: true }));

test('the installed package has the production dependencies only', async () => {
  const nm = await readdir(path.join(app, 'node_modules'));
  for (const name of ['iap-auth0', 'iap-auth0-identity', 'jose', 'commander', 'auth0']) assert.ok(nm.includes(name));
  for (const dev of ['typescript', '@biomejs', 'express', 'fastify', 'playwright-core', '@types'])
    assert.ok(!nm.includes(dev), `${dev} is a dev dependency and is not installed`);
});

test('npx iap-auth0 --help prints the help', async () => {
  const r = await npx(['--help'], app);
  assert.equal(r.code, 0, r.stderr);
  const help = await readFile(path.join(app, 'node_modules', 'iap-auth0', 'dist', 'src', 'cli', 'help.txt'), 'utf8');
  assert.equal(r.stdout, help);
  assert.match(r.stdout, /^Usage: iap-auth0 \[options\] \[command\]/);
  for (const command of ['init', 'verify', 'status', 'destroy', 'demo', 'dev', 'sandbox'])
    assert.match(r.stdout, new RegExp(`^  ${command}\\b`, 'm'), command);
});

test('npx iap-auth0 demo runs the whole story from the installed package, offline', async () => {
  const cwd = path.join(app, 'somewhere');
  await mkdir(cwd);
  const r = await npx(['demo'], cwd);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(demoSteps(r.stdout), DEMO_STEPS);
  assert.match(r.stdout, /signed in as alice@sandbox\.example; the app verified IAP's assertion/);
  assert.match(r.stdout, /│ Done\. Everything iap-auth0 created is gone\./);
  assert.deepEqual(await readdir(cwd), [], 'the demo leaves nothing in the folder it ran from');
});

test('an app importing iap-auth0/identity from the installed CLI gets the identity package', async () => {
  const script =
    "const a = await import('iap-auth0/identity'); const b = await import('iap-auth0-identity');" +
    'console.log(a.verifyIapAssertion === b.verifyIapAssertion, typeof a.iapMiddleware)';
  const { stdout } = await exec(process.execPath, ['--input-type=module', '-e', script], { cwd: app, env: userEnv() });
  assert.equal(stdout.trim(), 'true function');
});
