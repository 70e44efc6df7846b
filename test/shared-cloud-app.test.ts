// Issue 11, the app's side of a shared cloud, each scenario as a user met it and now fixed:
// protecting an app that already runs keeps its image, account and env, and destroy leaves it as
// it was (never public again); an image deployed out of band survives a re-run, and --image on a
// re-run deploys it; narrowing --allow revokes what iap-auth0 granted; a removed tag or label is
// put back by init. Every "someone else" edit is made through the real APIs, as another client would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ManagementClient } from 'auth0';
import {
  useSandbox,
  clientsFor,
  control,
  requestLog,
  inspect,
  waitOperation,
  enableRunApis,
} from './helpers/sandbox.js';
import { runCli, unwrapped } from './helpers/cli.js';
import { Browserless } from './helpers/browserless.js';
import { leftovers } from '../src/sandbox/leftovers.js';
import type { Sandbox } from '../src/sandbox/index.js';

const ACCESSOR = 'roles/iap.httpsResourceAccessor';

/** The clients and shorthands every scenario here uses, on one sandbox. */
function appKit(sb: Sandbox) {
  const g = clientsFor(sb);
  const mgmt = new ManagementClient({
    domain: sb.env.AUTH0_DOMAIN,
    clientId: sb.env.AUTH0_CLIENT_ID,
    clientSecret: sb.env.AUTH0_CLIENT_SECRET,
  });
  const services = g.run.projects.locations.services;
  const svcName = (id: string) => `projects/sandbox-project/locations/us-central1/services/${id}`;
  const get = async (id: string) => (await services.get({ name: svcName(id) })).data;
  const invokers = async (id: string) =>
    ((await services.getIamPolicy({ resource: svcName(id) })).data.bindings ?? [])
      .filter((b) => b.role === 'roles/run.invoker')
      .flatMap((b) => b.members ?? []);
  const folder = () => mkdtemp(path.join(os.tmpdir(), 'iap-auth0-app-'));
  const cli = (cwd: string, ...args: string[]) => runCli(args, sb.env, cwd);
  const stateOf = async (cwd: string) => JSON.parse(await readFile(path.join(cwd, '.iap-auth0', 'state.json'), 'utf8'));
  const verified = async (cwd: string) => {
    const r = await cli(cwd, 'verify', '--wait', '30s', '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    return JSON.parse(r.stdout);
  };
  const lastSeq = async () => (await requestLog(sb)).at(-1)?.seq ?? 0;
  return { sb, g, mgmt, services, svcName, get, invokers, folder, cli, stateOf, verified, lastSeq };
}
type Kit = ReturnType<typeof appKit>;

/** Someone's app, already running as its own account with a sidecar, an env and an internal ingress, public. */
async function seedRunningApp({ g, services, svcName }: Kit) {
  const sa = (
    await g.iam.projects.serviceAccounts.create({
      name: 'projects/sandbox-project',
      requestBody: { accountId: 'budget-runtime', serviceAccount: { displayName: 'budget' } },
    })
  ).data;
  const app = {
    image: 'europe-west1-docker.pkg.dev/sandbox-project/apps/budget:v7',
    env: [{ name: 'DB_URL', value: 'postgres://db/budget' }],
  };
  const sidecar = { image: 'europe-west1-docker.pkg.dev/sandbox-project/apps/log-shipper:2' };
  const op = (
    await services.create({
      parent: 'projects/sandbox-project/locations/us-central1',
      serviceId: 'myapp',
      requestBody: {
        labels: { team: 'finance' },
        ingress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
        template: { serviceAccount: sa.email!, containers: [app, sidecar] },
      },
    })
  ).data;
  await waitOperation(() => g.run.projects.locations.operations.get({ name: op.name! }));
  const p0 = (await services.getIamPolicy({ resource: svcName('myapp') })).data;
  await services.setIamPolicy({
    resource: svcName('myapp'),
    requestBody: { policy: { ...p0, bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] } },
  });
  return { sa, app, sidecar };
}
type Seeded = Awaited<ReturnType<typeof seedRunningApp>>;

/** Without --adopt: refused, naming the service and the flag, and nothing written. */
async function assertRefusedWithoutAdopt({ sb, cli, lastSeq }: Kit, cwd: string) {
  const since = await lastSeq();
  const refused = await cli(cwd, 'init', '--yes', '--service', 'myapp');
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(
    refused.stderr,
    new RegExp(
      /nothing was changed: a resource this setup would use is not its own\n\s+- the Cloud Run /.source +
        /service projects\/sandbox-project\/locations\/us-central1\/services\/myapp exists but was not /.source +
        /created by iap-auth0/.source,
    ),
  );
  assert.match(
    refused.stderr,
    new RegExp(
      /hint: pass --adopt to use it \(iap-auth0 changes only what IAP needs, records what it /.source +
        /changed, and never deletes it\)/.source,
    ),
  );
  assert.deepEqual(
    (await requestLog(sb, since)).filter((r) => r.mutating),
    [],
    'nothing was changed',
  );
}

/** With --adopt: IAP on, the public invoker swapped for the IAP agent, and nothing else of the app changed. */
async function assertAdopted(
  { cli, get, invokers, stateOf, verified }: Kit,
  cwd: string,
  { sa, app, sidecar }: Seeded,
) {
  const r = await cli(cwd, 'init', '--yes', '--service', 'myapp', '--adopt');
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    unwrapped(r.stderr),
    /^ {4}- use \(adopt\) service myapp \([^)]*\): keeps image .*budget:v7; keeps service account budget-runtime@/m,
    'the plan says what it keeps',
  );
  const s = await get('myapp');
  assert.deepEqual(
    s.template?.containers?.map((c) => ({ image: c.image, ...(c.env ? { env: c.env } : {}) })),
    [app, sidecar],
    "image, env and the other container are the app's",
  );
  assert.equal(s.template?.serviceAccount, sa.email, 'it runs as its own account');
  assert.equal(s.iapEnabled, true);
  assert.equal(s.ingress, 'INGRESS_TRAFFIC_ALL');
  assert.deepEqual(s.labels, { team: 'finance', 'iap-auth0-shared': (await stateOf(cwd)).setupId });
  assert.deepEqual(
    await invokers('myapp'),
    ['serviceAccount:service-415104041262@gcp-sa-iap.iam.gserviceaccount.com'],
    'public invoker removed, IAP agent added',
  );
  assert.equal(
    (await stateOf(cwd)).stages.deploy.resources.serviceAccount,
    undefined,
    "no runtime account of iap-auth0's for it",
  );
  const v = await verified(cwd);
  assert.ok(!v.checks.some((c: any) => c.id === 'service-account'), 'no runtime account to check');
}

/** destroy puts IAP and ingress back, keeps the app and its account, and never makes it public again. */
async function assertDestroyPutsBack({ sb, g, cli, get, invokers }: Kit, cwd: string, { sa, app, sidecar }: Seeded) {
  const d = await cli(cwd, 'destroy', '--force');
  assert.equal(d.code, 0, d.stderr);
  assert.match(
    d.stderr,
    new RegExp(
      /kept Cloud Run service projects\/sandbox-project\/locations\/us-central1\/services\/myapp /.source +
        /\(adopted, not created by iap-auth0\): put back iapEnabled and ingress; it stays private: /.source +
        /iap-auth0 never makes a service public again/.source,
    ),
  );
  assert.doesNotMatch(d.stderr, /Everything iap-auth0 created is gone/);
  const after = await get('myapp');
  assert.deepEqual(
    after.template?.containers?.map((c) => c.image),
    [app.image, sidecar.image],
  );
  assert.equal(after.template?.serviceAccount, sa.email);
  assert.equal(after.iapEnabled, false, 'IAP off again, as it was');
  assert.equal(after.ingress, 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER', 'ingress as it was');
  assert.deepEqual(after.labels, { team: 'finance' }, 'the adoption label is gone, its own label stays');
  assert.deepEqual(await invokers('myapp'), [], "not public again, and the IAP agent's grant taken back");
  assert.equal(
    (await g.iam.projects.serviceAccounts.get({ name: `projects/sandbox-project/serviceAccounts/${sa.email}` })).data
      .email,
    sa.email,
    'its account stays',
  );
  assert.deepEqual(leftovers(await inspect(sb)), []);
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
test('your app stays your app', async (t) => {
  const sb = await useSandbox();
  const k = appKit(sb);
  const { g, mgmt, services, svcName, get, folder, cli, stateOf, verified } = k;
  // Someone's running app is deployed with the APIs on, before iap-auth0 ever ran.
  await enableRunApis(sb);

  await t.test(
    'an app that already runs: refused without --adopt; with it, IAP on and nothing else changed; destroy ' +
      'puts IAP back, keeps the app, never public',
    async () => {
      const seeded = await seedRunningApp(k);
      const cwd = await folder();
      await assertRefusedWithoutAdopt(k, cwd);
      await assertAdopted(k, cwd, seeded);
      await assertDestroyPutsBack(k, cwd, seeded);
    },
  );

  await t.test('an image deployed out of band survives a re-run; --image on a re-run deploys it', async () => {
    const cwd = await folder();
    assert.equal((await cli(cwd, 'init', '--yes', '--service', 'app2')).code, 0);
    // The developer ships v8 the way `gcloud run deploy` does: a new template through the Run API.
    const s = await get('app2');
    const v8 = 'europe-west1-docker.pkg.dev/sandbox-project/apps/app:v8';
    const op = (
      await services.patch({
        name: svcName('app2'),
        updateMask: 'template',
        requestBody: { template: { ...s.template, containers: [{ ...s.template!.containers![0], image: v8 }] } },
      })
    ).data;
    await waitOperation(() => g.run.projects.locations.operations.get({ name: op.name! }));

    const rerun = await cli(cwd, 'init', '--yes', '--allow', 'group:ops');
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(unwrapped(rerun.stderr), /keeps image europe-west1-docker\.pkg\.dev\/sandbox-project\/apps\/app:v8/);
    assert.equal((await get('app2')).template?.containers?.[0].image, v8, 'the re-run kept v8');

    const v9 = 'europe-west1-docker.pkg.dev/sandbox-project/apps/app:v9';
    const deploy = await cli(cwd, 'init', '--yes', '--image', v9);
    assert.equal(deploy.code, 0, deploy.stderr);
    assert.match(
      unwrapped(deploy.stderr),
      new RegExp(
        /image europe-west1-docker\.pkg\.dev\/sandbox-project\/apps\/app:v8 → /.source +
          /europe-west1-docker\.pkg\.dev\/sandbox-project\/apps\/app:v9 \(--image\)/.source,
      ),
    );
    const after = await get('app2');
    assert.equal(after.template?.containers?.[0].image, v9);
    assert.deepEqual(
      after.template?.containers?.[0].env?.map((e) => e.name),
      ['IAP_AUDIENCE'],
      'its env is kept',
    );
    assert.equal(after.template?.serviceAccount, s.template?.serviceAccount);
    assert.equal((await cli(cwd, 'destroy', '--force')).code, 0);
  });

  await t.test(
    'narrowing --allow revokes the whole-pool member; only the listed user gets in; an email given to user: is refused',
    async () => {
      const cwd = await folder();
      assert.equal((await cli(cwd, 'init', '--yes', '--service', 'narrow')).code, 0);
      const st = await stateOf(cwd);
      const alice =
        `principal://iam.googleapis.com/locations/global/workforcePools/${st.inputs.pool}/subject/auth0|alice-o` +
        'nly';
      const resource = st.stages.access.resources.iapResource;
      // Another admin grants someone on the project's IAP resource: that stays, and verify shows it.
      await control(sb, '/iam-policy', {
        resource: 'iap:projects/415104041262/iap_web',
        policy: { bindings: [{ role: ACCESSOR, members: ['user:auditor@sandbox.example'] }] },
      });

      const email = await cli(cwd, 'init', '--yes', '--allow', 'user:alice@example.com');
      assert.equal(email.code, 2);
      assert.match(email.stderr, /--allow: user:alice@example\.com is an email address, not an Auth0 user id: use /);

      const r = await cli(cwd, 'init', '--yes', '--allow', 'user:auth0|alice-only');
      assert.equal(r.code, 0, r.stderr);
      // In the plan's words (issue 15), the grant and the revocation: never the raw members.
      assert.match(r.stderr, new RegExp(`revoked ${ACCESSOR} from everyone in the pool: no longer in --allow`));
      assert.match(r.stderr, /Access: user auth0\|alice-only may sign in \(revoked 1 no longer listed\)/);
      const members = (await g.iap.getIamPolicy({ resource, requestBody: {} })).data
        .bindings!.filter((b) => b.role === ACCESSOR)
        .flatMap((b) => b.members);
      assert.deepEqual(members, [alice], 'exactly the list given');
      assert.deepEqual((await stateOf(cwd)).stages.access.added, [alice]);
      // No Auth0 user has that id: verify says the grant admits nobody (exit 3), and still lists who may pass.
      const checked = await cli(cwd, 'verify', '--wait', '30s', '--json');
      assert.equal(checked.code, 3, checked.stderr);
      const v = JSON.parse(checked.stdout);
      assert.deepEqual(
        v.checks.filter((c: any) => c.status !== 'ok').map((c: any) => [c.id, c.detail]),
        [['allow-user:auth0|alice-only', 'no Auth0 user has the id auth0|alice-only: this grant admits nobody']],
      );
      assert.deepEqual(
        v.access.map((a: any) => [a.member, a.on, a.ours]).sort(),
        [
          [alice, resource, true],
          ['user:auditor@sandbox.example', 'projects/415104041262/iap_web', false],
        ].sort(),
        'verify lists everyone who can reach the app',
      );
      const human = await cli(cwd, 'verify');
      assert.match(
        human.stderr,
        new RegExp(
          /Who may pass IAP to this service \(2\):\n\s+principal:.*auth0\|alice-only\s+on .*granted by /.source +
            /iap-auth0\n\s+user:auditor@sandbox\.example\s+on projects\/415104041262\/iap_web, granted by /.source +
            /someone else/.source,
        ),
      );
      // The test user is not auth0|alice-only: the provider's attribute condition (derived from --allow)
      // now refuses her at Google's sign-in, before IAP is asked.
      await control(sb, '/clock', { advance: '1s' });
      const page = await new Browserless().signIn(
        `${st.stages.deploy.resources.uri}/`,
        sb.env.IAP_AUTH0_TEST_USER_EMAIL,
        sb.env.IAP_AUTH0_TEST_USER_PASSWORD,
      );
      assert.match(page.text, /rejected by the attribute condition/);
      assert.equal((await cli(cwd, 'destroy', '--force')).code, 0);
      const left = (await inspect(sb)).iamPolicies['iap:projects/415104041262/iap_web'].bindings.flatMap(
        (b: any) => b.members,
      );
      assert.deepEqual(left, ['user:auditor@sandbox.example'], "the other admin's member stays");
    },
  );

  await t.test('a tag and labels removed by hand: verify says so, init puts them back', async () => {
    const cwd = await folder();
    assert.equal((await cli(cwd, 'init', '--yes', '--service', 'tagged')).code, 0);
    const st = await stateOf(cwd);
    const appId = st.stages['auth0-app'].resources.clientId;
    await mgmt.clients.update(appId, { client_metadata: { managed_by: null, iap_auth0_setup: null } } as never);
    const op = (await services.patch({ name: svcName('tagged'), updateMask: 'labels', requestBody: { labels: {} } }))
      .data;
    await waitOperation(() => g.run.projects.locations.operations.get({ name: op.name! }));

    const broken = await cli(cwd, 'verify', '--wait', '30s', '--json');
    assert.equal(broken.code, 3);
    const checks = JSON.parse(broken.stdout).checks;
    const app = checks.find((c: any) => c.id === 'auth0-app');
    assert.match(app.detail, /no longer carries this setup's iap-auth0 tag/);
    assert.match(app.hint, /run iap-auth0 init to tag it again/);
    assert.match(
      checks.find((c: any) => c.id === 'run-service').detail,
      /no longer carries this setup's iap-auth0 labels/,
    );

    const fix = await cli(cwd, 'init', '--yes');
    assert.equal(fix.code, 0, fix.stderr);
    assert.match(fix.stderr, /restoring the iap-auth0 tag of the Auth0 app/);
    assert.deepEqual((await mgmt.clients.get(appId)).client_metadata, {
      managed_by: 'iap-auth0',
      iap_auth0_setup: st.setupId,
      iap_auth0_provider: `locations/global/workforcePools/${st.inputs.pool}/providers/auth0`,
      iap_auth0_project: 'sandbox-project',
    });
    assert.deepEqual((await get('tagged')).labels, { 'managed-by': 'iap-auth0', 'iap-auth0-setup': st.setupId });
    await verified(cwd);
    assert.equal((await cli(cwd, 'destroy', '--force')).code, 0);
    assert.deepEqual(leftovers(await inspect(sb)), []);
  });
});
