// The guided init's pure parts (issue 15, item 1): which questions a run asks given its flags,
// how "who may sign in" becomes --allow values, the region search, the answers as flags, and the
// plan in plain words wrapped at the terminal's width without breaking a word.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allowFlags,
  flagLine,
  listProblem,
  questionsFor,
  regionChoices,
  serviceConsent,
  type Known,
} from '../src/cli/wizard/questions.js';
import { decideUse } from '../src/core/ownership.js';
import { changeWords, planWords, shortMember, shortResource } from '../src/cli/plan-words.js';
import { PIPE_WIDTH, widthOf, wrap } from '../src/cli/wrap.js';
import type { PlanItem } from '../src/core/stage.js';

const known = (k: Partial<Known>): Known => ({ flags: {}, env: {}, gcloud: {}, ...k });
const ENV = { GOOGLE_CLOUD_PROJECT: 'my-project', AUTH0_DOMAIN: 'dev-abc.us.auth0.com' };

test('questions: a flag, a variable or the state file answers a question, and it is not asked', () => {
  // The README's scenario: --service and --region given, project and tenant from the environment.
  assert.deepEqual(questionsFor(known({ env: ENV, flags: { service: 'hello', region: 'us-central1' } })), [
    'image',
    'allow',
    'ids',
  ]);
  assert.deepEqual(questionsFor(known({})), ['project', 'auth0Domain', 'service', 'region', 'image', 'allow', 'ids']);
  // gcloud's project is used without asking; its run/region is only offered first.
  assert.deepEqual(
    questionsFor(known({ env: { AUTH0_DOMAIN: 'x.auth0.com' }, gcloud: { project: 'p', region: 'r' } })),
    ['service', 'region', 'image', 'allow', 'ids'],
  );
  assert.deepEqual(
    questionsFor(
      known({
        env: { ...ENV, CLOUDSDK_RUN_REGION: 'europe-west1' },
        flags: { service: 's', image: 'i', allow: ['pool'], pool: 'my-pool' },
      }),
    ),
    [],
  );
  // Every answer has its variable: set, its question is not asked.
  assert.deepEqual(
    questionsFor(
      known({
        env: {
          ...ENV,
          CLOUDSDK_RUN_REGION: 'europe-west1',
          IAP_AUTH0_SERVICE: 's',
          IAP_AUTH0_IMAGE: 'i',
          IAP_AUTH0_ALLOW: 'role:admin email:a@example.com',
        },
      }),
    ),
    ['ids'],
  );
  for (const id of ['IAP_AUTH0_POOL', 'IAP_AUTH0_PROVIDER', 'IAP_AUTH0_OAUTH_CLIENT'])
    assert.deepEqual(questionsFor(known({ env: { ...ENV, [id]: 'x' }, flags: { service: 's' } })), [
      'region',
      'image',
      'allow',
    ]);
  // A re-run: the state file answers everything it recorded.
  const recorded = {
    project: 'p',
    region: 'r',
    service: 's',
    image: 'i',
    auth0Domain: 'd',
    pool: 'x',
    provider: 'auth0',
    oauthClient: 'o',
    allow: ['pool'],
    scope: 'service' as const,
    audienceEnv: true,
  };
  assert.deepEqual(questionsFor(known({ recorded })), []);
});

test('who may sign in → --allow values, through one function', () => {
  assert.deepEqual(allowFlags({ kind: 'everyone' }), ['pool']);
  assert.deepEqual(allowFlags({ kind: 'emails', list: ' a@example.com, b@example.com  c@example.com,a@example.com' }), [
    'email:a@example.com',
    'email:b@example.com',
    'email:c@example.com',
  ]);
  // Role names may hold spaces: only commas separate them.
  assert.deepEqual(allowFlags({ kind: 'roles', list: 'admin, Support Team,' }), ['role:admin', 'role:Support Team']);
  assert.deepEqual(allowFlags({ kind: 'emails', list: ' , ' }), []);
  // A prefix typed as --allow spells it is taken off, never doubled (email:email:… looped at the question).
  assert.deepEqual(allowFlags({ kind: 'emails', list: 'email:a@example.com, EMAIL: b@example.com' }), [
    'email:a@example.com',
    'email:b@example.com',
  ]);
  assert.deepEqual(allowFlags({ kind: 'roles', list: 'role:admin' }), ['role:admin']);
});

test('a bad list at the emails or roles question: words about what is typed there, never --allow advice', () => {
  assert.equal(listProblem({ kind: 'emails', list: 'a@example.com, b@example.com' }), undefined);
  assert.equal(
    listProblem({ kind: 'emails', list: 'a@example.com, alice-at-example' }),
    '"alice-at-example" is not an email address: type addresses such as alice@example.com, separated by commas',
  );
  assert.equal(
    listProblem({ kind: 'emails', list: ' , ' }),
    'none given: type addresses such as alice@example.com, separated by commas',
  );
  assert.equal(listProblem({ kind: 'roles', list: 'admin, support' }), undefined);
  assert.equal(
    listProblem({ kind: 'roles', list: 'admin, Support Team' }),
    '"Support Team" cannot be granted: a role name IAP can name has no spaces and no slash; type role names such ' +
      'as admin, separated by commas',
  );
  for (const list of ['alice-at-example', 'x@', 'a b']) {
    const m = listProblem({ kind: 'emails', list }) ?? '';
    assert.doesNotMatch(m, /email:|--allow/, m);
  }
  assert.doesNotMatch(listProblem({ kind: 'roles', list: 'a/b' }) ?? '', /role:|--allow/);
});

test('an existing service: asked before using it only when init would refuse it without --adopt', () => {
  const me = 'abcd2345';
  const ask = (m: Parameters<typeof decideUse>[0], recorded?: 'created' | 'adopted') =>
    serviceConsent(decideUse(m, me, recorded, false), 'budget');
  // Someone's service (no marker), not recorded by this state file.
  assert.equal(ask(undefined), 'Service budget exists and iap-auth0 did not create it.');
  // Another setup's, or one made by an iap-auth0 without setup ids.
  assert.equal(
    ask({ owner: 'efgh6789', shared: [] }),
    'Service budget exists and iap-auth0 setup efgh6789 created it (not this setup).',
  );
  assert.match(
    ask({ owner: '', shared: [] }) ?? '',
    /^Service budget exists and an iap-auth0 setup without a setup id/,
  );
  // This setup's, created or adopted earlier: nothing asked.
  assert.equal(ask({ owner: me, shared: [] }), undefined);
  assert.equal(ask({ owner: 'efgh6789', shared: [me] }), undefined);
  assert.equal(ask(undefined, 'adopted'), undefined);
  // Recorded as created but its marker gone: --adopt would not help; the core reports it.
  assert.equal(ask(undefined, 'created'), undefined);
  // A new setup's id ('-' until init chooses one) matches no marker, a legacy one's '' included.
  assert.match(serviceConsent(decideUse({ owner: '', shared: [] }, '-', undefined, false), 'b') ?? '', /created it/);
});

test('region search: what was typed filters the list, the offered region first', () => {
  assert.equal(regionChoices(undefined, 'europe-west1')[0], 'europe-west1');
  assert.ok(regionChoices('', 'us-central1').includes('asia-east1'));
  assert.deepEqual(regionChoices('EUROPE-WEST', 'us-central1').slice(0, 3), [
    'europe-west1',
    'europe-west4',
    'europe-west8',
  ]);
  assert.ok(regionChoices('europe', 'us-central1').every((r) => r.includes('europe')));
  assert.deepEqual(regionChoices('nowhere', 'us-central1'), []);
});

test('the answers as flags: only what was asked, quoted when it holds a space', () => {
  assert.equal(
    flagLine(
      { service: 'hello', region: 'us-central1', image: 'img', allow: ['role:Support Team'] },
      { service: 'hello', region: 'us-central1' },
    ),
    "--image img --allow 'role:Support Team'",
  );
  assert.equal(flagLine({ service: 'hello' }, { service: 'hello' }), '');
  // Yes to "Use it?" for an existing service is --adopt; --adopt given is not repeated.
  assert.equal(flagLine({ adopt: true, allow: ['pool'] }, {}), '--adopt --allow pool');
  assert.equal(flagLine({ adopt: true }, { adopt: true }), '');
});

test('wrap: lines never wider than the width, words never broken, long paths cut after a slash', () => {
  const text =
    'create Auth0 app "IAP hello (iap-auth0)": callback https://auth.cloud.google/signin-callback/locations/global/' +
    'workforcePools/iap-hello-europe-west1-sandbox-project/providers/auth0 and more words after it';
  const lines = wrap(text, 80, '    - ', '      ');
  assert.ok(
    lines.every((l) => l.length <= 80),
    lines.join('\n'),
  );
  assert.ok(lines.slice(1).every((l) => l.startsWith('      ')));
  // Rejoined (words by spaces, path pieces directly), the text comes back whole: every cut was at a
  // space or right after a slash, never inside a word.
  const back = lines.map((l) => l.slice(6)).reduce((a, l) => (/\/$/.test(a) ? a + l : `${a} ${l}`));
  assert.equal(back, text);
  assert.deepEqual(wrap('a b c', 80), ['a b c']);
  assert.deepEqual(wrap('aaaa bbbb cccc', 9, '', ' '), ['aaaa bbbb', ' cccc']);
});

const PLAN: PlanItem[] = [
  {
    stage: 'deploy',
    action: 'create',
    resource: 'projects/sandbox-project/locations/us-central1/services/hello',
    reason: 'image us-docker.pkg.dev/cloudrun/container/hello, IAP on',
  },
  {
    stage: 'deploy',
    action: 'none',
    resource: 'the enabled APIs of projects/415104041262',
    reason: 'iam.googleapis.com, run.googleapis.com are enabled',
  },
  {
    stage: 'workforce-pool',
    action: 'create',
    resource: 'locations/global/workforcePools/iap-hello-us-central1-sandbox-project/providers/auth0',
    reason: 'OIDC, Auth0 code flow',
    awaits: "the Auth0 app's client id and secret (auth0-app)",
  },
  {
    stage: 'access',
    action: 'grant',
    resource: 'projects/415104041262/iap_web/cloud_run-us-central1/services/hello',
    members: [
      'principalSet://iam.googleapis.com/locations/global/workforcePools/iap-hello-us-central1-sandbox-project/*',
    ],
    reason: 'roles/iap.httpsResourceAccessor: --allow lists it',
  },
];

test('the plan in plain words: a title per stage, verbs people use, short names, titles for stage ids', () => {
  assert.equal(shortResource('projects/p/locations/r/services/hello'), 'service hello');
  assert.equal(shortResource('projects/1/iap_web/cloud_run-r/services/hello'), 'IAP on service hello');
  assert.equal(shortResource('Auth0 app "x"'), 'Auth0 app "x"');
  assert.equal(
    shortMember('principalSet://iam.googleapis.com/locations/global/workforcePools/p/*'),
    'everyone in pool p',
  );
  assert.equal(
    shortMember('principalSet://iam.googleapis.com/locations/global/workforcePools/p/group/eng'),
    'group eng',
  );
  assert.equal(
    changeWords(PLAN[1]),
    'keep the enabled APIs of projects/415104041262: iam.googleapis.com, run.googleapis.com are enabled',
  );
  assert.match(changeWords(PLAN[2]), /once the Auth0 app's client id and secret \(Auth0 application\) is known$/);
  const lines = planWords(PLAN, 80);
  assert.deepEqual(
    lines.filter((l) => /^ {2}\S/.test(l)),
    ['  Cloud Run service', '  Workforce pool and provider', '  Access'],
  );
  assert.ok(lines.includes('    - grant IAP on service hello to everyone in pool'), lines.join('\n'));
  assert.ok(lines.every((l) => l.length <= 80));
  assert.ok(planWords(PLAN, 40).every((l) => l.length <= 40));
});

test("the width a plan is wrapped at: the terminal's, 80 for a terminal that gives none, 100 off a terminal", () => {
  assert.equal(widthOf({ isTTY: true, columns: 132 }), 132);
  assert.equal(widthOf({ isTTY: true, columns: 0 }), 80);
  assert.equal(widthOf({ isTTY: false }), PIPE_WIDTH);
  assert.equal(PIPE_WIDTH, 100);
});
