// The export's builders, pure, on a setup that holds more than iap-auth0 made: an adopted service
// with its own account, volumes, a probe, a secret-looking env value and a Secret Manager reference;
// an Auth0 app with an addon and a key-based authentication method; IAP settings with reauth. What
// the folder cannot write is named (notes and README), a secret-looking value becomes a sensitive
// variable without a default, and the folder still holds to the providers' evidence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildFiles } from '../src/core/export/files.js';
import { driftProblems } from '../src/core/export/drift.js';
import { checkAgainstFixture, parseFolder } from './helpers/terraform.js';
import type { ExportInput } from '../src/core/export/live.js';

const POOL = 'locations/global/workforcePools/iap-app-us-central1-p1';
const MEMBER = `principalSet://iam.googleapis.com/${POOL}/*`;
const IAP = 'projects/123/iap_web/cloud_run-us-central1/services/app';
const PASSWORD = 'hunter2-do-not-write-me';

function input(): ExportInput {
  const done = (resources: Record<string, string>, extra = {}) => ({
    status: 'done' as const,
    operations: {},
    resources,
    ...extra,
  });
  return {
    state: {
      version: 1,
      tool: 'iap-auth0',
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
      setupId: 'abcdefgh',
      inputs: {
        ...{ project: 'p1', projectNumber: '123', organization: '42', region: 'us-central1', service: 'app' },
        ...{ image: 'img', auth0Domain: 'tenant.eu.auth0.com', pool: 'iap-app-us-central1-p1', provider: 'auth0' },
        ...{ oauthClient: 'iap-auth0-app-us-central1', allow: ['pool'], scope: 'service' as const },
      },
      stages: {
        deploy: done(
          { service: 'projects/p1/locations/us-central1/services/app', iapAgent: 'x' },
          { adopted: ['service'], added: ['serviceAccount:service-123@gcp-sa-iap.iam.gserviceaccount.com'] },
        ),
        'auth0-app': done({ clientId: 'CLIENTID' }),
        'workforce-pool': done({ pool: POOL, provider: `${POOL}/providers/auth0` }),
        'oauth-client': done({
          oauthClient: 'projects/p1/locations/global/oauthClients/iap-auth0-app-us-central1',
          clientId: 'generated-id',
          credential: 'projects/p1/locations/global/oauthClients/iap-auth0-app-us-central1/credentials/iap-auth0',
        }),
        'iap-settings': done({ iapResource: IAP }),
        access: done({ iapResource: IAP }, { added: [MEMBER] }),
      },
    },
    live: {
      service: {
        ingress: 'INGRESS_TRAFFIC_ALL',
        iapEnabled: true,
        binaryAuthorization: { useDefault: true },
        labels: { 'iap-auth0-shared': 'abcdefgh', team: 'x' },
        template: {
          serviceAccount: 'mine@p1.iam.gserviceaccount.com',
          volumes: [{ name: 'v', emptyDir: {} }],
          containers: [
            {
              name: 'web',
              image: 'europe-docker.pkg.dev/p1/r/web:7',
              livenessProbe: { httpGet: { path: '/' } },
              env: [
                { name: 'MODE', value: 'prod' },
                { name: 'DB_PASSWORD', value: PASSWORD },
                { name: 'API', valueSource: { secretKeyRef: { secret: 'api-key', version: 'latest' } } },
              ],
            },
            { name: 'sidecar', image: 'busybox' },
          ],
        },
      },
      enabledApis: ['iam.googleapis.com', 'run.googleapis.com'],
      pool: { parent: 'organizations/42', displayName: 'p', sessionDuration: '7200s', state: 'ACTIVE' },
      provider: {
        attributeMapping: { 'google.subject': 'assertion.sub' },
        attributeCondition: 'true',
        oidc: {
          issuerUri: 'https://tenant.eu.auth0.com/',
          clientId: 'CLIENTID',
          webSsoConfig: { responseType: 'CODE', assertionClaimsBehavior: 'ONLY_ID_TOKEN_CLAIMS' },
        },
      },
      oauthClient: {
        clientId: 'generated-id',
        clientType: 'CONFIDENTIAL_CLIENT',
        allowedGrantTypes: ['AUTHORIZATION_CODE_GRANT'],
        allowedScopes: ['https://www.googleapis.com/auth/cloud-platform'],
        allowedRedirectUris: ['https://iap.googleapis.com/v1/oauth/clientIds/generated-id:handleRedirect'],
      },
      credential: { displayName: 'iap-auth0 abcdefgh' },
      iapSettings: {
        name: IAP,
        accessSettings: {
          identitySources: ['WORKFORCE_IDENTITY_FEDERATION'],
          workforceIdentitySettings: { workforcePools: [POOL], oauth2: { clientId: 'generated-id' } },
          reauthSettings: { method: 'LOGIN', maxAge: '3600s', policyType: 'MINIMUM' },
        },
      },
      invokerPolicy: {
        bindings: [
          { role: 'roles/run.invoker', members: ['serviceAccount:service-123@gcp-sa-iap.iam.gserviceaccount.com'] },
        ],
      },
      accessPolicy: { bindings: [{ role: 'roles/iap.httpsResourceAccessor', members: [MEMBER] }] },
      auth0Client: {
        client_id: 'CLIENTID',
        name: 'App',
        app_type: 'regular_web',
        callbacks: ['https://auth.cloud.google/signin-callback/x'],
        client_metadata: { managed_by: 'iap-auth0', 'odd key': 'v' },
        addons: { slack: { team: 'x' } },
        token_endpoint_auth_method: 'private_key_jwt',
      },
    },
  };
}

test('export builders: what cannot be written is named, a secret-looking env value becomes a variable', async () => {
  const x = input();
  assert.deepEqual(driftProblems(x), []);
  const plan = buildFiles(x);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-export-builders-'));
  for (const f of plan.files) await writeFile(path.join(dir, f.path), f.content);
  const p = await parseFolder(dir);
  checkAgainstFixture(p);
  const all = plan.files.map((f) => f.content).join('\n');
  assert.ok(!all.includes(PASSWORD), 'the env value that looks like a secret is not written');
  assert.deepEqual(p.variables.env_db_password[0], {
    type: `\${string}`,
    description: 'The value of DB_PASSWORD on the service',
    sensitive: true,
  });
  const c = p.resources.google_cloud_run_v2_service.app[0].template[0].containers;
  assert.deepEqual(c[0].env.find((e: any) => e.name === 'API').value_source[0].secret_key_ref[0], {
    secret: 'api-key',
    version: 'latest',
  });
  assert.equal(c[1].image, 'busybox', 'a second container keeps its own image');
  // An adopted service's account is not this setup's: named as it is, no google_service_account.
  assert.equal(
    p.resources.google_cloud_run_v2_service.app[0].template[0].service_account,
    'mine@p1.iam.gserviceaccount.com',
  );
  assert.equal(p.resources.google_service_account, undefined);
  assert.equal(p.resources.google_cloud_run_v2_service.app[0].lifecycle[0].prevent_destroy, true, 'adopted: kept');
  assert.equal(p.resources.google_iam_workforce_pool.pool[0].lifecycle, undefined, 'created: may be destroyed');
  assert.match(p.files['README.md'], /Adopted by this setup.*services\/app`.*prevent_destroy/);
  for (const note of [
    /Cloud Run service: `binaryAuthorization`/,
    /Cloud Run template: `volumes`/,
    /container web: `livenessProbe`/,
    /Auth0 application: `addons`/,
    /authentication method private_key_jwt/,
    /IAP settings of .*: `reauthSettings`/,
  ])
    assert.ok(plan.notes.some((n) => note.test(n)) && note.test(p.files['README.md']), `${note} named`);
  assert.ok(!plan.notes.some((n) => /labels/.test(n)), 'labels are not managed, so not a gap');
});

test('export builders: the attribute condition is a variable; one iap-auth0 did not write says so', () => {
  const x = input();
  const conditionOf = (files: ReturnType<typeof buildFiles>['files']) => ({
    workforce: files.find((f) => f.path === 'workforce.tf')!.content,
    variables: files.find((f) => f.path === 'variables.tf')!.content,
  });
  const foreign = conditionOf(buildFiles(x).files);
  assert.match(foreign.workforce, /attribute_condition += var\.attribute_condition/);
  assert.match(foreign.variables, /variable "attribute_condition" [\s\S]*iap-auth0 did not write it[\s\S]*"true"/);
  x.state.stages['workforce-pool']!.resources.providerCondition = 'true';
  assert.match(conditionOf(buildFiles(x).files).variables, /Change it together with allowed_members/);
  delete x.live.provider.attributeCondition;
  delete x.state.stages['workforce-pool']!.resources.providerCondition;
  const none = conditionOf(buildFiles(x).files);
  assert.doesNotMatch(none.workforce, /attribute_condition/);
  assert.doesNotMatch(none.variables, /attribute_condition/);
});

test('export builders: drift the export must not paper over', () => {
  const x = input();
  x.live.accessPolicy = { bindings: [] };
  x.live.invokerPolicy = { bindings: [] };
  x.live.iapSettings.accessSettings!.workforceIdentitySettings!.workforcePools = [
    'locations/global/workforcePools/other',
  ];
  const problems = driftProblems(x);
  assert.equal(problems.length, 3, problems.join('\n'));
  assert.match(problems.join('\n'), /service-123@gcp-sa-iap.* no longer holds roles\/run\.invoker/);
  assert.match(problems.join('\n'), /principalSet:.* no longer holds roles\/iap\.httpsResourceAccessor/);
  assert.match(problems.join('\n'), /do not name this setup's pool/);
});

test('export builders: the recorded Action no longer bound to post-login is drift', () => {
  const x = input();
  x.state.stages['auth0-action'] = { status: 'done', operations: {}, resources: { actionId: 'act-1' } };
  x.live.action = {
    id: 'act-1',
    name: 'iap-auth0 groups claim (setup abcdefgh)',
    code: 'exports.onExecutePostLogin = async () => {};',
    supported_triggers: [{ id: 'post-login', version: 'v3' }],
  };
  x.live.actionBound = true;
  assert.deepEqual(driftProblems(x), []);
  x.live.actionBound = false;
  assert.deepEqual(driftProblems(x), ["the post-login Action act-1 is no longer bound to Auth0's post-login trigger"]);
});

test('export builders: a condition other than the one recorded is drift', () => {
  const x = input();
  x.state.stages['workforce-pool']!.resources.providerCondition = 'assertion.sub in ["auth0|alice"]';
  assert.deepEqual(driftProblems(x), [
    'the workforce provider\'s attribute condition is true, the state file records assertion.sub in ["auth0|alice"]',
  ]);
  x.live.provider.attributeCondition = '';
  assert.match(driftProblems(x).join('\n'), /attribute condition is \(none\), the state file records/);
  delete x.live.provider.attributeCondition;
  assert.match(driftProblems(x).join('\n'), /attribute condition is \(none\), the state file records/);
});
