// The Auth0 machine-to-machine credentials are checked before anything changes (issue: "init
// created the service, pool, OAuth client and credential before failing on a wrong secret"). Each
// bad credential, through init --yes, init --dry-run and init --json: exit 2, the variable and the
// cause named (invisible characters by name), the dashboard path of the fix, zero mutating
// requests to Google or Auth0, no state file, no secret in any output. Then verify and destroy with
// the same check, the token reused (one token request per run), and --debug tracing Auth0 calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ManagementClient } from 'auth0';
import { useSandbox, requestLog } from './helpers/sandbox.js';
import { runCli } from './helpers/cli.js';
import { assertNoSecretLeaked } from './helpers/secrets.js';
import { invisibleProblem } from '../src/lib/invisible.js';

const sb = await useSandbox();
const secret = sb.env.AUTH0_CLIENT_SECRET;
const id = sb.env.AUTH0_CLIENT_ID;
const lastSeq = async () => (await requestLog(sb)).at(-1)?.seq ?? 0;
const fresh = () => mkdtemp(path.join(os.tmpdir(), 'iap-auth0-cred-'));
const outputs: string[] = [];
const dirs: string[] = [];

test('invisible characters are named, never printed', () => {
  assert.equal(invisibleProblem('abc'), undefined);
  assert.equal(invisibleProblem(''), undefined);
  assert.equal(invisibleProblem('abc\n'), 'ends with a newline (\\n)');
  assert.equal(invisibleProblem('abc\r'), 'ends with a carriage return (\\r)');
  assert.equal(invisibleProblem('abc\r\n'), 'ends with a carriage return and a newline (\\r\\n)');
  assert.equal(invisibleProblem('abc '), 'ends with a space');
  assert.equal(invisibleProblem('abc   '), 'ends with 3 × space');
  assert.equal(invisibleProblem('\tabc'), 'starts with a tab (\\t)');
  assert.equal(invisibleProblem(' abc\n'), 'starts with a space and ends with a newline (\\n)');
  assert.equal(invisibleProblem('ab\u200bc'), 'contains a zero-width space (U+200B) at position 3');
  assert.equal(invisibleProblem('\ufeffabc'), 'starts with a byte-order mark (U+FEFF)');
  assert.equal(invisibleProblem('ab\u00a0c'), 'contains a no-break space (U+00A0) at position 3');
  assert.equal(invisibleProblem('ab\u0007c'), 'contains an invisible character (U+0007) at position 3');
  assert.equal(invisibleProblem('\n'), 'holds only a newline (\\n)');
  assert.equal(invisibleProblem('"abc"'), 'is wrapped in double quotes (a .env loader kept them)');
  assert.equal(invisibleProblem("'abc'"), 'is wrapped in single quotes (a .env loader kept them)');
  for (const v of ['s3cr3t\n', ' s3cr3t', 's3\u200bcr3t'])
    assert.ok(!invisibleProblem(v)!.includes('s3'), 'the value itself is never part of the description');
});

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
test('bad Auth0 credentials: exit 2 before any change, named with the cause and the fix', async (t) => {
  // Apps to be wrong with: Default App has no grant on the Management API; a regular web app may
  // not use the client credentials grant at all.
  const mgmt = new ManagementClient({ domain: sb.env.AUTH0_DOMAIN, clientId: id, clientSecret: secret });
  const defaultApp = [...sb.world.auth0Clients.values()].find((c) => c.name === 'Default App')!;
  const web = await mgmt.clients.create({
    name: 'a web app',
    app_type: 'regular_web',
    grant_types: ['authorization_code'],
    callbacks: ['https://example.com/cb'],
  });
  const cases: {
    name: string;
    env?: Record<string, string>;
    scopes?: string[];
    message: RegExp;
    hint: RegExp;
    local: boolean;
  }[] = [
    {
      name: 'a wrong client secret',
      env: { AUTH0_CLIENT_SECRET: 'W'.repeat(secret.length) },
      local: false,
      message: new RegExp(
        /Auth0 rejected AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET at /.source +
          /https:\/\/127\.0\.0\.1:\d+\/oauth\/token \(401 access_denied: Unauthorized\): /.source +
          /.*AUTH0_CLIENT_SECRET is not its secret/.source,
      ),
      hint: new RegExp(
        /Auth0 dashboard > Applications > Applications > your Machine to Machine app > Settings \(Client /.source +
          /ID, Client Secret\)/.source,
      ),
    },
    {
      name: 'a client secret with a trailing space',
      env: { AUTH0_CLIENT_SECRET: `${secret} ` },
      local: true,
      message: /AUTH0_CLIENT_SECRET ends with a space; Auth0 compares it byte for byte/,
      hint: /copy the value alone .*does not trim credentials/,
    },
    {
      name: 'a client secret with a trailing carriage return (a Windows .env file)',
      env: { AUTH0_CLIENT_SECRET: `${secret}\r` },
      local: true,
      message: /AUTH0_CLIENT_SECRET ends with a carriage return \(\\r\)/,
      hint: /Windows line endings \(CRLF\)/,
    },
    {
      name: 'a client secret with a trailing newline',
      env: { AUTH0_CLIENT_SECRET: `${secret}\n` },
      local: true,
      message: /AUTH0_CLIENT_SECRET ends with a newline \(\\n\)/,
      hint: /printf '%s'/,
    },
    {
      name: 'a client secret with CR LF',
      env: { AUTH0_CLIENT_SECRET: `${secret}\r\n` },
      local: true,
      message: /AUTH0_CLIENT_SECRET ends with a carriage return and a newline \(\\r\\n\)/,
      hint: /Windows line endings/,
    },
    {
      name: 'a client id with a zero-width space',
      env: { AUTH0_CLIENT_ID: `${id.slice(0, 4)}\u200b${id.slice(4)}` },
      local: true,
      message: /AUTH0_CLIENT_ID contains a zero-width space \(U\+200B\) at position 5/,
      hint: /copy the value again from the dashboard/,
    },
    {
      name: 'a client secret in kept quotes',
      env: { AUTH0_CLIENT_SECRET: `"${secret}"` },
      local: true,
      message: /AUTH0_CLIENT_SECRET is wrapped in double quotes/,
      hint: /without them/,
    },
    {
      name: 'a wrong client id',
      env: { AUTH0_CLIENT_ID: 'NoSuchClient0000000000' },
      local: false,
      message:
        /Auth0 rejected AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET .*the client id is not an application of the tenant/,
      hint: /Client ID, Client Secret/,
    },
    {
      name: 'id and secret swapped',
      env: { AUTH0_CLIENT_ID: secret, AUTH0_CLIENT_SECRET: id },
      local: false,
      message: /Auth0 rejected AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET .*the two may be swapped/,
      hint: /Client ID, Client Secret/,
    },
    {
      name: 'an app not authorized for the Management API',
      env: { AUTH0_CLIENT_ID: defaultApp.client_id, AUTH0_CLIENT_SECRET: defaultApp.client_secret },
      local: false,
      message: new RegExp(
        /the Auth0 application AUTH0_CLIENT_ID names is not authorized for the Auth0 Management API /.source +
          /\(403 access_denied: Client is not authorized to access/.source,
      ),
      hint: new RegExp(
        /Applications > APIs > Auth0 Management API > Machine To Machine Applications .*read:clients /.source +
          /create:clients update:clients delete:clients read:client_keys/.source,
      ),
    },
    {
      name: 'an app that is not machine-to-machine',
      env: { AUTH0_CLIENT_ID: web.client_id!, AUTH0_CLIENT_SECRET: web.client_secret! },
      local: false,
      message: /AUTH0_CLIENT_ID names may not use the client credentials grant \(403 unauthorized_client/,
      hint: /Machine to Machine/,
    },
    {
      name: 'an M2M app lacking two scopes init needs',
      scopes: ['create:clients', 'read:client_keys'],
      local: false,
      message: new RegExp(
        /the Auth0 Machine to Machine app AUTH0_CLIENT_ID names lacks Management API scopes iap-auth0 /.source +
          /init needs: create:clients, read:client_keys .*nothing was changed/.source,
      ),
      hint: /add them: Auth0 dashboard > Applications > APIs > Auth0 Management API/,
    },
  ];
  sb.world.issuedSecrets.add(web.client_secret!);
  for (const c of cases) {
    await t.test(c.name, async () => {
      for (const s of c.scopes ?? []) sb.world.auth0M2M.scopes.delete(s);
      try {
        for (const mode of [['--yes'], ['--yes', '--dry-run'], ['--json']]) {
          const cwd = await fresh();
          dirs.push(cwd);
          const since = await lastSeq();
          const r = await runCli(['init', '--service', 'cred', ...mode], { ...sb.env, ...c.env }, cwd);
          outputs.push(r.stdout, r.stderr);
          assert.equal(r.code, 2, `${mode.join(' ')}: ${r.stderr}`);
          if (mode[0] === '--json') {
            const doc = JSON.parse(r.stdout);
            assert.deepEqual([doc.ok, doc.error.code], [false, 'usage']);
            assert.match(doc.error.message, c.message);
            assert.match(doc.error.hint, c.hint);
          } else {
            assert.match(r.stderr, c.message, mode.join(' '));
            assert.match(r.stderr, new RegExp(`hint: .*${c.hint.source}`));
          }
          const log = (await requestLog(sb, since)).filter((x: any) => x.api !== 'frontdoor' && x.api !== 'signin');
          assert.deepEqual(
            log.filter((x: any) => x.mutating),
            [],
            'no change anywhere',
          );
          if (c.local) assert.deepEqual(log, [], 'judged on this machine: no request at all');
          else
            assert.ok(
              log.some((x: any) => x.api === 'auth0' && x.path === '/oauth/token'),
              "refused by Auth0's token endpoint",
            );
          assert.ok(
            log.every((x: any) => x.api === 'auth0' || x.api === 'cloudresourcemanager'),
            'no request beyond Auth0 and the project lookup',
          );
          assert.equal(existsSync(path.join(cwd, '.iap-auth0', 'state.json')), false, 'no state file');
        }
      } finally {
        for (const s of c.scopes ?? []) sb.world.auth0M2M.scopes.add(s);
      }
    });
  }
  assert.equal(
    [...sb.world.auth0Clients.values()].filter((a) => a.name.includes('cred')).length,
    0,
    'no Auth0 app was created',
  );
  assert.equal(
    [...sb.world.runServices.values()].filter((s) => s.serviceId === 'cred').length,
    0,
    'no Cloud Run service was created',
  );
});

test(
  'one token per run, reused by every Management API ' + 'call; --debug traces each Auth0 call without secrets',
  async () => {
    const cwd = await fresh();
    dirs.push(cwd);
    const since = await lastSeq();
    const r = await runCli(['init', '--yes', '--service', 'tok', '--debug'], sb.env, cwd);
    outputs.push(r.stdout, r.stderr);
    assert.equal(r.code, 0, r.stderr);
    const auth0 = (await requestLog(sb, since)).filter((x: any) => x.api === 'auth0');
    assert.equal(
      auth0.filter((x: any) => x.method === 'POST' && x.path === '/oauth/token').length,
      1,
      'one token request',
    );
    assert.equal(
      auth0.filter((x: any) => x.path === '/.well-known/openid-configuration').length,
      1,
      'one discovery request',
    );
    // The plan's look for the app is the one apply uses (no second look before the create).
    assert.equal(
      auth0.filter((x: any) => !x.mutating).length,
      6,
      'a clean init makes 6 Auth0 reads (token, discovery, custom domains, find by tag for the plan and again ' +
        'after the create, the app)',
    );
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('[debug] Auth0 '));
    assert.match(r.stderr, /\[debug\] Auth0 POST https:\/\/127\.0\.0\.1:\d+\/oauth\/token → 200 in \d+ ms/);
    assert.match(
      r.stderr,
      new RegExp(
        /\[debug\] Auth0 GET https:\/\/127\.0\.0\.1:\d+\/api\/v2\/clients\?fields=…&include_fields=…&page=…/.source +
          /&per_page=…&include_totals=… → 200 in \d+ ms/.source,
      ),
    );
    assert.match(r.stderr, /\[debug\] Auth0 POST https:\/\/127\.0\.0\.1:\d+\/api\/v2\/clients → 201 in \d+ ms/);
    assert.equal(
      lines.filter((l) => l.includes('/api/v2/')).length,
      auth0.filter((x: any) => x.path.startsWith('/api/v2/')).length,
      'one line per Management API call',
    );
    assert.equal(lines.length, auth0.length, 'one line per Auth0 request');
  },
);

test('verify and destroy check the credentials first; destroy without --force still sends nothing', async () => {
  const cwd = await fresh();
  dirs.push(cwd);
  const init = await runCli(['init', '--yes', '--service', 'later'], sb.env, cwd);
  assert.equal(init.code, 0, init.stderr);
  const file = path.join(cwd, '.iap-auth0', 'state.json');
  const before = await readFile(file);
  const wrong = { ...sb.env, AUTH0_CLIENT_SECRET: 'W'.repeat(secret.length) };

  let since = await lastSeq();
  const v = await runCli(['verify'], wrong, cwd);
  outputs.push(v.stdout, v.stderr);
  assert.equal(v.code, 2, v.stderr);
  assert.match(v.stderr, /Auth0 rejected AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET/);
  assert.ok(!/✓|✗/.test(v.stderr), 'no report: the credentials are the problem');
  const vlog = (await requestLog(sb, since)).filter((x: any) => x.api === 'auth0');
  assert.deepEqual(
    vlog.filter((x: any) => x.path.startsWith('/api/v2/')),
    [],
    'no Management API request',
  );

  const padded = await runCli(['verify'], { ...sb.env, AUTH0_CLIENT_SECRET: `${secret}\n` }, cwd);
  outputs.push(padded.stdout, padded.stderr);
  assert.equal(padded.code, 2);
  assert.match(padded.stderr, /AUTH0_CLIENT_SECRET ends with a newline/);

  since = await lastSeq();
  const noForce = await runCli(['destroy'], wrong, cwd);
  assert.equal(noForce.code, 2);
  assert.match(noForce.stderr, /needs confirmation: nothing was deleted/);
  assert.deepEqual(await requestLog(sb, since), [], 'no terminal, no --force: not a single request');

  since = await lastSeq();
  const d = await runCli(['destroy', '--force'], wrong, cwd);
  outputs.push(d.stdout, d.stderr);
  assert.equal(d.code, 2, d.stderr);
  assert.match(d.stderr, /Auth0 rejected AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET/);
  assert.deepEqual(
    (await requestLog(sb, since)).filter((x: any) => x.mutating || x.api !== 'auth0'),
    [],
    'only the token request: nothing deleted',
  );
  assert.deepEqual(await readFile(file), before, 'the state file is byte for byte as it was');
  assert.equal(existsSync(`${file}.lock`), false, 'no lock left behind');

  sb.world.auth0M2M.scopes.delete('delete:clients');
  try {
    const scope = await runCli(['destroy', '--force'], sb.env, cwd);
    outputs.push(scope.stdout, scope.stderr);
    assert.equal(scope.code, 2, scope.stderr);
    assert.match(scope.stderr, /lacks Management API scope iap-auth0 destroy needs: delete:clients/);
    assert.deepEqual(await readFile(file), before);
  } finally {
    sb.world.auth0M2M.scopes.add('delete:clients');
  }
  const ok = await runCli(['destroy', '--force'], sb.env, cwd);
  assert.equal(ok.code, 0, ok.stderr);
});

test('nothing the tool printed or wrote holds a secret', async () => {
  await assertNoSecretLeaked(sb, outputs, dirs);
});
