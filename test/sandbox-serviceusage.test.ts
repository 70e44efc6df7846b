// Service Usage through Google's generated clients (v1 and v1beta1): enable operations, the
// synthetic no-op, batchEnable atomicity and limits, get/batchGet/list, disable, and the IAP
// service agent that exists only once generated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSandbox, clientsFor, waitOperation, googleError, control, moveClock } from './helpers/sandbox.js';

async function errorBody(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e: any) {
    return e?.response?.data?.error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
test('Service Usage', async (t) => {
  const sb = await useSandbox();
  const c = clientsFor(sb);
  const svc = (s: string, p = 'sandbox-project') => `projects/${p}/services/${s}`;

  await t.test('no token is 401 UNAUTHENTICATED', async () => {
    const res = await fetch(`${sb.env.CLOUDSDK_API_ENDPOINT_OVERRIDES_SERVICEUSAGE}v1/${svc('run.googleapis.com')}`);
    assert.equal(res.status, 401);
    const err = ((await res.json()) as any).error;
    assert.equal(err.status, 'UNAUTHENTICATED');
    assert.equal(err.details[0].reason, 'CREDENTIALS_MISSING');
  });

  await t.test('a new project has Resource Manager on and Cloud Run off', async () => {
    assert.equal(
      (await c.serviceusage.services.get({ name: svc('cloudresourcemanager.googleapis.com') })).data.state,
      'ENABLED',
    );
    const run = (await c.serviceusage.services.get({ name: svc('run.googleapis.com') })).data;
    assert.deepEqual(run, {
      name: 'projects/415104041262/services/run.googleapis.com',
      parent: 'projects/415104041262',
      state: 'DISABLED',
      config: { name: 'run.googleapis.com', title: 'Cloud Run Admin API' },
    });
    const enabled = (
      await c.serviceusage.services.list({ parent: 'projects/sandbox-project', filter: 'state:ENABLED' })
    ).data.services!;
    assert.deepEqual(enabled.map((s) => s.config!.name).sort(), [
      'cloudresourcemanager.googleapis.com',
      'serviceusage.googleapis.com',
    ]);
  });

  await t.test('enable is a long-running operation: done:false, then done with the service ENABLED', async () => {
    // An enable of an hour of sandbox time, ended by moving the clock: "not before the operation
    // finishes" then holds however slowly a loaded machine gets to the check (the fast 20 ms did not).
    const fast = sb.world.profile;
    sb.world.profile = { ...fast, operationMs: { ...fast.operationMs, serviceEnable: 3_600_000 } };
    const { data: op } = await c.serviceusage.services.enable({ name: svc('run.googleapis.com') }).finally(() => {
      sb.world.profile = fast;
    });
    assert.ok(!op.done);
    assert.equal(op.response, undefined);
    assert.match(op.name!, /^operations\/acat\.p2-415104041262-[0-9a-f-]{36}$/);
    assert.equal(
      sb.world.serviceEnabled('415104041262', 'run.googleapis.com'),
      false,
      'not before the operation finishes',
    );
    await moveClock(sb, 3_600_000);
    const done = await waitOperation(() => c.serviceusage.operations.get({ name: op.name! }));
    assert.equal(done.done, true);
    assert.deepEqual(done.response, {
      '@type': 'type.googleapis.com/google.api.serviceusage.v1.EnableServiceResponse',
      service: {
        name: 'projects/415104041262/services/run.googleapis.com',
        parent: 'projects/415104041262',
        state: 'ENABLED',
        config: { name: 'run.googleapis.com', title: 'Cloud Run Admin API' },
      },
    });
    assert.equal((await c.serviceusage.services.get({ name: svc('run.googleapis.com') })).data.state, 'ENABLED');
    assert.equal(sb.world.services.get('415104041262')!.get('run.googleapis.com')!.state, 'ENABLED');
  });

  await t.test('enabling an enabled service answers the synthetic no-op, which cannot be polled', async () => {
    // By project number this time: both forms name the same project.
    const { data: op } = await c.serviceusage.services.enable({ name: svc('run.googleapis.com', '415104041262') });
    assert.equal(op.name, 'operations/noop.DONE_OPERATION');
    assert.equal(op.done, true);
    assert.equal((op.response as any).service.state, 'ENABLED');
    const e = await googleError(c.serviceusage.operations.get({ name: op.name! }));
    assert.equal(e.code, 400);
    assert.equal(e.status, 'INVALID_ARGUMENT');
    assert.equal((await googleError(c.serviceusage.operations.get({ name: 'operations/acat.p2-unknown' }))).code, 404);
  });

  await t.test('unknown services are 403 SERVICE_CONFIG_NOT_FOUND_OR_PERMISSION_DENIED', async () => {
    const err = await errorBody(c.serviceusage.services.enable({ name: svc('nope.googleapis.com') }));
    assert.equal(err.code, 403);
    assert.equal(err.status, 'PERMISSION_DENIED');
    assert.equal(err.message, 'Not found or permission denied for service(s): nope.googleapis.com.');
    assert.equal(err.details[0].reason, 'SERVICE_CONFIG_NOT_FOUND_OR_PERMISSION_DENIED');
    assert.equal((await googleError(c.serviceusage.services.get({ name: svc('nope.googleapis.com') }))).code, 403);
  });

  await t.test('batchEnable is atomic and limited to 20 services', async () => {
    const e = await googleError(
      c.serviceusage.services.batchEnable({
        parent: 'projects/sandbox-project',
        requestBody: { serviceIds: ['iap.googleapis.com', 'nope.googleapis.com'] },
      }),
    );
    assert.equal(e.code, 403);
    assert.match(e.message, /Not found or permission denied for service\(s\): nope\.googleapis\.com/);
    assert.equal(
      (await c.serviceusage.services.get({ name: svc('iap.googleapis.com') })).data.state,
      'DISABLED',
      'nothing enabled',
    );
    const tooMany = await googleError(
      c.serviceusage.services.batchEnable({
        parent: 'projects/sandbox-project',
        requestBody: { serviceIds: Array.from({ length: 21 }, () => 'iap.googleapis.com') },
      }),
    );
    assert.equal(tooMany.code, 400);
    assert.equal(tooMany.status, 'INVALID_ARGUMENT');
    assert.equal(
      (
        await googleError(
          c.serviceusage.services.batchEnable({ parent: 'projects/sandbox-project', requestBody: { serviceIds: [] } }),
        )
      ).status,
      'INVALID_ARGUMENT',
    );

    const { data: op } = await c.serviceusage.services.batchEnable({
      parent: 'projects/415104041262',
      requestBody: { serviceIds: ['iam.googleapis.com', 'run.googleapis.com'] },
    });
    assert.ok(!op.done);
    const done = await waitOperation(() => c.serviceusage.operations.get({ name: op.name! }));
    const response = done.response as any;
    assert.equal(response['@type'], 'type.googleapis.com/google.api.serviceusage.v1.BatchEnableServicesResponse');
    assert.deepEqual(
      response.services.map((s: any) => `${s.config.name}=${s.state}`),
      ['iam.googleapis.com=ENABLED', 'run.googleapis.com=ENABLED'],
    );
    assert.deepEqual(response.failures, []);
    const again = (
      await c.serviceusage.services.batchEnable({
        parent: 'projects/sandbox-project',
        requestBody: { serviceIds: ['iam.googleapis.com', 'run.googleapis.com'] },
      })
    ).data;
    assert.equal(again.name, 'operations/noop.DONE_OPERATION', 'all already on: the no-op');
  });

  await t.test('batchGet reads several services at once', async () => {
    const { data } = await c.serviceusage.services.batchGet({
      parent: 'projects/sandbox-project',
      names: [svc('iam.googleapis.com'), svc('iap.googleapis.com')],
    });
    assert.deepEqual(
      data.services!.map((s) => `${s.name}=${s.state}`),
      [
        'projects/415104041262/services/iam.googleapis.com=ENABLED',
        'projects/415104041262/services/iap.googleapis.com=DISABLED',
      ],
    );
  });

  await t.test('disable: FAILED_PRECONDITION when not enabled, else an operation that turns it off', async () => {
    const e = await googleError(
      c.serviceusage.services.disable({ name: svc('logging.googleapis.com'), requestBody: {} }),
    );
    assert.equal(e.code, 400);
    assert.equal(e.status, 'FAILED_PRECONDITION');
    const { data: on } = await c.serviceusage.services.enable({ name: svc('logging.googleapis.com') });
    await waitOperation(() => c.serviceusage.operations.get({ name: on.name! }));
    const { data: off } = await c.serviceusage.services.disable({
      name: svc('logging.googleapis.com'),
      requestBody: {},
    });
    const done = await waitOperation(() => c.serviceusage.operations.get({ name: off.name! }));
    assert.equal((done.response as any).service.state, 'DISABLED');
    assert.equal((await c.serviceusage.services.get({ name: svc('logging.googleapis.com') })).data.state, 'DISABLED');
  });

  await t.test('the IAP service agent exists only after generateServiceIdentity, which needs IAP enabled', async () => {
    assert.equal(sb.world.serviceIdentities.size, 0);
    const early = await googleError(
      c.serviceusageBeta.services.generateServiceIdentity({ parent: svc('iap.googleapis.com') }),
    );
    assert.equal(early.code, 400);
    assert.equal(early.status, 'FAILED_PRECONDITION');
    assert.match(early.message, /iap\.googleapis\.com/);
    const { data: on } = await c.serviceusage.services.enable({ name: svc('iap.googleapis.com') });
    await waitOperation(() => c.serviceusageBeta.operations.get({ name: on.name! }));

    const { data: op } = await c.serviceusageBeta.services.generateServiceIdentity({
      parent: svc('iap.googleapis.com'),
    });
    assert.ok(!op.done);
    const done = await waitOperation(() => c.serviceusageBeta.operations.get({ name: op.name! }));
    const identity = done.response as any;
    assert.equal(identity['@type'], 'type.googleapis.com/google.api.serviceusage.v1beta1.ServiceIdentity');
    assert.equal(identity.email, 'service-415104041262@gcp-sa-iap.iam.gserviceaccount.com');
    assert.match(identity.uniqueId, /^\d+$/);
    assert.deepEqual(sb.world.serviceIdentities.get('415104041262/iap.googleapis.com'), {
      email: identity.email,
      uniqueId: identity.uniqueId,
    });
    const { data: op2 } = await c.serviceusageBeta.services.generateServiceIdentity({
      parent: svc('iap.googleapis.com'),
    });
    const again = await waitOperation(() => c.serviceusageBeta.operations.get({ name: op2.name! }));
    assert.equal((again.response as any).uniqueId, identity.uniqueId, 'idempotent');
    // Other services follow the gcp-sa-<short> pattern.
    const { data: op3 } = await c.serviceusageBeta.services.generateServiceIdentity({
      parent: svc('iam.googleapis.com'),
    });
    assert.equal(
      ((await waitOperation(() => c.serviceusageBeta.operations.get({ name: op3.name! }))).response as any).email,
      'service-415104041262@gcp-sa-iam.iam.gserviceaccount.com',
    );
  });

  await t.test('unknown projects are 403, and a restricted token cannot enable', async () => {
    const e = await googleError(
      c.serviceusage.services.get({ name: 'projects/not-mine-1234/services/run.googleapis.com' }),
    );
    assert.equal(e.code, 403);
    assert.equal(e.status, 'PERMISSION_DENIED');
    assert.equal(
      (
        await googleError(
          c.serviceusage.services.enable({ name: 'projects/not-mine-1234/services/run.googleapis.com' }),
        )
      ).code,
      403,
    );
    const { token } = await control(sb, '/tokens', { deny: ['serviceusage.services.enable'] });
    const limited = clientsFor({ ...sb, env: { ...sb.env, CLOUDSDK_AUTH_ACCESS_TOKEN: token } });
    const denied = await googleError(limited.serviceusage.services.enable({ name: svc('sts.googleapis.com') }));
    assert.equal(denied.status, 'PERMISSION_DENIED');
    assert.match(denied.message, /serviceusage\.services\.enable/);
    assert.equal((await c.serviceusage.services.get({ name: svc('sts.googleapis.com') })).data.state, 'DISABLED');
  });
});
