// Cloud Run Admin API v2 emulation (gcp-api.md 5), driven only through Google's generated run v2
// client: long-running create/patch/delete, readiness, the error texts a CLI reacts to, and the
// service IAM policy (GET getIamPolicy, etag, members that must exist).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSandbox, clientsFor, googleError, moveClock, waitOperation } from './helpers/sandbox.js';
import type { Sandbox } from '../src/sandbox/index.js';

const sb = await useSandbox();
// Cloud Run's operations last an hour of sandbox time and end when wait() moves the clock, so
// "not done yet, still reconciling" is seen however slowly a loaded machine sends the next request
// (with the fast profile's 30 ms, a patch could finish before the GET that looks at it).
const OP_MS = 3_600_000;
sb.world.profile = {
  ...sb.world.profile,
  operationMs: { ...sb.world.profile.operationMs, runCreate: OP_MS, runUpdate: OP_MS, runDelete: OP_MS },
};
const g = clientsFor(sb);
const run = g.run.projects.locations;
const PROJECT = 'sandbox-project';
const NUMBER = '415104041262';
const REGION = 'europe-west1';
const parent = `projects/${PROJECT}/locations/${REGION}`;
const SA = `iap-auth0-run@${PROJECT}.iam.gserviceaccount.com`;
const IMAGE = 'us-docker.pkg.dev/cloudrun/container/hello';
const body = (extra: Record<string, unknown> = {}) => ({
  launchStage: 'BETA',
  ingress: 'INGRESS_TRAFFIC_ALL',
  iapEnabled: false,
  invokerIamDisabled: false,
  template: { serviceAccount: SA, containers: [{ image: IMAGE, ports: [{ containerPort: 8080 }] }] },
  ...extra,
});

/** The error body of a rejected call, details included. */
async function errorBody(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e: any) {
    return e?.response?.data?.error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/**
 * Enables APIs through Service Usage. Until that emulation is in the tree (it is written in
 * parallel) its routes answer 404, and the test falls back to setting world state directly.
 */
async function enableApis(s: Sandbox, ids: string[]): Promise<void> {
  try {
    const { data } = await clientsFor(s).serviceusage.services.batchEnable({
      parent: `projects/${NUMBER}`,
      requestBody: { serviceIds: ids },
    });
    if (!data.done) await waitOperation(() => clientsFor(s).serviceusage.operations.get({ name: data.name! }));
  } catch (e: any) {
    if (e?.response?.status !== 404) throw e;
    for (const id of ids) s.world.services.get(NUMBER)!.set(id, { state: 'ENABLED', enabledAt: 0 });
  }
}

/** Creates the runtime service account through IAM, or in world state while IAM is a stub. */
async function createServiceAccount(s: Sandbox, accountId: string): Promise<string> {
  const email = `${accountId}@${PROJECT}.iam.gserviceaccount.com`;
  try {
    await clientsFor(s).iam.projects.serviceAccounts.create({
      name: `projects/${PROJECT}`,
      requestBody: { accountId },
    });
  } catch (e: any) {
    if (e?.response?.status !== 404) throw e;
    s.world.serviceAccounts.set(email, {
      projectId: PROJECT,
      accountId,
      email,
      uniqueId: s.world.newUniqueId(),
      disabled: false,
      etag: 'BwX',
      oauth2ClientId: s.world.newUniqueId(),
      createdAt: s.world.clock.now(),
    });
  }
  return email;
}

const wait = async (name: string) => {
  await moveClock(sb, OP_MS);
  return waitOperation(() => run.operations.get({ name }));
};
async function createAndWait(id: string, extra: Record<string, unknown> = {}) {
  const { data } = await run.services.create({ parent, serviceId: id, requestBody: body(extra) });
  return wait(data.name!);
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
test('Cloud Run v2 services', async (t) => {
  await t.test('before run.googleapis.com is enabled: 403 SERVICE_DISABLED', async () => {
    const err = await errorBody(run.services.create({ parent, serviceId: 'hello', requestBody: body() }));
    assert.equal(err.code, 403);
    assert.equal(err.status, 'PERMISSION_DENIED');
    assert.match(
      err.message,
      /^Cloud Run Admin API has not been used in project 415104041262 before or it is disabled/,
    );
    assert.equal(err.details[0].reason, 'SERVICE_DISABLED');
    assert.equal(err.details[0].metadata.service, 'run.googleapis.com');
    await enableApis(sb, ['run.googleapis.com', 'iam.googleapis.com', 'iap.googleapis.com']);
    await createServiceAccount(sb, 'iap-auth0-run');
  });

  await t.test('create: operation not done, service reconciling, then Ready with a uri', async () => {
    const { data: op } = await run.services.create({ parent, serviceId: 'hello', requestBody: body() });
    assert.match(op.name!, new RegExp(`^projects/${PROJECT}/locations/${REGION}/operations/[0-9a-f-]{36}$`));
    assert.ok(!op.done);
    assert.equal((op.metadata as any)['@type'], 'type.googleapis.com/google.cloud.run.v2.Service');
    assert.equal((op.metadata as any).name, `${parent}/services/hello`);

    const { data: during } = await run.services.get({ name: `${parent}/services/hello` });
    assert.equal(during.reconciling, true);
    assert.equal(during.generation, '1');
    assert.deepEqual(
      { type: during.terminalCondition?.type, state: during.terminalCondition?.state },
      { type: 'Ready', state: 'CONDITION_RECONCILING' },
    );
    assert.equal(during.uri, undefined);

    const done = await wait(op.name!);
    assert.equal(done.done, true);
    assert.equal(done.error, undefined);
    const svc = done.response as any;
    assert.equal(svc['@type'], 'type.googleapis.com/google.cloud.run.v2.Service');
    assert.equal(svc.reconciling, false);
    assert.equal(svc.terminalCondition.type, 'Ready');
    assert.equal(svc.terminalCondition.state, 'CONDITION_SUCCEEDED');
    assert.equal('reason' in svc.terminalCondition, false);
    assert.deepEqual(
      svc.conditions.map((c: any) => [c.type, c.state]),
      [
        ['RoutesReady', 'CONDITION_SUCCEEDED'],
        ['ConfigurationsReady', 'CONDITION_SUCCEEDED'],
      ],
    );
    assert.equal(svc.observedGeneration, '1');
    assert.equal(svc.launchStage, 'GA'); // BETA was sent; the lowest stage needed is read back
    assert.match(svc.latestReadyRevision, new RegExp(`^${parent}/services/hello/revisions/hello-00001-[a-z]{3}$`));
    assert.equal(svc.latestCreatedRevision, svc.latestReadyRevision);
    assert.match(svc.uri, /^https:\/\//);
    assert.deepEqual(svc.urls, [svc.uri, `https://hello-${NUMBER}.${REGION}.run.app`]);
    assert.deepEqual(svc.trafficStatuses, [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }]);
    assert.match(svc.uid, /^[0-9a-f-]{36}$/);
    assert.equal(svc.creator, 'developer@sandbox.example');
    assert.equal(svc.template.serviceAccount, SA);
    assert.equal(svc.ingress, 'INGRESS_TRAFFIC_ALL');
    assert.equal(svc.iapEnabled, false);

    const { data: got } = await run.services.get({ name: `${parent}/services/hello` });
    assert.equal(got.uri, svc.uri);
    assert.equal(got.etag, svc.etag);
    const { data: byNumber } = await run.services.get({
      name: `projects/${NUMBER}/locations/${REGION}/services/hello`,
    });
    assert.equal(byNumber.uid, svc.uid);
    const { data: list } = await run.services.list({ parent });
    assert.deepEqual(
      list.services?.map((s) => s.name),
      [`${parent}/services/hello`],
    );
  });

  await t.test('create with a taken id: 409 ALREADY_EXISTS', async () => {
    const e = await googleError(run.services.create({ parent, serviceId: 'hello', requestBody: body() }));
    assert.deepEqual([e.code, e.status], [409, 'ALREADY_EXISTS']);
  });

  await t.test('bad service ids, image, labels and region: 400 INVALID_ARGUMENT', async () => {
    for (const id of ['Hello', 'hello-', 'a'.repeat(50), '1hello']) {
      const e = await googleError(run.services.create({ parent, serviceId: id, requestBody: body() }));
      assert.deepEqual([e.code, e.status], [400, 'INVALID_ARGUMENT'], id);
      assert.match(
        e.message,
        /must begin with letter, and cannot end with hyphen; must contain fewer than 50 characters/,
      );
    }
    // 49 characters is still fine (validateOnly: nothing is created).
    const { data: ok } = await run.services.create({
      parent,
      serviceId: 'a'.repeat(49),
      validateOnly: true,
      requestBody: body(),
    });
    assert.ok(ok.name);
    assert.equal((await googleError(run.operations.get({ name: ok.name! }))).code, 404);
    assert.equal((await googleError(run.services.get({ name: `${parent}/services/${'a'.repeat(49)}` }))).code, 404);

    const badImage = await googleError(
      run.services.create({
        parent,
        serviceId: 'img',
        requestBody: body({ template: { serviceAccount: SA, containers: [{ image: 'Not An Image' }] } }),
      }),
    );
    assert.equal(badImage.status, 'INVALID_ARGUMENT');
    assert.match(badImage.message, /containers\[0\]\.image/);
    const noImage = await googleError(
      run.services.create({
        parent,
        serviceId: 'img',
        requestBody: body({ template: { serviceAccount: SA, containers: [{}] } }),
      }),
    );
    assert.equal(noImage.status, 'INVALID_ARGUMENT');
    for (const ok2 of ['nginx', 'nginx:1.27', 'localhost:5000/team/app@sha256:' + 'a'.repeat(64)]) {
      const { data } = await run.services.create({
        parent,
        serviceId: 'img',
        validateOnly: true,
        requestBody: body({ template: { serviceAccount: SA, containers: [{ image: ok2 }] } }),
      });
      assert.ok(data.name, ok2);
    }
    const reserved = await googleError(
      run.services.create({
        parent,
        serviceId: 'lbl',
        requestBody: body({ annotations: { 'run.googleapis.com/iap-enabled': 'true' } }),
      }),
    );
    assert.equal(reserved.status, 'INVALID_ARGUMENT');
    assert.match(reserved.message, /run\.googleapis\.com/);
    const region = await googleError(
      run.services.create({ parent: `projects/${PROJECT}/locations/Europe`, serviceId: 'x', requestBody: body() }),
    );
    assert.equal(region.status, 'INVALID_ARGUMENT');
    const unknown = await googleError(
      run.services.create({ parent, serviceId: 'x', requestBody: { ...body(), iapEnable: true } as any }),
    );
    assert.match(unknown.message, /Unknown name "iapEnable"/);
  });

  await t.test(
    'labels and description as Google validates them: each violation is 400 and creates nothing',
    async () => {
      const count = sb.world.runServices.size;
      const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `v${i}`]));
      const cases: [string, Record<string, unknown>, RegExp][] = [
        [
          'uppercase key',
          { labels: { Owner: 'team' } },
          new RegExp(
            /^labels: At least one label does not conform to GCP naming style\. Label key 'Owner' /.source +
              /violates format constraints\. The key must start with a lowercase character/.source,
          ),
        ],
        ['key starting with a digit', { labels: { '1st': 'x' } }, /Label key '1st' violates format constraints/],
        ['key with a dot', { labels: { 'app.kubernetes.io': 'x' } }, /Label key 'app\.kubernetes\.io' violates/],
        ['empty key', { labels: { '': 'x' } }, /Label key '' violates/],
        ['64-character key', { labels: { ['k'.repeat(64)]: 'x' } }, /Label key 'k{64}' violates/],
        [
          '64-character value',
          { labels: { owner: 'v'.repeat(64) } },
          new RegExp(
            /^labels: At least one label does not conform to GCP naming style\. Label value 'v{64}' /.source +
              /violates format constraints\. The value can only contain lowercase letters, numeric /.source +
              /characters, underscores and dashes\. The value can be at most 63 characters long\. /.source +
              /International characters are allowed\.$/.source,
          ),
        ],
        ['value with a dot (datadog-ci#1955)', { labels: { dd_sls_ci: 'v4.1.2' } }, /Label value 'v4\.1\.2' violates/],
        ['uppercase value', { labels: { owner: 'Team' } }, /Label value 'Team' violates/],
        ['65 labels', { labels: many(65) }, /^labels: .*64 labels/],
        [
          'bad template label',
          { template: { serviceAccount: SA, labels: { Env: 'prod' }, containers: [{ image: IMAGE }] } },
          /^template\.labels: At least one label does not conform/,
        ],
        ['513-character description', { description: 'd'.repeat(513) }, /description/],
        ['513-character description of multi-byte characters', { description: 'é'.repeat(513) }, /description/],
      ];
      for (const [what, extra, message] of cases) {
        const e = await errorBody(run.services.create({ parent, serviceId: 'labelled', requestBody: body(extra) }));
        assert.deepEqual([e.code, e.status], [400, 'INVALID_ARGUMENT'], what);
        assert.match(e.message, message, what);
        assert.equal(e.details?.[0]?.['@type'], 'type.googleapis.com/google.rpc.BadRequest', what);
      }
      assert.equal(sb.world.runServices.size, count);
      assert.equal((await googleError(run.services.get({ name: `${parent}/services/labelled` }))).code, 404);
    },
  );

  await t.test(
    'valid labels and description are stored and returned exactly; updateMask=labels replaces the map',
    async () => {
      const name = `${parent}/services/labelled`;
      const labels = {
        'managed-by': 'iap-auth0',
        env: '',
        ['k'.repeat(63)]: 'v'.repeat(63),
        under_score: 'a-b_c',
        ключ: 'значение',
        鍵: '値',
        d1: '2024-01-01',
      };
      const templateLabels = { 'cost-center': 'team_7' };
      const description = 'é'.repeat(500) + 'x'.repeat(12); // 512 characters, 1012 bytes
      const done = await createAndWait('labelled', {
        labels,
        description,
        template: { serviceAccount: SA, labels: templateLabels, containers: [{ image: IMAGE }] },
      });
      assert.equal(done.error, undefined);
      const { data: got } = await run.services.get({ name });
      assert.deepEqual(got.labels, labels);
      assert.deepEqual(got.template?.labels, templateLabels);
      assert.equal(got.description, description);
      // 64 labels is the limit, not past it.
      const { data: max } = await run.services.create({
        parent,
        serviceId: 'max-labels',
        validateOnly: true,
        requestBody: body({ labels: Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, `v${i}`])) }),
      });
      assert.equal(Object.keys((max.metadata as any).labels).length, 64);

      // A masked patch of labels replaces the whole map: keys left out are gone, the rest untouched.
      const { data: op } = await run.services.patch({
        name,
        updateMask: 'labels',
        requestBody: { labels: { 'managed-by': 'someone-else', owner: 'b' }, description: 'not in the mask' },
      });
      await wait(op.name!);
      const { data: after } = await run.services.get({ name });
      assert.deepEqual(after.labels, { 'managed-by': 'someone-else', owner: 'b' });
      assert.equal(after.description, description);
      assert.deepEqual(after.template?.labels, templateLabels);
      // A mask naming labels with no labels in the body clears them.
      const { data: op2 } = await run.services.patch({ name, updateMask: 'labels', requestBody: {} });
      await wait(op2.name!);
      assert.equal((await run.services.get({ name })).data.labels, undefined);
      const { data: op3 } = await run.services.patch({
        name,
        updateMask: 'labels,description',
        requestBody: { labels: { 'managed-by': 'iap-auth0' }, description: 'short' },
      });
      await wait(op3.name!);
      const { data: back } = await run.services.get({ name });
      assert.deepEqual(back.labels, { 'managed-by': 'iap-auth0' });
      assert.equal(back.description, 'short');
    },
  );

  await t.test('a patch that breaks the label or description rules is 400 and changes nothing', async () => {
    const name = `${parent}/services/labelled`;
    const { data: before } = await run.services.get({ name });
    for (const [mask, requestBody] of [
      ['labels', { labels: { 'Managed-By': 'iap-auth0' } }],
      ['labels', { labels: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, ''])) }],
      ['labels', { labels: { owner: 'x'.repeat(64) } }],
      ['description', { description: 'd'.repeat(513) }],
      ['template.labels', { template: { labels: { '9lives': 'x' } } }],
    ] as const) {
      const e = await googleError(run.services.patch({ name, updateMask: mask, requestBody: requestBody as any }));
      assert.deepEqual([e.code, e.status], [400, 'INVALID_ARGUMENT'], mask);
    }
    // Without a mask (the whole desired state) the same rules apply.
    const e = await googleError(
      run.services.patch({ name, requestBody: { ...before, labels: { ...before.labels, BAD: 'x' } } }),
    );
    assert.deepEqual([e.code, e.status], [400, 'INVALID_ARGUMENT']);
    const { data: after } = await run.services.get({ name });
    assert.deepEqual(after, before);
  });

  await t.test('unknown runtime service account: 403 actAs', async () => {
    const ghost = `ghost-sa@${PROJECT}.iam.gserviceaccount.com`;
    const e = await googleError(
      run.services.create({
        parent,
        serviceId: 'ghost',
        requestBody: body({ template: { serviceAccount: ghost, containers: [{ image: IMAGE }] } }),
      }),
    );
    assert.deepEqual([e.code, e.status], [403, 'PERMISSION_DENIED']);
    assert.equal(
      e.message,
      `Permission 'iam.serviceaccounts.actAs' denied on service account ${ghost} (or it may not exist).`,
    );
    // Without template.serviceAccount the compute default account runs the service.
    const { data } = await run.services.create({
      parent,
      serviceId: 'ghost',
      validateOnly: true,
      requestBody: { template: { containers: [{ image: IMAGE }] } },
    });
    assert.equal((data.metadata as any).template.serviceAccount, `${NUMBER}-compute@developer.gserviceaccount.com`);
  });

  await t.test('get of a missing service: 404 with the exact text', async () => {
    const e = await googleError(run.services.get({ name: `${parent}/services/nope` }));
    assert.deepEqual([e.code, e.status], [404, 'NOT_FOUND']);
    assert.equal(
      e.message,
      `Resource 'nope' of kind 'SERVICE' in region '${REGION}' in project '${PROJECT}' does not exist.`,
    );
  });

  await t.test('patch flips iapEnabled: new generation, reconciling, then Ready', async () => {
    const name = `${parent}/services/hello`;
    const { data: before } = await run.services.get({ name });
    const { data: op } = await run.services.patch({ name, requestBody: { ...before, iapEnabled: true } });
    assert.ok(!op.done);
    const { data: during } = await run.services.get({ name });
    assert.equal(during.generation, '2');
    assert.equal(during.observedGeneration, '1');
    assert.equal(during.reconciling, true);
    assert.equal(during.terminalCondition?.state, 'CONDITION_RECONCILING');
    assert.equal(during.iapEnabled, true);
    assert.notEqual(during.etag, before.etag);
    const done = (await wait(op.name!)).response as any;
    assert.equal(done.generation, '2');
    assert.equal(done.observedGeneration, '2');
    assert.equal(done.reconciling, false);
    assert.equal(done.terminalCondition.state, 'CONDITION_SUCCEEDED');
    assert.equal(done.uri, before.uri);
    // No template change, so no new revision.
    assert.equal(done.latestReadyRevision, before.latestReadyRevision);

    // A masked patch that changes the template makes revision 00002.
    const { data: op2 } = await run.services.patch({
      name,
      updateMask: 'template.containers',
      requestBody: { template: { containers: [{ image: `${IMAGE}:v2` }] } },
    });
    const after = (await wait(op2.name!)).response as any;
    assert.equal(after.generation, '3');
    assert.match(after.latestReadyRevision, /\/revisions\/hello-00002-[a-z]{3}$/);
    assert.equal(after.template.containers[0].image, `${IMAGE}:v2`);
    assert.equal(after.template.serviceAccount, SA);
    assert.equal(after.iapEnabled, true);

    // Sending the service back unchanged still answers an operation, but the generation stays.
    const { data: same } = await run.services.get({ name });
    const { data: op3 } = await run.services.patch({ name, requestBody: same });
    const unchanged = (await wait(op3.name!)).response as any;
    assert.equal(unchanged.generation, '3');
    assert.equal(unchanged.etag, same.etag);
  });

  await t.test('patch: stale etag 409, missing 404, allowMissing creates', async () => {
    const name = `${parent}/services/hello`;
    const e = await googleError(run.services.patch({ name, requestBody: { ...body(), etag: 'stale-etag' } }));
    assert.deepEqual([e.code, e.status], [409, 'ABORTED']);
    const missing = await googleError(run.services.patch({ name: `${parent}/services/fresh`, requestBody: body() }));
    assert.deepEqual([missing.code, missing.status], [404, 'NOT_FOUND']);
    const { data: op } = await run.services.patch({
      name: `${parent}/services/fresh`,
      allowMissing: true,
      requestBody: body({ iapEnabled: true }),
    });
    const created = (await wait(op.name!)).response as any;
    assert.equal(created.name, `${parent}/services/fresh`);
    assert.equal(created.generation, '1');
    assert.equal(created.iapEnabled, true);
    assert.equal(created.terminalCondition.state, 'CONDITION_SUCCEEDED');
  });

  await t.test('delete: operation returns the deleted service, then 404, and the id is reusable', async () => {
    const name = `${parent}/services/fresh`;
    const stale = await googleError(run.services.delete({ name, etag: 'nope' }));
    assert.equal(stale.status, 'ABORTED');
    const { data: op } = await run.services.delete({ name });
    assert.ok(!op.done);
    const done = await wait(op.name!);
    assert.equal((done.response as any)['@type'], 'type.googleapis.com/google.cloud.run.v2.Service');
    assert.equal((done.response as any).name, name);
    const e = await googleError(run.services.get({ name }));
    assert.equal(e.code, 404);
    assert.equal(sb.world.runServices.has(`${NUMBER}/${REGION}/fresh`), false);
    const again = (await createAndWait('fresh')).response as any;
    assert.equal(again.generation, '1');
    assert.equal(again.terminalCondition.state, 'CONDITION_SUCCEEDED');
  });

  await t.test('operations: :wait returns once done, list filters by done', async () => {
    const { data: op } = await run.services.patch({
      name: `${parent}/services/fresh`,
      requestBody: body({ description: 'waited' }),
    });
    const waiting = run.operations.wait({ name: op.name!, requestBody: { timeout: '30s' } });
    await moveClock(sb, OP_MS); // the operation ends while (or before) :wait waits for it
    const { data: waited } = await waiting;
    assert.equal(waited.done, true);
    assert.equal((waited.response as any).description, 'waited');
    const { data: list } = await run.operations.list({ name: parent, filter: 'done:true' });
    assert.ok(list.operations!.some((o) => o.name === op.name));
    assert.ok(list.operations!.every((o) => o.done));
    assert.equal(
      (await googleError(run.operations.get({ name: `${parent}/operations/00000000-0000-0000-0000-000000000000` })))
        .code,
      404,
    );
  });

  await t.test('IAM: ACAB when empty, agent must exist, stale etag ABORTED, keyed by project number', async () => {
    const resource = `${parent}/services/hello`;
    const { data: empty } = await run.services.getIamPolicy({ resource, 'options.requestedPolicyVersion': 3 });
    assert.equal(empty.etag, 'ACAB');
    assert.equal(empty.bindings, undefined);
    const agent = 'serviceAccount:service-415104041262@gcp-sa-iap.iam.gserviceaccount.com'; // gcp-api.md 2.7
    const policy = { etag: empty.etag, bindings: [{ role: 'roles/run.invoker', members: [agent] }] };
    const e = await googleError(run.services.setIamPolicy({ resource, requestBody: { policy } }));
    assert.deepEqual([e.code, e.status], [400, 'INVALID_ARGUMENT']);
    assert.equal(e.message, 'Service account service-415104041262@gcp-sa-iap.iam.gserviceaccount.com does not exist.');

    // The agent exists once Service Usage generated it (world state stands in while that
    // emulation is not in the tree).
    try {
      const { data } = await g.serviceusageBeta.services.generateServiceIdentity({
        parent: `projects/${NUMBER}/services/iap.googleapis.com`,
      });
      if (!data.done) await waitOperation(() => g.serviceusageBeta.operations.get({ name: data.name! }));
    } catch (err: any) {
      if (err?.response?.status !== 404) throw err;
      sb.world.serviceIdentities.set(`${NUMBER}/iap.googleapis.com`, {
        email: 'service-415104041262@gcp-sa-iap.iam.gserviceaccount.com',
        uniqueId: sb.world.newUniqueId(),
      });
    }
    const { data: set } = await run.services.setIamPolicy({ resource, requestBody: { policy } });
    assert.notEqual(set.etag, 'ACAB');
    assert.deepEqual(set.bindings, [{ role: 'roles/run.invoker', members: [agent] }]);
    const stale = await googleError(run.services.setIamPolicy({ resource, requestBody: { policy } }));
    assert.deepEqual([stale.code, stale.status], [409, 'ABORTED']);
    assert.match(stale.message, /There were concurrent policy changes/);

    // Called with the project ID, stored under the number.
    assert.deepEqual(
      sb.world.policies.get(`run:projects/${NUMBER}/locations/${REGION}/services/hello`).bindings,
      set.bindings,
    );
    const { data: viaNumber } = await run.services.getIamPolicy({
      resource: `projects/${NUMBER}/locations/${REGION}/services/hello`,
    });
    assert.equal(viaNumber.etag, set.etag);

    // allUsers is accepted on Cloud Run (the public-invoker pitfall the CLI's verify must catch).
    const { data: pub } = await run.services.setIamPolicy({
      resource,
      requestBody: {
        policy: { etag: set.etag, bindings: [{ role: 'roles/run.invoker', members: [agent, 'allUsers'] }] },
      },
    });
    assert.deepEqual(pub.bindings?.[0].members, [agent, 'allUsers']);

    const missing = await googleError(run.services.getIamPolicy({ resource: `${parent}/services/nope` }));
    assert.equal(missing.code, 404);
    const { data: perms } = await run.services.testIamPermissions({
      resource,
      requestBody: { permissions: ['run.routes.invoke', 'run.services.get'] },
    });
    assert.deepEqual(perms.permissions, ['run.routes.invoke', 'run.services.get']);
  });

  await t.test('delete removes the service policy: a re-created service starts from ACAB', async () => {
    const { data: op } = await run.services.delete({ name: `${parent}/services/hello` });
    await wait(op.name!);
    await createAndWait('hello');
    const { data } = await run.services.getIamPolicy({ resource: `${parent}/services/hello` });
    assert.equal(data.etag, 'ACAB');
  });
});
