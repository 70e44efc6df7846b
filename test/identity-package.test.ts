// iap-auth0-identity as an app gets it: packed with `npm pack`, installed from the tarball into an empty folder
// (offline, pinned to the lockfile: helpers/packed.ts). Alone it is itself and jose, under 1 MB. Every example in
// packages/identity/examples runs in a folder made by `npm init -y`, saved under the name the README tells a
// newcomer to use (server.mjs for an ES module, server.js for CommonJS, which is what `npm init -y` makes a .js
// file), against IAP-shaped assertions signed by the sandbox IAP's signer; the README shows exactly these files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { IapSigner } from '../src/sandbox/frontdoor/iap-signer.js';
import { IDENTITY_DIR, ROOT, duKb, installPinned, npm, npmEnv, pack, type Packed } from './helpers/packed.js';
import { until } from './helpers/wait.js';

const AUD = '/projects/415104041262/locations/europe-west1/services/hello';
const EXAMPLES = path.join(IDENTITY_DIR, 'examples');
let tmp: string;
let packed: Packed;

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-identity-package-'));
  packed = await pack(IDENTITY_DIR, tmp);
});
after(() => rm(tmp, { recursive: true, force: true }));

test('installed alone, the identity package is itself and jose, under 1 MB', async () => {
  const app = path.join(tmp, 'alone');
  await mkdir(app);
  await installPinned(app, [packed]);
  const nm = path.join(app, 'node_modules');
  assert.deepEqual((await readdir(nm)).filter((n) => !n.startsWith('.')).sort(), ['iap-auth0-identity', 'jose']);
  for (const p of ['iap-auth0-identity', 'jose'])
    assert.equal((await readdir(path.join(nm, p))).includes('node_modules'), false, `${p} has no nested packages`);
  const kb = await duKb(nm);
  assert.ok(kb < 1024, `node_modules is ${kb} KB`);
});

/** A port nobody listens on right now, for a server that takes its port from PORT as Cloud Run's do. */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** IAP's key set on loopback, for IAP_AUTH0_DEV_JWKS_URL (the examples pass no options: they read the env). */
async function keyServer(signer: IapSigner) {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(signer.jwks()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/jwks`;
  return { url, close: () => new Promise((r) => server.close(r)) };
}

/** Saves an example as a newcomer would, runs it with node, and checks it admits IAP's callers and no one else. */
async function runExample(app: string, example: string, signer: IapSigner, jwksUrl: string) {
  const dir = path.join(app, example.replace('.', '-'));
  await mkdir(dir);
  const saved = path.join(dir, example.endsWith('.cjs') ? 'server.js' : 'server.mjs');
  await copyFile(path.join(EXAMPLES, example), saved);
  const port = await freePort();
  const env = npmEnv({ PORT: String(port), IAP_AUDIENCE: AUD, IAP_AUTH0_DEV_JWKS_URL: jwksUrl });
  const child = spawn(process.execPath, [saved], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((r) => child.on('exit', r));
  try {
    const url = `http://127.0.0.1:${port}/`;
    await until(
      () =>
        fetch(url).then(
          () => true,
          () => child.exitCode !== null,
        ),
      `${example} to listen`,
    );
    assert.equal(child.exitCode, null, `${example} exited: ${output}`);
    const assertion = await signer.sign({
      aud: AUD,
      email: 'alice@example.com',
      sub: 'sts.google.com:abc',
      iamPrincipal: 'principal://iam.googleapis.com/locations/global/workforcePools/p/subject/alice',
      poolName: 'locations/global/workforcePools/p',
      iat: Math.floor(Date.now() / 1000),
    });
    const ok = await fetch(url, { headers: { 'x-goog-iap-jwt-assertion': assertion } });
    assert.equal(ok.status, 200, `${example}: ${output}`);
    assert.match(await ok.text(), /^Hello alice@example\.com\b/, example);
    const forged = await fetch(url, { headers: { 'x-goog-authenticated-user-email': 'accounts.google.com:x@y.z' } });
    assert.equal(forged.status, 401, `${example}: the unsigned header alone is refused`);
    assert.match(await forged.text(), /\bmissing\b/, example);
    // Node 22.12 alone warns once when require() loads an ES module (20.19+ and 22.13+ do not): tolerated, no more.
    const said = output.split('\n').filter((l) => l && !/ExperimentalWarning|in require\(\)|--trace-warnings/.test(l));
    assert.deepEqual(said, [], `${example} printed nothing else`);
  } finally {
    child.kill();
    await exited;
  }
}

test('every example runs as saved after `npm init -y`: ESM and CommonJS, Express, Fastify, plain http', async () => {
  const app = path.join(tmp, 'app');
  await mkdir(app);
  await npm(['init', '-y'], app);
  const type = JSON.parse(await readFile(path.join(app, 'package.json'), 'utf8')).type;
  assert.ok(type === undefined || type === 'commonjs', `npm init -y wrote "type": ${type}`);
  await installPinned(app, [packed], ['express', 'fastify']);
  const examples = (await readdir(EXAMPLES)).sort();
  for (const kind of ['.mjs', '.cjs'])
    for (const framework of ['express', 'fastify', 'http']) assert.ok(examples.includes(framework + kind));
  const signer = await IapSigner.create();
  const keys = await keyServer(signer);
  try {
    for (const example of examples) await runExample(app, example, signer, keys.url);
  } finally {
    await keys.close();
  }
});

/** The fenced code blocks of a Markdown file. */
const blocks = (md: string) => [...md.matchAll(/^```\w*\n([\s\S]*?)^```$/gm)].map((m) => m[1]);

test('the README shows every example verbatim, and the docs show no server code that is not one', async () => {
  const examples = await Promise.all(
    (await readdir(EXAMPLES)).map(async (f) => ({ f, text: await readFile(path.join(EXAMPLES, f), 'utf8') })),
  );
  const readme = blocks(await readFile(path.join(IDENTITY_DIR, 'README.md'), 'utf8'));
  for (const { f, text } of examples) assert.ok(readme.includes(text), `packages/identity/README.md shows ${f}`);
  for (const doc of ['packages/identity/README.md', 'docs/app-integration.md', 'README.md']) {
    const servers = blocks(await readFile(path.join(ROOT, doc), 'utf8')).filter(
      (b) => b.includes('iap-auth0-identity') && b.includes('.listen('),
    );
    for (const b of servers)
      assert.ok(
        examples.some((e) => e.text === b),
        `${doc} shows a server that is not an example file:\n${b}`,
      );
  }
});

test('`iap-auth0/identity`, the CLI package’s subpath, is the identity package', async () => {
  const viaCli = await import('iap-auth0/identity');
  const lib = await import('iap-auth0-identity');
  assert.deepEqual(Object.keys(viaCli).sort(), Object.keys(lib).sort());
  assert.equal(viaCli.verifyIapAssertion, lib.verifyIapAssertion);
  assert.equal(viaCli.IapAssertionError, lib.IapAssertionError);
});
