// `iap-auth0 sandbox` as a user runs it: a child process that prints its environment once ready,
// writes the env file, serves on loopback ports, can run twice side by side, and exits 0 on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENV_KEYS } from '../src/sandbox/index.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/iap-auth0.js');

function startCli(args: string[]): Promise<{ child: ChildProcess; env: Record<string, string> }> {
  const { NODE_EXTRA_CA_CERTS: _, ...env } = process.env;
  const child = spawn(process.execPath, ['--', bin, 'sandbox', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const lines = out.split('\n').filter((l) => l.includes('='));
      if (lines.some((l) => l.startsWith('IAP_AUTH0_SANDBOX_URL='))) {
        resolve({
          child,
          env: Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])),
        });
      }
    });
    child.on('exit', (code) => reject(new Error(`sandbox exited early with ${code}`)));
  });
}
const exitCode = (c: ChildProcess) => new Promise<number | null>((r) => c.on('exit', (code) => r(code)));

test('prints every variable, writes the env file 0600, serves, exits 0 on SIGTERM', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-cmd-'));
  const envFile = path.join(dir, 'sandbox.env');
  const a = await startCli(['--env-file', envFile]);
  const b = await startCli([]);
  try {
    for (const k of ENV_KEYS) assert.ok(a.env[k], `missing ${k}`);
    assert.equal(a.env.GOOGLE_CLOUD_PROJECT, 'sandbox-project');
    assert.match(a.env.AUTH0_DOMAIN, /^127\.0\.0\.1:\d+$/);
    assert.match(a.env.IAP_AUTH0_SIGNIN_ORIGIN, /^https:\/\/127\.0\.0\.1:\d+$/);
    // Every API has its own origin, and two sandboxes never share a port.
    const origins = ['IAM', 'RUN', 'IAP', 'CLOUDRESOURCEMANAGER', 'SERVICEUSAGE'].map(
      (k) => a.env[`CLOUDSDK_API_ENDPOINT_OVERRIDES_${k}`],
    );
    assert.equal(new Set(origins).size, 5);
    for (const o of origins) assert.match(o, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.notEqual(a.env.CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM, b.env.CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM);
    const file = await readFile(envFile, 'utf8');
    assert.match(file, new RegExp(`^CLOUDSDK_AUTH_ACCESS_TOKEN=${a.env.CLOUDSDK_AUTH_ACCESS_TOKEN}$`, 'm'));
    assert.equal((await stat(envFile)).mode & 0o777, 0o600);
    // The listed project answers through Resource Manager with the printed token.
    const r = await fetch(`${a.env.CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER}v3/projects/sandbox-project`, {
      headers: { authorization: `Bearer ${a.env.CLOUDSDK_AUTH_ACCESS_TOKEN}` },
    });
    assert.equal(r.status, 200);
    assert.equal(((await r.json()) as any).name, 'projects/415104041262');
  } finally {
    const ea = exitCode(a.child),
      eb = exitCode(b.child);
    a.child.kill('SIGTERM');
    b.child.kill('SIGINT');
    assert.equal(await ea, 0);
    assert.equal(await eb, 0);
  }
});

test('bad flags exit 2 with the flag named and start nothing', async () => {
  for (const [args, re] of [
    [['--profile', 'slow'], /--profile/],
    [['--faults', 'iam=2'], /--faults/],
    [['--seed', 'x'], /--seed/],
  ] as const) {
    const child = spawn(process.execPath, ['--', bin, 'sandbox', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '',
      out = '';
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => (out += d));
    assert.equal(await exitCode(child), 2);
    assert.match(err, re);
    assert.equal(out, '');
  }
});

test('--signin-hops and --iap-service-settings choose what the sandbox plays where the record is silent', async () => {
  const a = await startCli(['--signin-hops', 'chooser', '--iap-service-settings', 'ignored']);
  try {
    const world = (await (await fetch(`${a.env.IAP_AUTH0_SANDBOX_URL}/world`)).json()) as { emulation: unknown };
    assert.deepEqual(world.emulation, { signinHops: 'chooser', iapServiceSettings: 'ignored' });
    // And at run time, through the control endpoint; a value it does not know is refused.
    const set = await fetch(`${a.env.IAP_AUTH0_SANDBOX_URL}/emulation`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ signinHops: 'signin-path' }),
    });
    assert.deepEqual(((await set.json()) as { emulation: unknown }).emulation, {
      signinHops: 'signin-path',
      iapServiceSettings: 'ignored',
    });
    const bad = await fetch(`${a.env.IAP_AUTH0_SANDBOX_URL}/emulation`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ signinHops: 'sideways' }),
    });
    assert.equal(bad.status, 400);
  } finally {
    const ea = exitCode(a.child);
    a.child.kill('SIGTERM');
    assert.equal(await ea, 0);
  }
  const { NODE_EXTRA_CA_CERTS: _, ...env } = process.env;
  const refused = spawn(process.execPath, ['--', bin, 'sandbox', '--signin-hops', 'sideways'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  refused.stderr!.on('data', (d) => (err += d));
  assert.equal(await exitCode(refused), 2);
  assert.match(err, /argument 'sideways' is invalid\. use one of: direct, signin-path, chooser/);
});

test('--auth0-custom-domain: the tenant gets a ready custom domain on its own port, named on stderr', async () => {
  const { NODE_EXTRA_CA_CERTS: _, ...env } = process.env;
  const child = spawn(process.execPath, ['--', bin, 'sandbox', '--auth0-custom-domain'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '',
      err = '';
    child.stdout!.on('data', (d) => (out += d));
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (d) => {
        err += d;
        if (err.includes('Press Ctrl-C')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`sandbox exited early with ${code}: ${err}`)));
    });
    const vars = Object.fromEntries(
      out
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const m = new RegExp(
      /The Auth0 tenant has the custom domain (127\.0\.0\.1:\d+): users sign in there, the Management /.source +
        /API stays on AUTH0_DOMAIN=(\S+)\./.source,
    ).exec(err);
    assert.ok(m, err);
    assert.equal(m[2], vars.AUTH0_DOMAIN);
    assert.notEqual(m[1], vars.AUTH0_DOMAIN);
    const world = (await (await fetch(`${vars.IAP_AUTH0_SANDBOX_URL}/world`)).json()) as any;
    assert.deepEqual(
      world.auth0CustomDomains.map((d: any) => [d.domain, d.status]),
      [[m[1], 'ready']],
    );
  } finally {
    const done = exitCode(child);
    child.kill('SIGTERM');
    assert.equal(await done, 0);
  }
});
