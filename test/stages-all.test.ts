// All six init stages together against the sandbox, as `init` will run them: concurrently, then
// the test user signs in through the front door to the app. Also: a re-run changes nothing; an
// untagged Auth0 app with our name and a soft-deleted pool with our id are handled as the issue
// says; no secret reaches the state file or the events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { ManagementClient } from 'auth0';
import type { Sandbox } from '../src/sandbox/index.js';
import { useSandbox, clientsFor, requestLog, waitOperation, moveClock } from './helpers/sandbox.js';
import { makeContext, runOk, type TestContext } from './helpers/core-context.js';
import { Browserless } from './helpers/browserless.js';
import { deployStage } from '../src/core/stages/deploy.js';
import { auth0AppStage } from '../src/core/stages/auth0-app.js';
import { workforcePoolStage } from '../src/core/stages/workforce-pool.js';
import { oauthClientStage } from '../src/core/stages/oauth-client.js';
import { iapSettingsStage } from '../src/core/stages/iap-settings.js';
import { accessStage } from '../src/core/stages/access.js';

const ALL = [deployStage, auth0AppStage, workforcePoolStage, oauthClientStage, iapSettingsStage, accessStage];

/** Someone else's app with our name (no tag), and a pool with our id soft-deleted by an earlier destroy. */
async function seedLookalikes(sb: Sandbox, tc: TestContext, mgmt: ManagementClient) {
  const pools = clientsFor(sb).iam.locations.workforcePools;
  const pool = tc.ctx.inputs.pool;
  // Someone else's app with our name (no tag) must be left alone.
  const foreign = await mgmt.clients.create({
    name: 'IAP hello (iap-auth0)',
    app_type: 'spa',
    callbacks: ['https://elsewhere.example/cb'],
  } as never);
  // A pool with our id and this setup's marker, soft-deleted by an earlier destroy: undeleted, not fought.
  await tc.ctx.apisReady();
  const created = (
    await pools.create({
      location: 'locations/global',
      workforcePoolId: pool,
      requestBody: {
        parent: 'organizations/123456789012',
        description:
          `Managed by iap-auth0 (setup ${tc.ctx.inputs.setupId}): ` + 'workforce pool for Cloud Run service hello',
      },
    })
  ).data;
  await waitOperation(() => pools.operations.get({ name: created.name! }));
  const deleted = (await pools.delete({ name: `locations/global/workforcePools/${pool}` })).data;
  await waitOperation(() => pools.operations.get({ name: deleted.name! }));
  return { foreign };
}

/** The test user reaches the app through IAP (after the access binding has propagated). */
async function assertSignsIn(sb: Sandbox, tc: TestContext) {
  const uri = tc.state.stage('deploy').resources.uri!;
  await moveClock(sb, sb.world.profile.iamPropagationMs + 20);
  const page = await new Browserless().signIn(
    `${uri}/`,
    sb.env.IAP_AUTH0_TEST_USER_EMAIL,
    sb.env.IAP_AUTH0_TEST_USER_PASSWORD,
  );
  assert.equal(page.status, 200);
  assert.match(page.text, new RegExp(sb.env.IAP_AUTH0_TEST_USER_EMAIL.replace('.', '\\.')));
  assert.match(page.text, /IAP assertion verified/);
}

/** No secret in the state file or the events. */
async function assertNoSecretKept(sb: Sandbox, tc: TestContext, appSecret: string) {
  await tc.state.flush();
  const state = await readFile(tc.stateFile, 'utf8');
  const secrets = [
    appSecret,
    tc.ctx.secrets.get('oauthCredentialSecret')!,
    sb.env.AUTH0_CLIENT_SECRET,
    sb.env.CLOUDSDK_AUTH_ACCESS_TOKEN,
  ];
  for (const s of secrets) {
    assert.ok(s && s.length > 8);
    assert.ok(!state.includes(s), 'state file holds no secret');
    assert.ok(!JSON.stringify(tc.events).includes(s), 'events hold no secret');
  }
}

/** A second run on the same state changes nothing, even with every secret forgotten. */
async function assertRerunWritesNothing(sb: Sandbox, tc: TestContext, mgmt: ManagementClient) {
  const since = (await requestLog(sb)).at(-1).seq;
  const again = await makeContext(sb, { setupId: tc.ctx.inputs.setupId }, tc.stateFile);
  await again.state.update((s) => {
    s.stages = structuredClone(tc.state.current.stages);
  });
  await runOk(again, ALL);
  assert.deepEqual(
    (await requestLog(sb, since)).filter((r) => r.mutating).map((r) => `${r.api} ${r.method} ${r.path}`),
    [],
  );
  const tagged = (await mgmt.clients.list({ per_page: 100 })).data.filter(
    (x) => (x.client_metadata as any)?.managed_by === 'iap-auth0',
  );
  assert.equal(tagged.length, 1, 'exactly one tagged Auth0 app');
}

test('all stages: from nothing to a signed-in user', async () => {
  const sb = await useSandbox();
  const pools = clientsFor(sb).iam.locations.workforcePools;
  const mgmt = new ManagementClient({
    domain: sb.env.AUTH0_DOMAIN,
    clientId: sb.env.AUTH0_CLIENT_ID,
    clientSecret: sb.env.AUTH0_CLIENT_SECRET,
  });
  const tc = await makeContext(sb);
  const pool = tc.ctx.inputs.pool;
  const { foreign } = await seedLookalikes(sb, tc, mgmt);

  await runOk(tc, ALL);
  assert.ok(tc.events.some((e) => e.type === 'step' && /undeleting workforce pool/.test(e.text)));
  assert.equal((await pools.get({ name: `locations/global/workforcePools/${pool}` })).data.state, 'ACTIVE');

  const f = await mgmt.clients.get(foreign.client_id!);
  assert.deepEqual(f.callbacks, ['https://elsewhere.example/cb'], 'the untagged app is untouched');
  const ours = await mgmt.clients.get(tc.state.stage('auth0-app').resources.clientId!);
  assert.equal(ours.app_type, 'regular_web');
  assert.deepEqual(ours.callbacks, [
    `${sb.env.IAP_AUTH0_SIGNIN_ORIGIN}/signin-callback/locations/global/workforcePools/${pool}/providers/auth0`,
  ]);
  const prov = (await pools.providers.get({ name: `locations/global/workforcePools/${pool}/providers/auth0` })).data;
  assert.equal(prov.oidc?.issuerUri, `https://${sb.env.AUTH0_DOMAIN}/`, 'issuer verbatim, trailing slash included');

  await assertSignsIn(sb, tc);
  await assertNoSecretKept(sb, tc, ours.client_secret!);
  await assertRerunWritesNothing(sb, tc, mgmt);
});
