// Service Usage through Google's generated client: enable operations, the synthetic no-op,
// batchEnable atomicity, and the IAP service agent that exists only once generated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSandbox, clientsFor, waitOperation, googleError } from './helpers/sandbox.js';

test('Service Usage', async (t) => {
  const sb = await useSandbox();
  const c = clientsFor(sb);
  const svc = (s: string) => `projects/sandbox-project/services/${s}`;

  await t.test('a new project has Resource Manager on and Cloud Run off', async () => {
    assert.equal((await c.serviceusage.services.get({ name: svc('cloudresourcemanager.googleapis.com') })).data.state, 'ENABLED');
    const run = (await c.serviceusage.services.get({ name: svc('run.googleapis.com') })).data;
    assert.equal(run.state, 'DISABLED');
    assert.equal(run.name, 'projects/415104041262/services/run.googleapis.com');
  });

  await t.test('enable is a long-running operation polled through operations.get', async () => {
    const { data: op } = await c.serviceusage.services.enable({ name: svc('run.googleapis.com') });
    assert.equal(op.done, undefined);
    assert.match(op.name!, /^operations\/acat\./);
    const done = await waitOperation(() => c.serviceusage.operations.get({ name: op.name! }));
    assert.equal((done.response as any).service.state, 'ENABLED');
    assert.equal((await c.serviceusage.services.get({ name: svc('run.googleapis.com') })).data.state, 'ENABLED');
  });

  await t.test('enabling an enabled service answers the synthetic no-op, which cannot be polled', async () => {
    const { data: op } = await c.serviceusage.services.enable({ name: svc('run.googleapis.com') });
    assert.equal(op.name, 'operations/noop.DONE_OPERATION');
    assert.equal(op.done, true);
    const e = await googleError(c.serviceusage.operations.get({ name: op.name! }));
    assert.equal(e.code, 400);
  });

  await t.test('batchEnable is atomic: one unknown service enables nothing', async () => {
    const e = await googleError(c.serviceusage.services.batchEnable({ parent: 'projects/sandbox-project', requestBody: { serviceIds: ['iap.googleapis.com', 'nope.googleapis.com'] } }));
    assert.equal(e.code, 403);
    assert.match(e.message, /Not found or permission denied for service\(s\): nope\.googleapis\.com/);
    assert.equal((await c.serviceusage.services.get({ name: svc('iap.googleapis.com') })).data.state, 'DISABLED');
    const tooMany = await googleError(c.serviceusage.services.batchEnable({ parent: 'projects/sandbox-project', requestBody: { serviceIds: Array.from({ length: 21 }, () => 'iap.googleapis.com') } }));
    assert.equal(tooMany.status, 'INVALID_ARGUMENT');
    const { data: op } = await c.serviceusage.services.batchEnable({ parent: 'projects/415104041262', requestBody: { serviceIds: ['iap.googleapis.com', 'iam.googleapis.com'] } });
    const done = await waitOperation(() => c.serviceusage.operations.get({ name: op.name! }));
    assert.deepEqual((done.response as any).services.map((s: any) => s.state), ['ENABLED', 'ENABLED']);
  });

  await t.test('the IAP service agent exists only after generateServiceIdentity', async () => {
    assert.equal(sb.world.serviceIdentities.size, 0);
    const { data: op } = await c.serviceusageBeta.services.generateServiceIdentity({ parent: svc('iap.googleapis.com') });
    const done = await waitOperation(() => c.serviceusageBeta.operations.get({ name: op.name! }));
    assert.equal((done.response as any).email, 'service-415104041262@gcp-sa-iap.iam.gserviceaccount.com');
    const { data: op2 } = await c.serviceusageBeta.services.generateServiceIdentity({ parent: svc('iap.googleapis.com') });
    const again = await waitOperation(() => c.serviceusageBeta.operations.get({ name: op2.name! }));
    assert.equal((again.response as any).uniqueId, (done.response as any).uniqueId, 'idempotent');
  });

  await t.test('unknown projects are 403, and a restricted token cannot enable', async () => {
    assert.equal((await googleError(c.serviceusage.services.get({ name: 'projects/not-mine-1234/services/run.googleapis.com' }))).code, 403);
    const { token } = await (await fetch(`${sb.controlUrl}/tokens`, { method: 'POST', body: JSON.stringify({ deny: ['serviceusage.services.enable'] }) })).json() as { token: string };
    const limited = clientsFor({ ...sb, env: { ...sb.env, CLOUDSDK_AUTH_ACCESS_TOKEN: token } });
    const e = await googleError(limited.serviceusage.services.enable({ name: svc('sts.googleapis.com') }));
    assert.equal(e.status, 'PERMISSION_DENIED');
    assert.match(e.message, /serviceusage\.services\.enable/);
  });
});
