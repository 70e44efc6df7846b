// IAM service accounts through Google's generated client: SERVICE_DISABLED until the IAM API is on,
// create with the real id rules, 409 with a ResourceInfo, get by email or unique id, 404 vs the 403
// of `projects/-`, list, delete and immediate reuse of the account id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSandbox, clientsFor, waitOperation, googleError, control } from './helpers/sandbox.js';

async function errorBody(p: Promise<unknown>): Promise<any> {
  try { await p; } catch (e: any) { return e?.response?.data?.error; }
  throw new Error('expected the call to fail, but it succeeded');
}

test('IAM service accounts', async (t) => {
  const sb = await useSandbox();
  const c = clientsFor(sb);
  const sas = c.iam.projects.serviceAccounts;
  const EMAIL = 'iap-run-hello@sandbox-project.iam.gserviceaccount.com';
  const body = { accountId: 'iap-run-hello', serviceAccount: { displayName: 'hello runtime', description: 'Runs the hello service' } };

  await t.test('no token is 401', async () => {
    const res = await fetch(`${sb.env.CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM}v1/projects/sandbox-project/serviceAccounts`, { headers: { authorization: 'Bearer not-a-token' } });
    assert.equal(res.status, 401);
    const err = ((await res.json()) as any).error;
    assert.equal(err.status, 'UNAUTHENTICATED');
    assert.equal(err.details[0].reason, 'ACCESS_TOKEN_TYPE_UNSUPPORTED');
  });

  await t.test('SERVICE_DISABLED until the IAM API is enabled, then calls go through', async () => {
    const err = await errorBody(sas.list({ name: 'projects/sandbox-project' }));
    assert.equal(err.code, 403);
    assert.equal(err.status, 'PERMISSION_DENIED');
    assert.match(err.message, /^Identity and Access Management \(IAM\) API has not been used in project 415104041262 before or it is disabled\. Enable it by visiting https:\/\/console\.developers\.google\.com\/apis\/api\/iam\.googleapis\.com\/overview\?project=415104041262 then retry/);
    assert.equal(err.details[0].reason, 'SERVICE_DISABLED');
    assert.equal(err.details[0].metadata.service, 'iam.googleapis.com');
    assert.equal(err.details[0].metadata.consumer, 'projects/415104041262');
    assert.equal((await googleError(sas.create({ name: 'projects/sandbox-project', requestBody: body }))).code, 403);
    const { data: op } = await c.serviceusage.services.enable({ name: 'projects/sandbox-project/services/iam.googleapis.com' });
    await waitOperation(() => c.serviceusage.operations.get({ name: op.name! }));
    assert.deepEqual((await sas.list({ name: 'projects/sandbox-project' })).data, {});
    // Enablement is per project.
    assert.equal((await googleError(sas.list({ name: 'projects/sandbox-no-org' }))).code, 403);
    assert.equal((await googleError(sas.list({ name: 'projects/not-my-project' }))).code, 403, 'unknown project');
  });

  await t.test('create: the real account id rules and field limits', async () => {
    for (const accountId of ['abc', 'Upper-case-id', '1starts-digit', 'ends-with-', 'x'.repeat(31), '']) {
      const e = await googleError(sas.create({ name: 'projects/sandbox-project', requestBody: { accountId } }));
      assert.equal(e.code, 400, accountId);
      assert.equal(e.status, 'INVALID_ARGUMENT', accountId);
    }
    // Limits are in UTF-8 bytes: 34 three-byte characters are 102 bytes.
    assert.equal((await googleError(sas.create({ name: 'projects/sandbox-project', requestBody: { accountId: 'long-name', serviceAccount: { displayName: '€'.repeat(34) } } }))).status, 'INVALID_ARGUMENT');
    assert.equal((await googleError(sas.create({ name: 'projects/sandbox-project', requestBody: { accountId: 'long-desc', serviceAccount: { description: 'x'.repeat(257) } } }))).status, 'INVALID_ARGUMENT');
    assert.equal(sb.world.serviceAccounts.size, 0);
  });

  let first: { uniqueId?: string | null } = {};
  await t.test('create, duplicate 409 with ResourceInfo, get by email and unique id, list', async () => {
    const sa = (await sas.create({ name: 'projects/sandbox-project', requestBody: body })).data;
    first = sa;
    assert.equal(sa.name, `projects/sandbox-project/serviceAccounts/${EMAIL}`);
    assert.equal(sa.email, EMAIL);
    assert.equal(sa.projectId, 'sandbox-project');
    assert.equal(sa.displayName, 'hello runtime');
    assert.equal(sa.description, 'Runs the hello service');
    assert.equal(sa.disabled, false);
    assert.match(sa.uniqueId!, /^\d{21}$/);
    assert.match(sa.oauth2ClientId!, /^\d+$/);
    assert.ok(sa.etag);

    const dup = await errorBody(sas.create({ name: 'projects/sandbox-project', requestBody: body }));
    assert.equal(dup.code, 409);
    assert.equal(dup.status, 'ALREADY_EXISTS');
    assert.equal(dup.message, 'Service account iap-run-hello already exists within project projects/sandbox-project.');
    assert.deepEqual(dup.details, [{ '@type': 'type.googleapis.com/google.rpc.ResourceInfo', resourceName: `projects/sandbox-project/serviceAccounts/${EMAIL}` }]);

    assert.equal((await sas.get({ name: `projects/sandbox-project/serviceAccounts/${EMAIL}` })).data.uniqueId, sa.uniqueId);
    assert.equal((await sas.get({ name: `projects/sandbox-project/serviceAccounts/${sa.uniqueId}` })).data.email, EMAIL);
    assert.equal((await sas.get({ name: `projects/-/serviceAccounts/${EMAIL}` })).data.uniqueId, sa.uniqueId);
    assert.equal((await sas.get({ name: `projects/415104041262/serviceAccounts/${EMAIL}` })).data.email, EMAIL, 'project by number');
    assert.deepEqual((await sas.list({ name: 'projects/sandbox-project' })).data.accounts!.map((a) => a.email), [EMAIL]);
  });

  await t.test('missing accounts: 404 in a named project, 403 through projects/-', async () => {
    const missing = await googleError(sas.get({ name: 'projects/sandbox-project/serviceAccounts/nobody@sandbox-project.iam.gserviceaccount.com' }));
    assert.equal(missing.code, 404);
    assert.equal(missing.status, 'NOT_FOUND');
    const hidden = await googleError(sas.get({ name: 'projects/-/serviceAccounts/nobody@sandbox-project.iam.gserviceaccount.com' }));
    assert.equal(hidden.code, 403);
    assert.equal(hidden.status, 'PERMISSION_DENIED');
  });

  await t.test('delete answers {}, then 404; the account id is reusable at once with a new unique id', async () => {
    assert.deepEqual((await sas.delete({ name: `projects/sandbox-project/serviceAccounts/${EMAIL}` })).data, {});
    assert.equal((await googleError(sas.get({ name: `projects/sandbox-project/serviceAccounts/${EMAIL}` }))).code, 404);
    assert.equal((await googleError(sas.get({ name: `projects/-/serviceAccounts/${EMAIL}` }))).code, 403);
    assert.equal((await googleError(sas.delete({ name: `projects/sandbox-project/serviceAccounts/${EMAIL}` }))).code, 404);
    const again = (await sas.create({ name: 'projects/sandbox-project', requestBody: body })).data;
    assert.equal(again.email, EMAIL);
    assert.notEqual(again.uniqueId, first.uniqueId);
  });

  await t.test('a restricted token cannot create: 403 naming the permission', async () => {
    const { token } = await control(sb, '/tokens', { deny: ['iam.serviceAccounts.create'] });
    const limited = clientsFor({ ...sb, env: { ...sb.env, CLOUDSDK_AUTH_ACCESS_TOKEN: token } }).iam.projects.serviceAccounts;
    const e = await googleError(limited.create({ name: 'projects/sandbox-project', requestBody: { accountId: 'denied-account' } }));
    assert.equal(e.code, 403);
    assert.match(e.message, /Permission 'iam\.serviceAccounts\.create' denied on resource 'projects\/sandbox-project'/);
    assert.equal(sb.world.serviceAccounts.has('denied-account@sandbox-project.iam.gserviceaccount.com'), false);
  });
});
