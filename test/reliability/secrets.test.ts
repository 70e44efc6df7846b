// Secrets (issue 5, part 5). Every reliability scenario ends with assertNoSecretLeaked; this one
// adds the outputs most likely to leak: --debug traces (every API call and retry), --json
// documents, failures whose messages quote Auth0 and Google, and runs under injected faults. No
// Auth0 client secret (the app's or the M2M one), OAuth credential secret or bearer token the
// sandbox ever issued appears in stdout, stderr or any file in the working folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useSandbox } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';
import { assertNoSecretLeaked } from '../helpers/secrets.js';

test(
  'no secret in any output or written file, with and ' + 'without --json and --debug, under faults and failures',
  async (t) => {
    const sb = await useSandbox({ faults: 'all=0.15', seed: 3 });
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-secrets-'));
    const outputs: string[] = [];
    const cli = async (args: string[], env: Record<string, string> = {}) => {
      const r = await runCli(args, { ...sb.env, ...env }, cwd);
      outputs.push(r.stdout, r.stderr);
      return r;
    };
    const runs = [
      ['init', '--yes', '--service', 'hello', '--debug'],
      ['init', '--json', '--debug'],
      ['verify', '--wait', '30s', '--debug'],
      ['verify', '--json', '--debug'],
      ['status', '--json', '--debug'],
      ['status'],
    ];
    for (const args of runs) {
      const r = await cli(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    }
    assert.match(
      outputs.join('\n'),
      /\[debug\] (GET|POST|PATCH) http:\/\/127\.0\.0\.1:\d+\/v\d/,
      '--debug traced the API calls',
    );
    assert.match(outputs.join('\n'), /retrying:|→ (429|503)/, 'the faults were met and retried in the trace');

    // Failures quote the services' messages: a wrong M2M secret, a restricted Google token.
    const wrong = 'wrong-m2m-secret-' + 'x'.repeat(24);
    const denied = await cli(['init', '--yes', '--debug'], { AUTH0_CLIENT_SECRET: wrong });
    assert.notEqual(denied.code, 0);
    assert.ok(!outputs.join('\n').includes(wrong), 'the secret given in AUTH0_CLIENT_SECRET is never echoed');
    const token = (
      (await (
        await fetch(`${sb.controlUrl}/tokens`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ deny: ['iam.oauthClients.get'] }),
        })
      ).json()) as { token: string }
    ).token;
    const restricted = await cli(['verify', '--json', '--debug'], { CLOUDSDK_AUTH_ACCESS_TOKEN: token });
    assert.equal(restricted.code, 3);

    const d = await cli(['destroy', '--force', '--json', '--debug']);
    assert.equal(d.code, 0, d.stderr);
    const { secrets, bytes } = await assertNoSecretLeaked(sb, outputs, [cwd]);
    assert.ok(secrets >= 5, `the sandbox issued secrets to look for (${secrets})`);
    t.diagnostic(
      `${secrets} secrets and tokens searched for in ${bytes} bytes of output and written files: none found`,
    );
  },
);
