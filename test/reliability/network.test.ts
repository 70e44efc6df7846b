// Broken networks (issue 12): an endpoint that accepts connections and never answers (a black
// hole), and one where nothing listens. Each ends init with a message naming the endpoint and the
// variable that points there, having changed nothing; verify --wait ends at its deadline even when
// a check's endpoint hangs. Request timeouts are shortened here (IAP_AUTH0_REQUEST_TIMEOUT) so
// the suite stays quick: the behaviour is the same with the default 20 s, only slower. 3 s, not 1 s:
// the requests that do answer must still answer in time on a loaded machine (a fresh TLS handshake
// in a busy process can take over a second).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useSandbox, control, requestLog } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';
import { assertNoSecretLeaked } from '../helpers/secrets.js';

const folder = () => mkdtemp(path.join(os.tmpdir(), 'iap-auth0-net-'));

test('broken networks: black holes and refused connections end with the endpoint named, nothing changed', {
  // biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
}, async (t) => {
  const sb = await useSandbox();
  const env = { ...sb.env, IAP_AUTH0_REQUEST_TIMEOUT: '3s' };
  const outputs: string[] = [];
  const cli = async (cwd: string, args: string[], e: Record<string, string> = env) => {
    const r = await runCli(args, e, cwd);
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const mutatingSince = async (seq: number) => (await requestLog(sb, seq)).filter((r) => r.mutating && !r.fault);
  const lastSeq = async () => (await requestLog(sb)).at(-1)?.seq ?? 0;

  await t.test(
    'a black-holed Google API (every Cloud Run request hangs): init stops naming it, before any change',
    async () => {
      await control(sb, '/faults', { spec: 'run=1:hang' });
      try {
        const since = await lastSeq();
        const r = await cli(await folder(), ['init', '--yes', '--service', 'hole']);
        assert.equal(r.code, 1, r.stderr);
        assert.match(
          r.stderr,
          new RegExp(
            'nothing was changed: no answer from the Cloud Run API at ' +
              'CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN=' +
              `${sb.env.CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN.replace(/[.*/]/g, '\\$&')} ` +
              'within 3 s \\(2 tries\\)',
          ),
        );
        assert.match(r.stderr, /hint: check your network, proxy or firewall/);
        assert.deepEqual(await mutatingSince(since), [], 'nothing was changed');
        const hung = (await requestLog(sb, since)).filter((x) => x.fault === 'hang');
        assert.equal(hung.length, 2, 'the endpoint was given up after two timeouts, not retried for minutes');
      } finally {
        await control(sb, '/faults', { spec: '' });
      }
    },
  );

  await t.test('a black-holed Auth0 Management API: init stops naming AUTH0_DOMAIN, before any change', async () => {
    await control(sb, '/faults', { spec: 'auth0=1:hang' });
    try {
      const since = await lastSeq();
      const r = await cli(await folder(), ['init', '--yes', '--service', 'hole2']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          'nothing was changed: no answer from Auth0 at ' +
            `AUTH0_DOMAIN=${sb.env.AUTH0_DOMAIN.replace(/\./g, '\\.')} within 3 s \\(2 tries\\)`,
        ),
      );
      assert.deepEqual(await mutatingSince(since), [], 'nothing was changed');
    } finally {
      await control(sb, '/faults', { spec: '' });
    }
  });

  await t.test(
    'nothing listens at an endpoint override: the message names the variable and asks whether the sandbox runs',
    async () => {
      const dead = { ...env, CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER: 'http://127.0.0.1:1/' };
      const r = await cli(await folder(), ['init', '--yes', '--service', 'nolisten'], dead);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          /iap-auth0: nothing listens at CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER=http:\/\/12/.source +
            /7\.0\.0\.1:1\/ \(connection refused, 3 tries\): the Resource Manager API cannot be reached/.source,
        ),
      );
      assert.match(r.stderr, /hint: is the sandbox running\?/);
      assert.doesNotMatch(r.stderr, /unexpected error|\n\s+at /, 'no stack trace');
    },
  );

  await t.test("verify --wait ends at its deadline when a check's endpoint hangs, saying so", async () => {
    const cwd = await folder();
    assert.equal((await cli(cwd, ['init', '--yes', '--service', 'deadline'], sb.env)).code, 0);
    await control(sb, '/faults', { spec: 'iap=1:hang' });
    try {
      // The default request timeout (20 s): only the deadline can end this verify in time.
      const r = await cli(cwd, ['verify', '--wait', '2s', '--json'], sb.env);
      assert.equal(r.code, 3, r.stderr);
      const checks = JSON.parse(r.stdout).checks;
      assert.match(
        checks.find((c: any) => c.id === 'iap-settings').detail,
        /no answer before the --wait deadline \(2\.0 s\)/,
      );
    } finally {
      await control(sb, '/faults', { spec: '' });
    }
    assert.equal((await cli(cwd, ['destroy', '--force'], sb.env)).code, 0);
  });
  await t.test('verify --wait whose deadline passes before Auth0 answers at all: exit 3, said plainly', async () => {
    const cwd = await folder();
    assert.equal((await cli(cwd, ['init', '--yes', '--service', 'preflight'], sb.env)).code, 0);
    await control(sb, '/faults', { spec: 'auth0=1:hang' });
    try {
      const r = await cli(cwd, ['verify', '--wait', '2s'], sb.env);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /no answer before the --wait deadline \(2\.0 s\)/);
      assert.match(r.stderr, /hint: run iap-auth0 verify again with a longer --wait/);
      assert.doesNotMatch(r.stderr, /unexpected error|\n\s+at /, 'no stack trace');
    } finally {
      await control(sb, '/faults', { spec: '' });
    }
    assert.equal((await cli(cwd, ['destroy', '--force'], sb.env)).code, 0);
  });
  await assertNoSecretLeaked(sb, outputs, []);
});
