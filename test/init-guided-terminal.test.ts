// The guided init as a person meets it (issue 15, "Done when"): `init` driven through a real
// terminal (a tmux pane 80 columns wide) from an empty folder to a finished setup on the sandbox,
// asserting the screens: the checked account/project/tenant lines, at most four questions for the
// README's scenario, the plan at 80 columns with no word broken, "Apply? (Y/n)", one progress line
// per stage and the final summary. A second run answers "n" to Apply: nothing is written, in the
// cloud (the sandbox's request log) or in its folder.
//
// IAP_AUTH0_TRANSCRIPT=FILE writes the first run's screens there (the README's transcript is one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useSandbox, requestLog } from './helpers/sandbox.js';
import { BIN } from './helpers/cli.js';
import { envFile, hasTmux, NO_TMUX, pane } from './helpers/tmux.js';
import type { Sandbox } from '../src/sandbox/index.js';

const WIDTH = 80;
const TITLES = [
  'Cloud Run service',
  'Auth0 application',
  'Workforce pool and provider',
  'IAP OAuth client',
  'IAP settings',
  'Access',
];

/** Questions answered so far: @inquirer marks each answered question with ✔ at the start of its row. */
const answered = (screen: string) => screen.split('\n').filter((l) => l.startsWith('✔ '));

type Run = (name: string, args: string) => Promise<{ cwd: string; p: ReturnType<typeof pane> }>;

/** The README's command: the service and region given; project and tenant from the environment. */
async function readmeScenario(run: Run): Promise<void> {
  const { p } = await run('guided', '--service hello --region europe-west1 --verify');
  try {
    const first = await p.until(/Container image to deploy/, 'the first question');
    // Checked before the first question: whose credentials, which project, which tenant.
    assert.match(first, /^✓ Google +developer@sandbox\.example \(CLOUDSDK_AUTH_ACCESS_TOKEN\)$/m);
    assert.match(first, /^✓ Project +sandbox-project \(number 415104041262, organization 123456789012\)$/m);
    assert.match(first, /^✓ Auth0 +tenant 127\.0\.0\.1:\d+ \(its credentials are accepted\)$/m);
    p.keys('Enter'); // Google's sample image
    await p.until(/Who may sign in\?/, 'who may sign in');
    p.keys('Enter'); // everyone in the tenant
    await p.until(/Customise ids\?/, 'the ids');
    p.keys('Enter'); // no
    const plan = await p.until(/Apply\? \(Y\/n\)/, 'the Apply question');
    assert.match(plan, /Ids derived from your answers: workforce pool\n {2}iap-hello-europe-west1-sandbox-project/);
    assert.match(plan, /^The plan:$/m);
    for (const title of TITLES) assert.match(plan, new RegExp(`^ {2}${title}$`, 'm'), title);
    // At 80 columns nothing reached the terminal's edge: every row is a line init wrapped itself, at
    // a space or after a "/", so no word is broken (the rows tmux joins back are the rows it shows).
    assert.deepEqual(p.text(true).split('\n'), plan.split('\n'));
    assert.ok(plan.split('\n').every((l) => l.length <= WIDTH));
    assert.match(plan, / iap-hello-europe-west1-sandbox-project[: ]/, 'the pool id is whole on one row');
    p.keys('Enter'); // Apply: yes (the default)
    const end = await p.until(/EXIT=\d+/, 'init to end');
    assert.match(end, /EXIT=0/);
    const questions = answered(end);
    // Four questions, each asked once: the image, who may sign in, the ids, Apply.
    assert.equal(questions.length, 4, questions.join('\n'));
    [/^✔ Container image to deploy /, /^✔ Who may sign in\? /, /^✔ Customise ids\? No$/, /^✔ Apply\? Yes$/].forEach(
      (re, i) => {
        assert.match(questions[i], re);
      },
    );
    // One line per stage, each with its own final state, then the summary and verify's result.
    for (const title of TITLES) assert.match(end, new RegExp(`^✓ ${title}:( |$)`, 'm'), title);
    assert.match(end, /^Done\. Your app: https:\/\/127\.0\.0\.1:\d+$/m);
    assert.match(end, /^Who can sign in: everyone in your Auth0 tenant$/m);
    assert.match(end, /All \d+ checks passed/);
    if (process.env.IAP_AUTH0_TRANSCRIPT) await writeFile(process.env.IAP_AUTH0_TRANSCRIPT, `${end}\n`);
  } finally {
    p.kill();
  }
}

/** The region chosen by typing in the searchable list, then a --dry-run that asks no Apply. */
async function regionAndDryRun(run: Run): Promise<void> {
  const { p } = await run('region', '--service searched --dry-run');
  try {
    await p.until(/Cloud Run region \(type to search\)/, 'the region question');
    p.keys('-l', 'europe-west');
    await p.until(/europe-west4/, 'the regions matching what was typed');
    p.keys('Enter'); // the first match
    await p.until(/Container image to deploy/, 'the image question');
    p.keys('Enter');
    await p.until(/Who may sign in\?/, 'who may sign in');
    p.keys('Enter');
    await p.until(/Customise ids\?/, 'the ids');
    p.keys('Enter');
    const end = await p.until(/EXIT=\d+/, 'init to end');
    assert.match(end, /EXIT=0/);
    assert.match(end, /^✔ Cloud Run region \(type to search\) europe-west1$/m);
    assert.match(end, /Your answers as flags: --region europe-west1 --image\s/);
    assert.match(end, /^The plan:$/m);
    assert.match(end, /^Nothing was changed \(--dry-run\)\.$/m);
    assert.doesNotMatch(end, /Apply\?/);
  } finally {
    p.kill();
  }
}

/** "Only some Auth0 roles": the answer becomes --allow role:NAME, and the plan shows the Action and the grant. */
async function someRoles(run: Run): Promise<void> {
  const { p } = await run('roles', '--service staff --region us-central1 --dry-run');
  try {
    await p.until(/Container image to deploy/, 'the first question');
    p.keys('Enter');
    await p.until(/Only some Auth0 roles/, 'the choices');
    p.keys('Down', 'Down', 'Enter');
    await p.until(/Auth0 role names/, 'the roles question');
    p.keys('-l', 'admin');
    p.keys('Enter');
    await p.until(/Customise ids\?/, 'the ids');
    p.keys('Enter');
    const end = await p.until(/EXIT=\d+/, 'init to end');
    assert.match(end, /EXIT=0/);
    assert.match(end, /^✔ Who may sign in\? Only some Auth0 roles$/m);
    assert.match(end, /Your answers as flags: --image \S+\n {2}--allow role:admin$/m);
    assert.match(end, /^ {2}Auth0 post-login Action$/m, 'the Action stage is in the plan');
    assert.match(end, /^ {4}- grant IAP on service staff to group admin:$/m, 'the grant, in plain words');
    assert.match(end, /^Nothing was changed \(--dry-run\)\.$/m);
  } finally {
    p.kill();
  }
}

/** The plan declined at Apply: nothing is written, in the cloud or in the folder. */
async function declined(sb: Sandbox, run: Run): Promise<void> {
  const since = (await requestLog(sb)).at(-1)?.seq ?? 0;
  const { cwd, p } = await run('declined', '--service other --region us-central1');
  try {
    await p.until(/Container image to deploy/, 'the first question');
    p.keys('Enter');
    await p.until(/Who may sign in\?/, 'who may sign in');
    p.keys('Enter');
    await p.until(/Customise ids\?/, 'the ids');
    p.keys('Enter');
    await p.until(/Apply\? \(Y\/n\)/, 'the Apply question');
    p.keys('n', 'Enter');
    const end = await p.until(/EXIT=\d+/, 'init to end');
    assert.match(end, /✔ Apply\? No/);
    assert.match(end, /^Nothing was changed\. Run iap-auth0 init again when ready\.$/m);
    assert.match(end, /EXIT=0/);
  } finally {
    p.kill();
  }
  const log = await requestLog(sb, since);
  assert.ok(log.length > 0, 'it read the cloud to make the plan');
  assert.deepEqual(
    log.filter((r) => r.mutating),
    [],
    'no write',
  );
  const stateDir = await readdir(path.join(cwd, '.iap-auth0')).catch(() => [] as string[]);
  assert.ok(!stateDir.includes('state.json'), 'no state file');
}

test('init on a real terminal, 80 columns: the screens a person sees, then "n" to Apply changes nothing', {
  skip: hasTmux ? false : NO_TMUX,
}, async (t) => {
  const sb = await useSandbox();
  const run: Run = async (name, args) => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-guided-'));
    const env = await envFile(sb, path.join(cwd, '..', `${path.basename(cwd)}.env`));
    const p = pane(
      `${name}-${process.pid}`,
      `cd ${cwd} && set -a && . ${env} && set +a && clear && ` +
        `${process.execPath} -- ${BIN} init ${args}; echo "EXIT=$?"`,
      { width: WIDTH, joined: false },
    );
    return { cwd, p };
  };
  await t.test('the README scenario, from an empty folder to a finished setup', () => readmeScenario(run));
  await t.test('the region from the searchable list; --dry-run shows the plain-words plan and asks no Apply', () =>
    regionAndDryRun(run),
  );
  await t.test('who may sign in: some Auth0 roles, as --allow role:admin, with the Action in the plan', () =>
    someRoles(run),
  );
  await t.test('"n" to Apply: nothing is written, in the cloud or in the folder; exit 0', () => declined(sb, run));
});
