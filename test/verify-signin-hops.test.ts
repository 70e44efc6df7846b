// What Google's workforce sign-in does after /authorize is not on record, so the sandbox plays each
// plausible answer (--signin-hops direct | signin-path | chooser) and verify's probe, like a person
// with a browser, must get through every one; a chooser that does not offer our provider fails
// saying what it showed. Whether workforce settings on a service take effect is not on record
// either: with the sandbox ignoring them (--iap-service-settings ignored), verify must say, once the
// propagation window is over, that IAP is not using them and name the --scope project fallback, and
// that fallback must then work. And verify --report writes every hop and no secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useSandbox, clientsFor, control, inspect, requestLog } from './helpers/sandbox.js';
import { runCli } from './helpers/cli.js';
import { assertNoSecretLeaked } from './helpers/secrets.js';
import { Browserless } from '../src/lib/browserless.js';
import type { Sandbox } from '../src/sandbox/index.js';

type Check = { id: string; stage: string; ok: boolean; status: string; detail: string; hint?: string };
type Doc = { ok: boolean; checks: Check[]; report?: string };

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;

function cli(env: Record<string, string>, cwd: string, outputs: string[]) {
  return async (...args: string[]) => {
    const r = await runCli(args, env, cwd);
    outputs.push(r.stdout, r.stderr);
    let doc: Doc | undefined;
    if (args.includes('--json')) doc = JSON.parse(r.stdout) as Doc;
    return { ...r, doc };
  };
}
const probeOf = (d: Doc | undefined) => d!.checks.find((c) => c.id === 'signin-probe')!;

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
test('the probe gets through every hop shape; a chooser without our provider fails clearly', async (t) => {
  const sb = await useSandbox();
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-hops-'));
  const outputs: string[] = [];
  const run = cli(sb.env, cwd, outputs);
  assert.equal((await run('init', '--yes', '--service', 'hello')).code, 0);
  const state = JSON.parse(await readFile(path.join(cwd, '.iap-auth0', 'state.json'), 'utf8'));
  const uri: string = state.stages.deploy.resources.uri;
  const provider = `locations/global/workforcePools/${state.inputs.pool}/providers/${state.inputs.provider}`;

  const expected: Record<string, RegExp> = {
    direct: /^unauthenticated GET → Google workforce sign-in → Auth0 \/authorize → Auth0 login page$/,
    'signin-path': new RegExp(
      `^unauthenticated GET → Google workforce sign-in \\(/authorize → /signin/${provider}\\) → Auth0 ` +
        '/authorize → Auth0 login page$',
    ),
    chooser: new RegExp(
      '^unauthenticated GET → Google workforce sign-in \\(/authorize: provider chooser → ' +
        `/signin/${provider}\\) → Auth0 /authorize → Auth0 login page$`,
    ),
  };
  for (const hops of ['direct', 'signin-path', 'chooser'] as const) {
    await t.test(`--signin-hops ${hops}: verify passes, and a sign-in completes through the same chain`, async () => {
      assert.deepEqual((await control(sb, '/emulation', { signinHops: hops })).emulation.signinHops, hops);
      const r = await run('verify', '--json', '--wait', '30s');
      assert.equal(r.code, 0, JSON.stringify(r.doc!.checks.filter((c) => !c.ok)));
      assert.match(probeOf(r.doc).detail, expected[hops]);
      const page = await new Browserless().signIn(
        `${uri}/__app/whoami`,
        sb.env.IAP_AUTH0_TEST_USER_EMAIL,
        sb.env.IAP_AUTH0_TEST_USER_PASSWORD,
      );
      assert.equal(page.status, 200, page.text.slice(0, 300));
      assert.equal(JSON.parse(page.text).email, sb.env.IAP_AUTH0_TEST_USER_EMAIL);
      const signinPaths = page.hops
        .map((h) => new URL(h.url))
        .filter((u) => u.origin === sb.env.IAP_AUTH0_SIGNIN_ORIGIN)
        .map((u) => u.pathname.replace(/\/locations\/.*/, '/…'));
      if (hops === 'direct') assert.deepEqual(signinPaths, ['/authorize', '/signin-callback/…']);
      else assert.deepEqual(signinPaths, ['/authorize', '/signin/…', '/signin-callback/…', '/authorize']);
    });
  }

  await t.test(
    'a chooser that does not offer our provider: the probe fails saying what it showed; enabled again, it passes',
    async () => {
      await control(sb, '/emulation', { signinHops: 'chooser' });
      // Someone adds another provider to the pool and disables ours: the chooser offers only theirs.
      const g = clientsFor(sb);
      const pool = `locations/global/workforcePools/${state.inputs.pool}`;
      await g.iam.locations.workforcePools.providers.create({
        parent: pool,
        workforcePoolProviderId: 'other',
        requestBody: {
          displayName: 'Other IdP',
          attributeMapping: { 'google.subject': 'assertion.sub' },
          oidc: {
            issuerUri: `https://${sb.env.AUTH0_DOMAIN}/`,
            clientId: 'someone-else',
            clientSecret: { value: { plainText: 'their-secret-value-0123456789' } },
            webSsoConfig: { responseType: 'CODE', assertionClaimsBehavior: 'MERGE_USER_INFO_OVER_ID_TOKEN_CLAIMS' },
          },
        },
      });
      await g.iam.locations.workforcePools.providers.patch({
        name: state.stages['workforce-pool'].resources.provider,
        updateMask: 'disabled',
        requestBody: { disabled: true },
      });
      const r = await run('verify', '--json');
      assert.equal(r.code, 3);
      const probe = probeOf(r.doc);
      assert.equal(probe.status, 'failed');
      assert.equal(
        probe.detail,
        `Google's workforce sign-in showed a provider chooser offering ${pool}/providers/other, not ` +
          `${provider} (IAP named provider ${pool}/providers/other)`,
      );
      assert.match(probe.hint!, /check the workforce-provider check above \(the provider must be active and enabled\)/);
      const check = r.doc!.checks.find((c) => c.id === 'workforce-provider')!;
      assert.equal(check.status, 'failed');
      assert.match(check.hint!, /--no-disabled/);
      // Its hint, done through the API: enabled again, the chooser offers ours and the probe picks it.
      await g.iam.locations.workforcePools.providers.patch({
        name: state.stages['workforce-pool'].resources.provider,
        updateMask: 'disabled',
        requestBody: { disabled: false },
      });
      const again = await run('verify', '--json', '--wait', '30s');
      assert.equal(again.code, 0, JSON.stringify(again.doc!.checks.filter((c) => !c.ok)));
    },
  );

  await assertNoSecretLeaked(sb, outputs, [cwd]);
});

test('Google sign-in long after init: verify names the --scope project fallback, and that fallback works', async () => {
  const sb = await useSandbox({ iapServiceSettings: 'ignored' });
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-window-'));
  const outputs: string[] = [];
  const run = cli(sb.env, cwd, outputs);
  assert.equal((await run('init', '--yes', '--service', 'hello')).code, 0);
  const statePath = path.join(cwd, '.iap-auth0', 'state.json');

  // Within the window, it is still propagating; the settings themselves read back fine.
  const early = await run('verify', '--json');
  assert.equal(early.code, 3);
  assert.equal(probeOf(early.doc).status, 'propagating');
  assert.match(probeOf(early.doc).detail, /Google sign-in \(accounts\.google\.com\)/);
  assert.deepEqual(
    early.doc!.checks.filter((c) => c.status !== 'ok').map((c) => c.id),
    ['signin-probe'],
  );

  // The settings were written long ago: the state file says when (the stage's finishedAt).
  const state = JSON.parse(await readFile(statePath, 'utf8'));
  state.stages['iap-settings'].finishedAt = new Date(Date.now() - 11 * 60_000).toISOString();
  await writeFile(statePath, JSON.stringify(state, null, 2), { mode: 0o600 });
  const late = await run('verify', '--json', '--report', 'late.json');
  assert.equal(late.code, 3);
  const probe = probeOf(late.doc);
  assert.equal(probe.status, 'failed');
  assert.match(
    probe.detail,
    new RegExp(
      /^IAP still sends people to Google sign-in \(accounts\.google\.com\), not to your workforce pool, /.source +
        /11 minutes after init wrote the workforce settings on the service /.source +
        /\(projects\/\d+\/iap_web\/cloud_run-us-central1\/services\/hello\): that is past the propagation /.source +
        /window/.source,
    ),
  );
  const command =
    'iap-auth0 destroy --force --keep deploy,auth0-app,workforce-pool,oauth-client && iap-auth0 init --scope ' +
    'project --yes';
  assert.ok(probe.hint!.endsWith(`: ${command}`), probe.hint);
  const human = await run('verify');
  assert.equal(human.code, 3);
  assert.ok(human.stderr.includes(command), human.stderr);
  assert.doesNotMatch(human.stderr, /still propagating/);
  const report = JSON.parse(await readFile(path.join(cwd, 'late.json'), 'utf8'));
  assert.deepEqual(
    report.signinProbe.hops.map((h: any) => [h.kind, h.location?.host]),
    [['iap-redirect-to-google-signin', 'accounts.google.com']],
  );

  // The scope cannot change while the service-level settings are in place: the refusal names the way.
  const direct = await run('init', '--yes', '--scope', 'project');
  assert.equal(direct.code, 2);
  assert.match(
    direct.stderr,
    new RegExp(
      /--scope is "project" but this state file was set up with "service"; remove its IAP settings and /.source +
        /access first to change it: iap-auth0 destroy --force --keep /.source +
        /deploy,auth0-app,workforce-pool,oauth-client/.source,
    ),
  );

  // The fallback, exactly as printed.
  for (const line of command.split(' && ')) {
    const r = await run(...line.split(' ').slice(1));
    assert.equal(r.code, 0, `${line}\n${r.stderr}`);
  }
  const fixed = await run('verify', '--json', '--wait', '30s');
  assert.equal(fixed.code, 0, JSON.stringify(fixed.doc!.checks.filter((c) => !c.ok)));
  assert.match(probeOf(fixed.doc).detail, /→ Auth0 login page$/);
  const world = await inspect(sb);
  const number = world.projects.find((p: any) => p.projectId === 'sandbox-project').projectNumber;
  const withPool = world.iapSettings
    .filter((s: any) => s.accessSettings?.workforceIdentitySettings?.workforcePools?.length)
    .map((s: any) => s.name);
  assert.deepEqual(withPool, [`projects/${number}`], 'only project-level workforce settings remain');
  const after = JSON.parse(await readFile(statePath, 'utf8'));
  assert.equal(after.inputs.scope, 'project');
  assert.equal(after.setupId, state.setupId, 'the same setup');
  await assertNoSecretLeaked(sb, outputs, [cwd]);
});

type Run = ReturnType<typeof cli>;

/** The report's header: what ran, on which setup, with the same checks as --json. */
function assertReportHeader(report: any, doc: Doc, state: any) {
  assert.equal(report.kind, 'iap-auth0-verify-report');
  assert.deepEqual(report.tool, { name: 'iap-auth0', version });
  assert.equal(report.node, process.version);
  assert.ok(Date.parse(report.startedAt) <= Date.parse(report.finishedAt));
  assert.equal(report.ok, true);
  assert.equal(report.setup.setupId, state.setupId);
  assert.deepEqual(report.setup.inputs, state.inputs);
  assert.equal(report.setup.stages['iap-settings'].status, 'done');
  assert.deepEqual(
    report.checks.map((c: any) => [c.id, c.status]),
    doc.checks.map((c) => [c.id, c.status]),
  );
  assert.ok(report.checks.every((c: any) => typeof c.detail === 'string' && c.detail.length > 0));
}

/** Every hop the probe made, in order, as the sandbox saw them; names only, never a value. */
async function assertReportHops(sb: Sandbox, since: number, report: any, text: string, state: any) {
  const seen = (await requestLog(sb, since)).filter(
    (q) =>
      q.api === 'frontdoor' || q.api === 'signin' || (q.api === 'auth0' && /^\/(authorize|u\/login)$/.test(q.path)),
  );
  const hops = report.signinProbe.hops;
  assert.deepEqual(
    hops.map((h: any) => [h.method, h.path, h.status]),
    seen.map((q) => [q.method, q.path, q.status]),
  );
  assert.deepEqual(
    hops.map((h: any) => h.kind),
    [
      'iap-redirect-to-workforce-signin',
      'workforce-redirect',
      'workforce-redirect-to-idp',
      'auth0-redirect-to-login',
      'auth0-login-form',
    ],
  );
  assert.equal(hops[0].host, new URL(state.stages.deploy.resources.uri).host);
  assert.equal(hops[1].host, new URL(sb.env.IAP_AUTH0_SIGNIN_ORIGIN).host);
  assert.equal(hops[3].host, sb.env.AUTH0_DOMAIN);
  assert.deepEqual(hops[1].query.slice().sort(), [
    'client_id',
    'provider_name',
    'redirect_uri',
    'response_type',
    'scope',
    'state',
  ]);
  assert.deepEqual(hops[3].query.slice().sort(), [
    'client_id',
    'nonce',
    'redirect_uri',
    'response_type',
    'scope',
    'state',
  ]);
  assert.ok(hops[3].setCookies.length > 0, 'Auth0 sets cookies on /authorize: their names are listed');
  for (const h of hops) {
    for (const n of [...h.query, ...h.setCookies, ...(h.location?.query ?? [])])
      assert.match(n, /^[\w.-]+$/, `a name, not a value: ${n}`);
    if (h.status === 302) assert.ok(h.location?.host, 'redirects say where they pointed');
  }
  // No value of any sign-in parameter, no secret or token the sandbox issued (IAP and STS states,
  // nonces, codes, sessions, client secrets, access tokens), no cookie value.
  assert.doesNotMatch(text, /\b(code|state|nonce|redirect_token_v2|continueUrl)=/);
  assert.doesNotMatch(text, /__Host-[\w-]+=|_interaction=/);
}

/** Never another file, never into a missing folder: exit 2 before any request. */
async function assertRefusesOtherFiles(sb: Sandbox, run: Run, cwd: string) {
  await writeFile(path.join(cwd, 'notes.txt'), 'my notes\n');
  const before = (await requestLog(sb)).at(-1)?.seq ?? 0;
  const cases: [string, RegExp][] = [
    ['notes.txt', /--report: notes\.txt exists and is not an iap-auth0 report, so it is not overwritten/],
    ['.iap-auth0/state.json', /--report: \.iap-auth0\/state\.json is the state file/],
    ['missing/report.json', /--report: the folder .*missing does not exist/],
    ['.iap-auth0', /--report: \.iap-auth0 exists and is not a regular file/],
  ];
  for (const [target, message] of cases) {
    const refused = await run('verify', '--report', target);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, message);
  }
  assert.equal(await readFile(path.join(cwd, 'notes.txt'), 'utf8'), 'my notes\n');
  assert.deepEqual(await requestLog(sb, before), []);
  await mkdir(path.join(cwd, 'missing'));
  assert.equal((await run('verify', '--report', 'missing/report.json')).code, 0);
}

test('verify --report: every hop, names only, no secret; replaces its own report, refuses any other file', async () => {
  const sb = await useSandbox({ signinHops: 'signin-path' });
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-report-'));
  const outputs: string[] = [];
  const run = cli(sb.env, cwd, outputs);
  assert.equal((await run('init', '--yes', '--service', 'hello')).code, 0);
  assert.equal((await run('verify', '--wait', '30s')).code, 0);
  const state = JSON.parse(await readFile(path.join(cwd, '.iap-auth0', 'state.json'), 'utf8'));

  const since = (await requestLog(sb)).at(-1)?.seq ?? 0;
  const r = await run('verify', '--json', '--report', 'report.json');
  assert.equal(r.code, 0, r.stderr);
  const file = path.join(cwd, 'report.json');
  assert.equal(r.doc!.report, file);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  const text = await readFile(file, 'utf8');
  const report = JSON.parse(text);
  assertReportHeader(report, r.doc!, state);
  await assertReportHops(sb, since, report, text, state);
  const leak = await assertNoSecretLeaked(sb, outputs, [cwd]);
  assert.ok(leak.secrets > 10, `the search covered the chain's issued values too (${leak.secrets})`);

  // Run again: the report is replaced (it is a report of the latest run).
  assert.equal((await run('verify', '--report', 'report.json')).code, 0);
  assert.notEqual(JSON.parse(await readFile(file, 'utf8')).startedAt, report.startedAt);
  await assertRefusesOtherFiles(sb, run, cwd);
});
