// The guided init as a person meets it (issue 15, "Done when"): `init` driven through a real
// terminal (a tmux pane 80 columns wide) from an empty folder to a finished setup on the sandbox,
// asserting the screens: the checked account/project/tenant lines, at most four questions for the
// README's scenario, the plan at 80 columns with no word broken, "Apply? (Y/n)", one progress line
// per stage and the final summary. A second run answers "n" to Apply: nothing is written, in the
// cloud (the sandbox's request log) or in its folder. More paths: an existing service iap-auth0 did
// not create (someone's app): "Use it?" answered "n" ends the run with nothing written, answered
// yes (standing for --adopt) uses it and keeps its image; and "only some email addresses", a
// malformed one first. No row of a question is wider than the terminal's 80 columns.
//
// IAP_AUTH0_TRANSCRIPT=FILE writes the first run's screens there (the README's transcript is one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useSandbox, requestLog, clientsFor, waitOperation, enableRunApis } from './helpers/sandbox.js';
import { BIN, unwrapped } from './helpers/cli.js';
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

/** Someone's app already on Cloud Run (not iap-auth0's), created through the Run API as another client would. */
async function seedForeignService(sb: Sandbox, id: string, image: string): Promise<void> {
  const g = clientsFor(sb);
  await enableRunApis(sb);
  const op = (
    await g.run.projects.locations.services.create({
      parent: 'projects/sandbox-project/locations/us-central1',
      serviceId: id,
      requestBody: { labels: { team: 'finance' }, template: { containers: [{ image }] } },
    })
  ).data;
  await waitOperation(() => g.run.projects.locations.operations.get({ name: op.name! }));
}

/** The rows of the screen wider than the terminal (none, when every question fits its 80 columns). */
const tooWide = (screen: string) => screen.split('\n').filter((l) => l.length > WIDTH);

/** The question before using a service iap-auth0 did not create, for the service `name`. */
async function adoptQuestion(p: ReturnType<typeof pane>, name: string): Promise<string> {
  const q = await p.until(/Use it\? .*\(Y\/n\)/, 'the question before using the service');
  assert.match(q, new RegExp(`^Service ${name} exists and iap-auth0 did not create it\\.$`, 'm'));
  assert.match(q, /^\? Use it\? iap-auth0 changes only what IAP needs and never deletes it \(Y\/n\)$/m);
  assert.doesNotMatch(q, /Container image to deploy|Its image|Who may sign in/, 'asked before the image');
  assert.deepEqual(tooWide(p.text(true)), [], 'no row reaches past 80 columns');
  return q;
}

/** Someone's service, without --adopt: "n" to "Use it?" ends the run (exit 2), nothing written anywhere. */
async function foreignDeclined(sb: Sandbox, run: Run): Promise<void> {
  await seedForeignService(sb, 'ledger', 'europe-west1-docker.pkg.dev/sandbox-project/apps/ledger:v2');
  const since = (await requestLog(sb)).at(-1)?.seq ?? 0;
  const { cwd, p } = await run('foreign-no', '--service ledger --region us-central1');
  try {
    await adoptQuestion(p, 'ledger');
    p.keys('n', 'Enter');
    const end = await p.until(/EXIT=\d+/, 'init to end');
    assert.match(end, /^✔ Use it\? iap-auth0 changes only what IAP needs and never deletes it No$/m);
    assert.match(end, /^iap-auth0: nothing was changed; choose another service name, or pass --adopt$/m);
    assert.doesNotMatch(end, /Container image|Who may sign in|Apply\?/, 'no further question');
    assert.match(end, /EXIT=2/);
  } finally {
    p.kill();
  }
  assert.deepEqual(
    (await requestLog(sb, since)).filter((r) => r.mutating),
    [],
    'no write',
  );
  const stateDir = await readdir(path.join(cwd, '.iap-auth0')).catch(() => [] as string[]);
  assert.ok(!stateDir.includes('state.json'), 'no state file');
}

/** An existing service, "Use it?" yes: "Keep the existing service's image" deploys nothing; its image stays. */
async function keepExistingImage(sb: Sandbox, run: Run): Promise<void> {
  const image = 'europe-west1-docker.pkg.dev/sandbox-project/apps/budget:v7';
  const img = image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); // as a pattern
  await seedForeignService(sb, 'budget', image);
  const { p } = await run('kept', '--service budget --region us-central1');
  try {
    await adoptQuestion(p, 'budget');
    p.keys('Enter'); // yes (the default): as --adopt
    const q = await p.until(/Service budget exists\. Its image/, 'the existing-service question');
    assert.match(q, /^✔ Use it\? iap-auth0 changes only what IAP needs and never deletes it Yes$/m);
    assert.match(q, /^\? Service budget exists\. Its image$/m);
    // The choice names the image it keeps (inquirer wraps it at 80 columns, at the space before it).
    assert.match(q, new RegExp(`^❯ Keep the existing service's image\\s+\\(${img}\\)$`, 'm'));
    assert.match(q, /^ {2}Deploy another image$/m);
    assert.doesNotMatch(q, /Container image to deploy/, 'no image asked before the choice');
    p.keys('Enter'); // keep (the first choice)
    await p.until(/Who may sign in\?/, 'who may sign in');
    p.keys('Enter');
    await p.until(/Customise ids\?/, 'the ids');
    p.keys('Enter');
    const plan = await p.until(/Apply\? \(Y\/n\)/, 'the Apply question');
    assert.doesNotMatch(plan, /Container image to deploy/, 'keeping the image asks for none');
    assert.match(plan, /^Your answers as flags: --adopt --allow pool$/m, 'yes to "Use it?" is --adopt; no --image');
    const words = unwrapped(plan);
    assert.match(
      words,
      new RegExp(`^ {4}- use \\(adopt\\) service budget \\([^)]*\\): keeps image ${img}; `, 'm'),
      'the plan keeps the image',
    );
    assert.doesNotMatch(words, /→/, 'no image change in the plan');
    p.keys('Enter'); // Apply: yes
    // Why to wait is a row of its own: the question fits 80 columns, no row wrapped.
    const verify = await p.until(/Verify now, waiting for them/, 'the verify question');
    assert.match(verify, /^IAM changes take 2 to 7 minutes to reach IAP\.\n\? Verify now, waiting for them /m);
    assert.match(verify, /^\? Verify now, waiting for them \(up to 10 minutes\)\? \(Y\/n\)$/m);
    assert.deepEqual(tooWide(p.text(true)), [], 'no row reaches past 80 columns');
    p.keys('n', 'Enter');
    const end = await p.until(/EXIT=\d+/, 'init to end');
    assert.match(end, /EXIT=0/);
    assert.match(end, new RegExp(`^ {2}kept its image ${img} and$`, 'm'), 'the deploy line');
    assert.match(end, /^Done\. Your app: https:\/\/127\.0\.0\.1:\d+$/m);
    assert.match(end, /^Who can sign in: everyone in your Auth0 tenant$/m);
    assert.match(end, /^Next: iap-auth0 verify --wait$/m);
  } finally {
    p.kill();
  }
  const name = 'projects/sandbox-project/locations/us-central1/services/budget';
  const after = (await clientsFor(sb).run.projects.locations.services.get({ name })).data;
  assert.deepEqual(
    after.template?.containers?.map((c) => c.image),
    [image],
    'the image in the cloud is the original one',
  );
  assert.equal(after.iapEnabled, true);
}

/** "Only some email addresses": a malformed one is refused in place; a verified one becomes --allow email:. */
async function someEmails(run: Run): Promise<void> {
  const { cwd, p } = await run('emails', '--service mailed --region us-central1');
  try {
    await p.until(/Container image to deploy/, 'the first question');
    p.keys('Enter');
    await p.until(/Only some email addresses \(verified in Auth0\)/, 'the choices');
    p.keys('Down', 'Enter');
    await p.until(/Email addresses \(separated by commas\)/, 'the emails question');
    p.keys('-l', 'alice-at-example');
    p.keys('Enter');
    const bad = await p.until(/is not an email address/, 'the validation message');
    assert.match(bad, /^\? Email addresses \(separated by commas\) alice-at-example$/m, 'the answer stays');
    // It speaks of what is typed here, not of --allow's email: values (typing those doubled the prefix).
    assert.match(
      bad.replace(/\s*\n\s*/g, ' '), // inquirer wraps it at a space
      /> "alice-at-example" is not an email address: type addresses such as alice@example\.com, separated by commas/,
    );
    assert.doesNotMatch(bad, /email:|--allow/, 'no --allow advice');
    assert.deepEqual(tooWide(p.text(true)), [], 'no row reaches past 80 columns');
    assert.doesNotMatch(bad, /EXIT=|Customise ids/, 'still at the question');
    p.keys('C-u'); // clear the line, then a verified sandbox user, as --allow spells it: the prefix is not doubled
    p.keys('-l', 'email:alice@sandbox.example');
    p.keys('Enter');
    await p.until(/Customise ids\?/, 'the ids');
    p.keys('Enter');
    const plan = await p.until(/Apply\? \(Y\/n\)/, 'the Apply question');
    assert.match(plan, /^✔ Email addresses \(separated by commas\) email:alice@sandbox\.example$/m);
    assert.match(plan, /Your answers as flags: --image \S+\n {2}--allow email:alice@sandbox\.example$/m);
    const words = unwrapped(plan);
    assert.match(words, /^ {4}- grant IAP on service mailed to email alice@sandbox\.example: /m, 'the grant');
    assert.match(
      words,
      /attribute condition \(has\(attribute\.email\) && attribute\.email in \["alice@sandbox\.example"\]\)/,
      'the provider admits only that address',
    );
    p.keys('Enter'); // Apply: yes
    await p.until(/Verify now, waiting for them/, 'the verify question');
    p.keys('n', 'Enter');
    const end = await p.until(/EXIT=\d+/, 'init to end');
    assert.match(end, /EXIT=0/);
    // The Access line names the member granted in the plan's words, not as IAM's principal set.
    assert.match(end, /^✓ Access: email alice@sandbox\.example may sign in$/m);
    assert.doesNotMatch(end, /principalSet:/);
    assert.match(end, /^Who can sign in: email alice@sandbox\.example$/m);
  } finally {
    p.kill();
  }
  const state = JSON.parse(await readFile(path.join(cwd, '.iap-auth0', 'state.json'), 'utf8'));
  assert.deepEqual(state.inputs.allow, ['email:alice@sandbox.example']);
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
  await t.test('someone\'s service: "n" to "Use it?" ends the run, exit 2, nothing written', () =>
    foreignDeclined(sb, run),
  );
  await t.test('someone\'s service: "Use it?" yes, then "Keep the existing service\'s image" leaves it as it was', () =>
    keepExistingImage(sb, run),
  );
  await t.test('who may sign in: some email addresses; a malformed one is refused in place', () => someEmails(run));
  await t.test('"n" to Apply: nothing is written, in the cloud or in the folder; exit 0', () => declined(sb, run));
});
