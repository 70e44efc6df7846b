// `iap-auth0 init` as a user runs it: a child process fed only the sandbox's variables. Bad or
// missing input exits 2 before any request; --dry-run changes nothing; a full run ends at a
// working sign-in; a re-run changes nothing; no secret appears anywhere the tool writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ManagementClient } from 'auth0';
import { useSandbox, clientsFor, requestLog, moveClock } from './helpers/sandbox.js';
import { Browserless } from './helpers/browserless.js';
import { runCli, unwrapped } from './helpers/cli.js';
import { createRenderer } from '../src/cli/render.js';
import { planWords } from '../src/cli/plan-words.js';
import { STAGES, STAGE_TITLES } from '../src/state/names.js';
import type { PlanItem } from '../src/core/stage.js';

// The child gets only the sandbox's variables (plus PATH and the test CA), as a user's shell would.
const cli = (args: string[], env: Record<string, string>, cwd: string) => runCli(['init', ...args], env, cwd);

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
test('init CLI', async (t) => {
  const sb = await useSandbox();
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-init-'));
  const lastSeq = async () => (await requestLog(sb)).at(-1)?.seq ?? 0;

  await t.test('missing and bad input: exit 2 naming the flag, zero requests, nothing written', async () => {
    const since = await lastSeq();
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--yes'], sb.env, /missing --service/],
      [['--yes', '--service', 'Bad_Name'], sb.env, /--service: service name "Bad_Name" is invalid/],
      [['--yes', '--service', 'hello', '--pool', 'gcp-reserved'], sb.env, /--pool: .*reserved/],
      [
        ['--yes', '--service', 'hello', '--auth0-domain', 'https://tenant.auth0.com/api/v2'],
        sb.env,
        /--auth0-domain: .*no path/,
      ],
      [['--yes', '--service', 'hello', '--allow', 'alice@example.com'], sb.env, /--allow/],
      // The same from a variable: the message names the variable.
      [['--yes'], { ...sb.env, IAP_AUTH0_SERVICE: 'Bad_Name' }, /IAP_AUTH0_SERVICE: service name "Bad_Name"/],
      [['--yes', '--service', 'hello'], { ...sb.env, IAP_AUTH0_ALLOW: 'pool, alice@example.com' }, /IAP_AUTH0_ALLOW: /],
      [['--yes', '--service', 'hello'], { ...sb.env, IAP_AUTH0_POOL: 'gcp-reserved' }, /IAP_AUTH0_POOL: .*reserved/],
      [
        ['--yes', '--service', 'hello'],
        { ...sb.env, AUTH0_CLIENT_SECRET: '' },
        /AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET must be set/,
      ],
      [
        ['--yes', '--service', 'hello'],
        { ...sb.env, CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM: 'http://127.0.0.1:1/iam/' },
        /CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM/,
      ],
    ];
    for (const [args, env, re] of cases) {
      const r = await cli(args, env, cwd);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
    assert.deepEqual(await requestLog(sb, since), [], 'no request reached any API');
    assert.deepEqual(await readdir(cwd), [], 'nothing written');
  });

  await t.test(
    'a project without an organization: exit 2 naming --organization; a project in a folder finds its organization',
    async () => {
      const since = await lastSeq();
      const r = await cli(['--yes', '--dry-run', '--service', 'hello', '--project', 'sandbox-no-org'], sb.env, cwd);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /project sandbox-no-org is not in an organization/);
      assert.match(r.stderr, /--organization/);
      const log = await requestLog(sb, since);
      assert.ok(
        log.length > 0 && log.every((x) => x.api === 'cloudresourcemanager' && !x.mutating),
        'only Resource Manager reads',
      );
      const folder = await cli(
        ['--yes', '--dry-run', '--service', 'hello', '--project', 'sandbox-folder-project'],
        sb.env,
        cwd,
      );
      assert.equal(folder.code, 0, folder.stderr);
      assert.match(folder.stderr, /in organizations\/123456789012/);
      assert.deepEqual(await readdir(cwd), [], 'dry runs write nothing');
    },
  );

  await t.test('--dry-run prints the plan and changes nothing', async () => {
    const since = await lastSeq();
    const r = await cli(['--yes', '--dry-run', '--service', 'hello', '--region', 'europe-west1'], sb.env, cwd);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^The plan:$/m);
    assert.match(r.stderr, /Nothing was changed \(--dry-run\)/);
    assert.match(r.stderr, /^ {2}Cloud Run service\n(?: {4}- .*\n| {6}.*\n)* {4}- create service hello: image /m);
    // In a pipe the plan is wrapped at 100 columns (PIPE_WIDTH), not left in lines of 200 and more.
    assert.ok(
      r.stderr.split('\n').every((l) => l.length <= 100),
      r.stderr,
    );
    assert.deepEqual(
      (await requestLog(sb, since)).filter((x) => x.mutating),
      [],
    );
    assert.deepEqual(await readdir(cwd), [], 'no state file');
  });

  await t.test(
    'the plan a person reads: plain words, a title per stage, wrapped at 80 columns without a broken word',
    async () => {
      const args = ['--json', '--dry-run', '--service', 'hello', '--region', 'europe-west1'];
      const r = await cli(args, sb.env, cwd);
      assert.equal(r.code, 0, r.stderr);
      const { plan } = JSON.parse(r.stdout) as { plan: PlanItem[] };
      // --json keeps the plan's data: the verbs (`none` for the Action this --allow does not need) and stage ids.
      assert.ok(plan.some((p) => p.action === 'none'));
      assert.ok(plan.some((p) => p.stage === 'auth0-app'));
      // The same plan on a terminal 80 columns wide (no guided init: --yes, or a pipe on stdin).
      const out: string[] = [];
      const stream = {
        isTTY: true,
        columns: 80,
        write: (s: string) => out.push(s) > 0,
      } as unknown as NodeJS.WriteStream;
      const ui = await createRenderer({ quiet: false, stream, env: { NO_COLOR: '1' } });
      ui.event({ type: 'plan', items: plan });
      const text = out.join('');
      const lines = text.trimEnd().split('\n');
      assert.equal(lines[0], 'The plan:');
      assert.ok(
        lines.every((l) => l.length <= 80),
        text,
      );
      // Joined back, the lines are the plan's sentences whole: every cut was between words (or after a "/").
      assert.equal(unwrapped(text.trimEnd()), planWords(plan, Number.POSITIVE_INFINITY).join('\n'));
      assert.doesNotMatch(text, /- none\b/, 'no internal verb');
      assert.doesNotMatch(text, new RegExp(`\\((${STAGES.join('|')})\\)`), 'no stage id');
      const titles = lines.filter((l) => /^ {2}\S/.test(l));
      assert.deepEqual(
        titles,
        STAGES.filter((id) => plan.some((p) => p.stage === id)).map((id) => `  ${STAGE_TITLES[id]}`),
        'each stage once, by its title',
      );
      assert.equal(titles.length, 7);
    },
  );

  await t.test('a corrupt state file is refused and left byte for byte', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-corrupt-'));
    const file = path.join(dir, 'state.json');
    await writeFile(file, '{"tool":"iap-auth0","version":1,');
    const r = await cli(['--yes', '--service', 'hello', '--state', file], sb.env, dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not valid JSON/);
    assert.equal(await readFile(file, 'utf8'), '{"tool":"iap-auth0","version":1,');
  });

  await t.test('full run, --json, sign-in works, re-run changes nothing, no secret anywhere', async () => {
    const r = await cli(['--json', '--service', 'hello', '--region', 'europe-west1'], sb.env, cwd);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.ok, true);
    assert.deepEqual(
      doc.stages.map((s: any) => [s.id, s.ok]),
      [
        ['deploy', true],
        ['auth0-app', true],
        ['workforce-pool', true],
        ['oauth-client', true],
        ['iap-settings', true],
        ['access', true],
        ['auth0-action', true],
      ],
    );
    assert.equal(doc.audience, '/projects/415104041262/locations/europe-west1/services/hello');
    const svc = (
      await clientsFor(sb).run.projects.locations.services.get({
        name: 'projects/sandbox-project/locations/europe-west1/services/hello',
      })
    ).data;
    assert.deepEqual(
      svc.template?.containers?.[0].env,
      [{ name: 'IAP_AUDIENCE', value: doc.audience }],
      'the app can read its audience from IAP_AUDIENCE',
    );
    assert.equal(doc.next, 'iap-auth0 verify');
    assert.match(doc.serviceUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(r.stderr, '', '--json keeps stderr quiet when all goes well');

    const stateDir = path.join(cwd, '.iap-auth0');
    assert.equal((await stat(stateDir)).mode & 0o777, 0o700);
    assert.equal((await stat(path.join(stateDir, 'state.json'))).mode & 0o777, 0o600);

    // Sign in as the test user once the binding has propagated.
    await moveClock(sb, sb.world.profile.iamPropagationMs + 20);
    const page = await new Browserless().signIn(
      `${doc.serviceUrl}/`,
      sb.env.IAP_AUTH0_TEST_USER_EMAIL,
      sb.env.IAP_AUTH0_TEST_USER_PASSWORD,
    );
    assert.equal(page.status, 200);
    assert.match(page.text, /IAP assertion verified/);

    // Re-run: zero mutating requests.
    const since = await lastSeq();
    const again = await cli(['--yes'], sb.env, cwd);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(
      (await requestLog(sb, since)).filter((x) => x.mutating).map((x) => `${x.method} ${x.path}`),
      [],
    );

    // No secret in anything the tool printed or wrote.
    const mgmt = new ManagementClient({
      domain: sb.env.AUTH0_DOMAIN,
      clientId: sb.env.AUTH0_CLIENT_ID,
      clientSecret: sb.env.AUTH0_CLIENT_SECRET,
    });
    const state = JSON.parse(await readFile(path.join(stateDir, 'state.json'), 'utf8'));
    const app = await mgmt.clients.get(state.stages['auth0-app'].resources.clientId);
    const cred = (
      await clientsFor(sb).iam.projects.locations.oauthClients.credentials.get({
        name: state.stages['oauth-client'].resources.credential,
      })
    ).data;
    const written = [
      r.stdout,
      r.stderr,
      again.stdout,
      again.stderr,
      ...(await Promise.all((await readdir(stateDir)).map((f) => readFile(path.join(stateDir, f), 'utf8')))),
    ].join('\n');
    for (const secret of [
      app.client_secret!,
      cred.clientSecret!,
      sb.env.AUTH0_CLIENT_SECRET,
      sb.env.CLOUDSDK_AUTH_ACCESS_TOKEN,
    ]) {
      assert.ok(secret.length > 8);
      assert.ok(!written.includes(secret), 'a secret leaked');
    }
  });

  await t.test('a second init on the same state file with another service is refused', async () => {
    const r = await cli(['--yes', '--service', 'other'], sb.env, cwd);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--service is "other" but this state file was set up with "hello"/);
  });
});
