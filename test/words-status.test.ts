// Words that are true (issue 15, item 3): status names stages and records as people know them (no
// state-file keys such as providerSecretFor or added; an interrupted stage is "interrupted", not
// "in-progress"), and a reader that goes away (`status | head -1`) ends the output quietly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli, BIN } from './helpers/cli.js';
import { stateWords, statusReport } from '../src/core/status.js';
import { ADDED_FALLBACK, addedRow, labelledResources } from '../src/core/resource-labels.js';
import { STAGES, type StageId } from '../src/core/stage-graph.js';

/** A state file as a run interrupted during the deploy leaves it (written by hand: status reads files alone). */
const interruptedState = {
  version: 1,
  tool: 'iap-auth0',
  createdAt: '2026-11-22T00:00:00.000Z',
  updatedAt: '2026-11-22T00:05:00.000Z',
  setupId: 'abcd2345',
  inputs: {
    project: 'sandbox-project',
    region: 'us-central1',
    service: 'hello',
    image: 'us-docker.pkg.dev/cloudrun/container/hello',
    auth0Domain: 'tenant.eu.auth0.com',
    pool: 'iap-hello-us-central1-sandbox-project',
    provider: 'auth0',
    oauthClient: 'iap-auth0-hello-us-central1',
    allow: ['pool'],
    scope: 'service',
    audienceEnv: true,
  },
  stages: {
    deploy: {
      status: 'in-progress',
      error: 'interrupted',
      resources: { serviceAccount: 'iap-hello@sandbox-project.iam.gserviceaccount.com' },
      added: ['serviceAccount:service-415104041262@gcp-sa-iap.iam.gserviceaccount.com'],
    },
    'auth0-app': { status: 'done', resources: { clientId: 'abc', signInIssuer: 'https://tenant.eu.auth0.com/' } },
    'workforce-pool': {
      status: 'in-progress',
      error: 'waiting for Auth0 application, which failed',
      resources: { pool: 'locations/global/workforcePools/p', providerSecretFor: 'abc' },
    },
    'oauth-client': { status: 'failed', error: 'quota exceeded' },
    'iap-settings': {
      status: 'done',
      resources: { iapResource: 'projects/1/iap_web/cloud_run-us-central1/services/hello' },
      added: ['iapSettings.accessSettings.identitySources'],
    },
  },
};

test('status words: each stored status said as people read it', () => {
  assert.equal(stateWords('in-progress', 'interrupted'), 'interrupted');
  assert.equal(stateWords('in-progress'), 'started, not finished');
  assert.equal(
    stateWords('in-progress', 'waiting for Cloud Run service, which failed'),
    'not finished: waiting for Cloud Run service, which failed',
  );
  assert.equal(stateWords('pending'), 'not started');
  assert.equal(stateWords('destroying', 'interrupted'), 'destroy interrupted');
  assert.equal(stateWords('done'), 'done');
  assert.equal(stateWords('failed', 'x'), 'failed');
});

test('the Action stage without role: or group: is "not needed", never "done" as if an Action existed', () => {
  const finished = (allow: string[], action: Record<string, string>) =>
    statusReport('state.json', {
      ...interruptedState,
      inputs: { ...interruptedState.inputs, allow },
      stages: { 'auth0-action': { status: 'done', resources: action } },
    } as unknown as Parameters<typeof statusReport>[1]).stages.find((x) => x.id === 'auth0-action')!;
  assert.equal(finished(['pool'], {}).state, 'not needed (no role: or group: in --allow)');
  assert.equal(finished(['email:alice@example.com'], {}).status, 'done'); // --json keeps the file's status
  assert.equal(finished(['role:admin'], { actionId: 'act_1' }).state, 'done');
  assert.equal(finished(['group:eng'], { actionId: 'act_1' }).state, 'done');
  // Recorded but no longer needed (a re-run is about to remove it): said as the file says.
  assert.equal(finished(['pool'], { actionId: 'act_1' }).state, 'done');
});

test('records in words: bookkeeping keys hidden, added lists named for what they hold', () => {
  const rows = labelledResources('workforce-pool', interruptedState.stages['workforce-pool']);
  assert.deepEqual(
    rows.map((r) => r.label),
    ['pool'],
  );
  assert.deepEqual(
    labelledResources('deploy', interruptedState.stages.deploy).map((r) => [r.label, r.value]),
    [
      ['service account', 'iap-hello@sandbox-project.iam.gserviceaccount.com'],
      ['invoker granted to', 'serviceAccount:service-415104041262@gcp-sa-iap.iam.gserviceaccount.com'],
    ],
  );
  assert.deepEqual(
    labelledResources('iap-settings', interruptedState.stages['iap-settings']).map((r) => [r.label, r.value]),
    [
      ['IAP resource', 'projects/1/iap_web/cloud_run-us-central1/services/hello'],
      ['settings set', 'identitySources'],
    ],
  );
});

/**
 * Every kind of `added` entry a stage records, as the stage writes it (each file under
 * src/core/stages that assigns a stage's `added`; the test below finds them all), with the row
 * people must see for it.
 */
const ADDED_ENTRIES: Record<StageId, [entry: string, label: string, value: string][]> = {
  // deploy/apply.ts: members granted the invoker role (the IAP service agent).
  deploy: [
    [
      'serviceAccount:service-415104041262@gcp-sa-iap.iam.gserviceaccount.com',
      'invoker granted to',
      'serviceAccount:service-415104041262@gcp-sa-iap.iam.gserviceaccount.com',
    ],
  ],
  'auth0-app': [],
  // workforce-provider.ts: the mappings added to a provider shared or adopted (desiredMapping's keys).
  'workforce-pool': ['google.subject', 'google.email', 'google.display_name', 'google.groups', 'attribute.email'].map(
    (k) => [`attributeMapping.${k}`, 'mapping added to a shared provider', k],
  ),
  // oauth-client.ts: IAP's redirect URI added to a client shared or adopted.
  'oauth-client': [
    [
      'allowedRedirectUris:https://iap.googleapis.com/v1/oauth/clientIds/abc.apps.googleusercontent.com:handleRedirect',
      'redirect URI added to a shared OAuth client',
      'https://iap.googleapis.com/v1/oauth/clientIds/abc.apps.googleusercontent.com:handleRedirect',
    ],
  ],
  // iap-settings.ts: the settings' field paths (IAP_SETTINGS_MASK).
  'iap-settings': [
    ['iapSettings.accessSettings.identitySources', 'settings set', 'identitySources'],
    ['iapSettings.accessSettings.workforceIdentitySettings', 'settings set', 'workforceIdentitySettings'],
  ],
  // access.ts: members granted access.
  access: [
    [
      'principalSet://iam.googleapis.com/locations/global/workforcePools/p/*',
      'access granted to',
      'principalSet://iam.googleapis.com/locations/global/workforcePools/p/*',
    ],
  ],
  'auth0-action': [],
};

/** The files under src/core/stages that assign a stage's `added` list. */
async function filesRecordingAdded(dir = 'src/core/stages'): Promise<string[]> {
  const found: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) found.push(...(await filesRecordingAdded(p)));
    else if (e.name.endsWith('.ts') && /\.added = /.test(await readFile(p, 'utf8'))) found.push(p);
  }
  return found.sort();
}

test('every kind of added entry a stage records has a label people read, never a state-file key', async () => {
  // A new place that records `added` must add its kind to ADDED_KINDS and to ADDED_ENTRIES above.
  assert.deepEqual(await filesRecordingAdded(), [
    'src/core/stages/access.ts',
    'src/core/stages/deploy/apply.ts',
    'src/core/stages/iap-settings.ts',
    'src/core/stages/oauth-client.ts',
    'src/core/stages/workforce-provider.ts',
  ]);
  for (const stage of STAGES)
    for (const [entry, label, value] of ADDED_ENTRIES[stage]) {
      const row = addedRow(stage, entry);
      assert.deepEqual(row, { label, value }, `${stage}: ${entry}`);
      assert.notEqual(row.label, ADDED_FALLBACK, `${stage}: ${entry}`);
      assert.doesNotMatch(row.label, /^added$|[a-z][A-Z]|\.|:/, `${stage}: ${entry}`);
      assert.doesNotMatch(row.value, /^(allowedRedirectUris|attributeMapping|iapSettings)\b/, `${stage}: ${entry}`);
    }
  // Two kinds in one list are two rows; an entry of a kind no table knows still gets words as its label.
  assert.deepEqual(
    labelledResources('workforce-pool', {
      added: ['attributeMapping.google.groups', 'attributeMapping.attribute.email'],
    }),
    [{ key: 'added', label: 'mapping added to a shared provider', value: 'google.groups, attribute.email' }],
  );
  assert.equal(addedRow('auth0-app', 'somethingNew').label, ADDED_FALLBACK);
});

test('status of a setup sharing an OAuth client and a provider: the added rows in words', async () => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-words-'));
  await mkdir(path.join(cwd, '.iap-auth0'));
  const shared = {
    ...interruptedState,
    stages: {
      'workforce-pool': {
        status: 'done',
        resources: {
          pool: 'locations/global/workforcePools/p',
          provider: 'locations/global/workforcePools/p/providers/a',
        },
        adopted: ['pool', 'provider'],
        added: ['attributeMapping.google.groups'],
      },
      'oauth-client': {
        status: 'done',
        resources: { oauthClient: 'projects/p/locations/global/oauthClients/c', clientId: 'abc' },
        adopted: ['oauthClient'],
        added: ['allowedRedirectUris:https://iap.googleapis.com/v1/oauth/clientIds/abc:handleRedirect'],
      },
    },
  };
  await writeFile(path.join(cwd, '.iap-auth0', 'state.json'), JSON.stringify(shared, null, 2));
  const r = await runCli(['status'], {}, cwd);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ {4}mapping added to a shared provider {2}google\.groups$/m);
  assert.match(
    r.stdout,
    /^ {4}redirect URI added to a shared OAuth client {2}https:\/\/iap\.googleapis\.com\/v1\/oauth\/c/m,
  );
  assert.doesNotMatch(r.stdout, /allowedRedirectUris|attributeMapping|^ +added /m, r.stdout);
});

async function folderWithState(): Promise<string> {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-words-'));
  await mkdir(path.join(cwd, '.iap-auth0'));
  await writeFile(path.join(cwd, '.iap-auth0', 'state.json'), JSON.stringify(interruptedState, null, 2));
  return cwd;
}

test('status after an interruption: user-facing names only, interrupted is not in progress', async () => {
  const cwd = await folderWithState();
  const r = await runCli(['status'], {}, cwd);
  assert.equal(r.code, 0, r.stderr);
  for (const internal of ['providerSecretFor', 'added', 'in-progress', 'serviceAccount', 'iapResource', 'signInIssuer'])
    assert.doesNotMatch(
      r.stdout,
      new RegExp(`^ *(${internal}\\b|.* ${internal}$)`, 'm'),
      `"${internal}":\n${r.stdout}`,
    );
  assert.match(r.stdout, /^- Cloud Run service +interrupted$/m);
  assert.match(r.stdout, /^ {4}service account +iap-hello@sandbox-project\.iam\.gserviceaccount\.com$/m);
  assert.match(r.stdout, /^ {4}invoker granted to +serviceAccount:service-415104041262@/m);
  assert.match(r.stdout, /Workforce pool and provider +not finished: waiting for Auth0 application, which failed/);
  assert.match(r.stdout, /^✗ IAP OAuth client +failed\n {4}error +quota exceeded$/m);
  assert.match(r.stdout, /^ {4}settings set +identitySources$/m);
  assert.match(r.stdout, /^ {2}Access +not started$/m);
  // --json keeps the file's own statuses (for scripts) and adds the words.
  const doc = JSON.parse((await runCli(['status', '--json'], {}, cwd)).stdout);
  assert.equal(doc.stages[0].status, 'in-progress');
  assert.equal(doc.stages[0].state, 'interrupted');
});

test('a reader that goes away ends the output quietly: no EPIPE stack, exit 0', async () => {
  const cwd = await folderWithState();
  // `status | head -1`, made certain: the reading end is closed before the CLI writes its first line.
  const child = spawn(process.execPath, ['--', BIN, 'status'], {
    cwd,
    env: { PATH: process.env.PATH! },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((r) => child.on('close', r));
  assert.equal(stderr, '');
  assert.equal(code, 0);
});

test("init's words after Ctrl-C: interrupted, with what each stage was doing and had made; never failed", async () => {
  const { notFinishedLines } = await import('../src/cli/commands/init.js');
  const result = {
    stages: [
      {
        id: 'deploy',
        title: 'Cloud Run service',
        ok: false,
        code: 'INTERRUPTED',
        error: 'interrupted',
        interrupted: true,
        during: 'deploying hello',
        made: ['service account: sa@p.iam.gserviceaccount.com'],
      },
      { id: 'oauth-client', title: 'IAP OAuth client', ok: true, summary: 'x' },
      {
        id: 'access',
        title: 'Access',
        ok: false,
        error: 'interrupted',
        interrupted: true,
        during: 'waiting for Cloud Run service',
      },
    ],
  } as unknown as import('../src/core/init.js').InitResult;
  assert.deepEqual(notFinishedLines(result, true), [
    'Done before the interruption: IAP OAuth client. Not finished: Cloud Run service, Access.',
    '  Cloud Run service: interrupted while deploying hello',
    '    made so far: service account: sa@p.iam.gserviceaccount.com',
    '  Access: interrupted while waiting for Cloud Run service',
    'Interrupted. Run iap-auth0 init again to resume where it stopped.',
  ]);
});
