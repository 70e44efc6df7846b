// The deploy stage against the sandbox: APIs, IAP agent, runtime account, service with IAP on,
// invoker for the agent; zero writes on re-run; resume from a recorded operation; --adopt; and
// removal of a public invoker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSandbox, clientsFor, requestLog, inspect } from './helpers/sandbox.js';
import { makeContext, runOk } from './helpers/core-context.js';
import { until } from './helpers/wait.js';
import { deployStage } from '../src/core/stages/deploy.js';
import { planOf, runStages } from '../src/core/stage.js';

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
test('deploy stage', async (t) => {
  const sb = await useSandbox();
  const c = clientsFor(sb);
  const svc = (id: string) => `projects/sandbox-project/locations/europe-west1/services/${id}`;
  const agent = 'serviceAccount:service-415104041262@gcp-sa-iap.iam.gserviceaccount.com';
  const invokers = async (id: string) =>
    ((await c.run.projects.locations.services.getIamPolicy({ resource: svc(id) })).data.bindings ?? []).find(
      (b) => b.role === 'roles/run.invoker',
    )?.members ?? [];

  await t.test(
    'fresh: service Ready with IAP on, label, runtime account, agent generated and allowed to invoke',
    async () => {
      const tc = await makeContext(sb);
      assert.deepEqual(
        (await planOf(deployStage, tc.ctx)).map((i) => i.action).slice(0, 2),
        ['create', 'create'],
        'plan works on a fresh project',
      );
      await runOk(tc, [deployStage]);
      const s = (await c.run.projects.locations.services.get({ name: svc('hello') })).data;
      assert.equal(s.iapEnabled, true);
      assert.equal(s.ingress, 'INGRESS_TRAFFIC_ALL');
      assert.equal(s.labels?.['managed-by'], 'iap-auth0');
      assert.equal(s.labels?.['iap-auth0-setup'], tc.ctx.inputs.setupId, 'the marker names this setup');
      assert.equal(
        s.description,
        `Managed by iap-auth0 (setup ${tc.ctx.inputs.setupId}): Cloud Run service hello behind IAP with Auth0 sign-in`,
      );
      assert.equal(s.template?.serviceAccount, 'iap-hello-europe-west1@sandbox-project.iam.gserviceaccount.com');
      assert.equal(s.terminalCondition?.state, 'CONDITION_SUCCEEDED');
      assert.deepEqual(await invokers('hello'), [agent]);
      assert.equal(tc.state.stage('deploy').resources.uri, s.uri);
      assert.deepEqual(tc.state.stage('deploy').added, [agent]);
      assert.deepEqual(tc.state.stage('deploy').operations, {}, 'finished operations are forgotten');
      // The front door: IAP on, agent provisioned, no workforce settings yet, so Google sign-in.
      const r = await fetch(s.uri!, { redirect: 'manual' });
      assert.equal(r.status, 302);
      assert.equal(r.headers.get('x-goog-iap-generated-response'), 'true');

      const since = (await requestLog(sb)).at(-1).seq;
      const again = await makeContext(sb, { setupId: tc.ctx.inputs.setupId }, tc.stateFile);
      await again.state.update((st) => {
        st.stages = structuredClone(tc.state.current.stages);
      });
      await runOk(again, [deployStage]);
      assert.deepEqual(
        (await requestLog(sb, since)).filter((r) => r.mutating),
        [],
        're-run makes no change',
      );
    },
  );

  await t.test('resume: a recorded operation is polled, not created again', async () => {
    const tc = await makeContext(sb, { service: 'resumed' });
    await tc.ctx.apisReady();
    const me = tc.ctx.inputs.setupId;
    const { data: sa } = await c.iam.projects.serviceAccounts.create({
      name: 'projects/sandbox-project',
      requestBody: {
        accountId: 'iap-resumed-europe-west1',
        serviceAccount: { description: `Managed by iap-auth0 (setup ${me}): runtime identity` },
      },
    });
    const { data: op } = await c.run.projects.locations.services.create({
      parent: 'projects/sandbox-project/locations/europe-west1',
      serviceId: 'resumed',
      requestBody: {
        iapEnabled: true,
        ingress: 'INGRESS_TRAFFIC_ALL',
        labels: { 'managed-by': 'iap-auth0', 'iap-auth0-setup': me },
        template: { serviceAccount: sa.email!, containers: [{ image: 'us-docker.pkg.dev/cloudrun/container/hello' }] },
      },
    });
    await tc.state.recordOperation('deploy', 'service', op.name!); // the run was killed right after this
    await tc.state.recordResource('deploy', 'serviceAccount', sa.email!);
    const since = (await requestLog(sb)).at(-1).seq;
    await runOk(tc, [deployStage]);
    const log = await requestLog(sb, since);
    assert.ok(
      log.some((r) => r.path.includes(op.name!.split('/').pop()!)),
      'the recorded operation was waited for',
    );
    assert.equal(log.filter((r) => r.method === 'POST' && r.path.endsWith('/services')).length, 0, 'no second create');
  });

  await t.test(
    'an existing service iap-auth0 did not create is refused; --adopt turns IAP on, removes allUsers, keeps the app',
    async () => {
      const app = {
        image: 'europe-west1-docker.pkg.dev/sandbox-project/apps/budget:v7',
        env: [{ name: 'DB_URL', value: 'postgres://db/budget' }],
      };
      await c.run.projects.locations.services.create({
        parent: 'projects/sandbox-project/locations/europe-west1',
        serviceId: 'legacy',
        requestBody: { labels: { team: 'finance' }, template: { containers: [app] } },
      });
      await until(
        async () => !!(await c.run.projects.locations.services.get({ name: svc('legacy') })).data.uri,
        'the legacy service to be ready',
      );
      const p = (await c.run.projects.locations.services.getIamPolicy({ resource: svc('legacy') })).data;
      await c.run.projects.locations.services.setIamPolicy({
        resource: svc('legacy'),
        requestBody: { policy: { ...p, bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] } },
      });
      const tc = await makeContext(sb, { service: 'legacy' });
      const [r] = await runStages([deployStage], tc.ctx);
      assert.equal(r.ok, false);
      assert.match((r.error as Error).message, /services\/legacy exists but was not created by iap-auth0/);
      assert.match(
        (r.error as { hint?: string }).hint ?? '',
        /pass --adopt to use it \(iap-auth0 changes only what IAP needs/,
      );
      assert.equal(
        (await c.run.projects.locations.services.get({ name: svc('legacy') })).data.iapEnabled,
        undefined,
        'untouched',
      );
      const adopt = await makeContext(sb, { service: 'legacy', adopt: true });
      await runOk(adopt, [deployStage]);
      const after = (await c.run.projects.locations.services.get({ name: svc('legacy') })).data;
      assert.equal(after.iapEnabled, true);
      assert.deepEqual(
        after.template?.containers?.map((x) => ({ image: x.image, env: x.env })),
        [app],
        "the image and env are the app's",
      );
      assert.equal(
        after.template?.serviceAccount,
        '415104041262-compute@developer.gserviceaccount.com',
        'it runs as the account it ran as',
      );
      assert.deepEqual(
        after.labels,
        { team: 'finance', 'iap-auth0-shared': adopt.ctx.inputs.setupId },
        'only the adoption label added',
      );
      assert.equal(
        adopt.state.stage('deploy').resources.serviceAccount,
        undefined,
        'no runtime account created for it',
      );
      assert.deepEqual(adopt.state.stage('deploy').adopted, ['service']);
      assert.deepEqual(await invokers('legacy'), [agent], 'allUsers removed, agent added');
      assert.ok(adopt.events.some((e) => e.type === 'step' && /bypass IAP/.test(e.text)));
      assert.equal((await inspect(sb)).runServices.length, 3);
    },
  );
});
