// IAM service accounts through Google's generated client: SERVICE_DISABLED until the IAM API is on,
// create with the real id rules, 409 with a ResourceInfo, get by email or unique id, 404 vs the 403
// of `projects/-`, list, delete and immediate reuse of the account id, and patch (mask in the body,
// only the masked fields answered, the real missing-mask 400, limits, permission).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSandbox, clientsFor, waitOperation, googleError, control } from './helpers/sandbox.js';

async function errorBody(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e: any) {
    return e?.response?.data?.error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
test('IAM service accounts', async (t) => {
  const sb = await useSandbox();
  const c = clientsFor(sb);
  const sas = c.iam.projects.serviceAccounts;
  const EMAIL = 'iap-run-hello@sandbox-project.iam.gserviceaccount.com';
  const body = {
    accountId: 'iap-run-hello',
    serviceAccount: { displayName: 'hello runtime', description: 'Runs the hello service' },
  };

  await t.test('no token is 401', async () => {
    const res = await fetch(
      `${sb.env.CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM}v1/projects/sandbox-project/serviceAccounts`,
      { headers: { authorization: 'Bearer not-a-token' } },
    );
    assert.equal(res.status, 401);
    const err = ((await res.json()) as any).error;
    assert.equal(err.status, 'UNAUTHENTICATED');
    assert.equal(err.details[0].reason, 'ACCESS_TOKEN_TYPE_UNSUPPORTED');
  });

  await t.test('SERVICE_DISABLED until the IAM API is enabled, then calls go through', async () => {
    const err = await errorBody(sas.list({ name: 'projects/sandbox-project' }));
    assert.equal(err.code, 403);
    assert.equal(err.status, 'PERMISSION_DENIED');
    assert.match(
      err.message,
      new RegExp(
        /^Identity and Access Management \(IAM\) API has not been used in project 415104041262 before or /.source +
          /it is disabled\. Enable it by visiting https:\/\/console\.developers\.google\.com\/apis\/api\/ia/.source +
          /m\.googleapis\.com\/overview\?project=415104041262 then retry/.source,
      ),
    );
    assert.equal(err.details[0].reason, 'SERVICE_DISABLED');
    assert.equal(err.details[0].metadata.service, 'iam.googleapis.com');
    assert.equal(err.details[0].metadata.consumer, 'projects/415104041262');
    assert.equal((await googleError(sas.create({ name: 'projects/sandbox-project', requestBody: body }))).code, 403);
    const { data: op } = await c.serviceusage.services.enable({
      name: 'projects/sandbox-project/services/iam.googleapis.com',
    });
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
    assert.equal(
      (
        await googleError(
          sas.create({
            name: 'projects/sandbox-project',
            requestBody: { accountId: 'long-name', serviceAccount: { displayName: '€'.repeat(34) } },
          }),
        )
      ).status,
      'INVALID_ARGUMENT',
    );
    assert.equal(
      (
        await googleError(
          sas.create({
            name: 'projects/sandbox-project',
            requestBody: { accountId: 'long-desc', serviceAccount: { description: 'x'.repeat(257) } },
          }),
        )
      ).status,
      'INVALID_ARGUMENT',
    );
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
    assert.deepEqual(dup.details, [
      {
        '@type': 'type.googleapis.com/google.rpc.ResourceInfo',
        resourceName: `projects/sandbox-project/serviceAccounts/${EMAIL}`,
      },
    ]);

    assert.equal(
      (await sas.get({ name: `projects/sandbox-project/serviceAccounts/${EMAIL}` })).data.uniqueId,
      sa.uniqueId,
    );
    assert.equal(
      (await sas.get({ name: `projects/sandbox-project/serviceAccounts/${sa.uniqueId}` })).data.email,
      EMAIL,
    );
    assert.equal((await sas.get({ name: `projects/-/serviceAccounts/${EMAIL}` })).data.uniqueId, sa.uniqueId);
    assert.equal(
      (await sas.get({ name: `projects/415104041262/serviceAccounts/${EMAIL}` })).data.email,
      EMAIL,
      'project by number',
    );
    assert.deepEqual(
      (await sas.list({ name: 'projects/sandbox-project' })).data.accounts!.map((a) => a.email),
      [EMAIL],
    );
  });

  await t.test('missing accounts: 404 in a named project, 403 through projects/-', async () => {
    const missing = await googleError(
      sas.get({ name: 'projects/sandbox-project/serviceAccounts/nobody@sandbox-project.iam.gserviceaccount.com' }),
    );
    assert.equal(missing.code, 404);
    assert.equal(missing.status, 'NOT_FOUND');
    const hidden = await googleError(
      sas.get({ name: 'projects/-/serviceAccounts/nobody@sandbox-project.iam.gserviceaccount.com' }),
    );
    assert.equal(hidden.code, 403);
    assert.equal(hidden.status, 'PERMISSION_DENIED');
  });

  await t.test('delete answers {}, then 404; the account id is reusable at once with a new unique id', async () => {
    assert.deepEqual((await sas.delete({ name: `projects/sandbox-project/serviceAccounts/${EMAIL}` })).data, {});
    assert.equal((await googleError(sas.get({ name: `projects/sandbox-project/serviceAccounts/${EMAIL}` }))).code, 404);
    assert.equal((await googleError(sas.get({ name: `projects/-/serviceAccounts/${EMAIL}` }))).code, 403);
    assert.equal(
      (await googleError(sas.delete({ name: `projects/sandbox-project/serviceAccounts/${EMAIL}` }))).code,
      404,
    );
    const again = (await sas.create({ name: 'projects/sandbox-project', requestBody: body })).data;
    assert.equal(again.email, EMAIL);
    assert.notEqual(again.uniqueId, first.uniqueId);
  });

  await t.test('a restricted token cannot create: 403 naming the permission', async () => {
    const { token } = await control(sb, '/tokens', { deny: ['iam.serviceAccounts.create'] });
    const limited = clientsFor({ ...sb, env: { ...sb.env, CLOUDSDK_AUTH_ACCESS_TOKEN: token } }).iam.projects
      .serviceAccounts;
    const e = await googleError(
      limited.create({ name: 'projects/sandbox-project', requestBody: { accountId: 'denied-account' } }),
    );
    assert.equal(e.code, 403);
    assert.match(e.message, /Permission 'iam\.serviceAccounts\.create' denied on resource 'projects\/sandbox-project'/);
    assert.equal(sb.world.serviceAccounts.has('denied-account@sandbox-project.iam.gserviceaccount.com'), false);
  });

  // From here the account `again` exists (created by the reuse test above).
  const NAME = `projects/sandbox-project/serviceAccounts/${EMAIL}`;
  const stored = () => {
    const sa = sb.world.serviceAccounts.get(EMAIL)!;
    return { displayName: sa.displayName, description: sa.description };
  };

  await t.test('every account reports the constant etag real IAM reports', async () => {
    assert.equal((await sas.get({ name: NAME })).data.etag, 'MDEwMjE5MjA=');
  });

  await t.test('patch: mask in the body, both fields round-trip, the answer holds only the masked fields', async () => {
    const { data, status } = await sas.patch({
      name: NAME,
      requestBody: {
        serviceAccount: { displayName: 'handed over', description: 'iap-auth0:owner=setup-b' },
        updateMask: 'description,displayName',
      },
    });
    assert.equal(status, 200);
    assert.deepEqual(data, { name: NAME, displayName: 'handed over', description: 'iap-auth0:owner=setup-b' });
    const { data: got } = await sas.get({ name: NAME });
    assert.equal(got.displayName, 'handed over');
    assert.equal(got.description, 'iap-auth0:owner=setup-b');
    assert.equal(got.email, EMAIL);
    assert.match(got.uniqueId!, /^\d{21}$/);
    // A body copied from GET (output-only fields, a made-up etag) is accepted; those are ignored.
    const { data: one } = await sas.patch({
      name: `projects/sandbox-project/serviceAccounts/${got.uniqueId}`,
      requestBody: {
        serviceAccount: {
          ...got,
          etag: 'not-the-etag',
          displayName: 'ignored, not in the mask',
          description: 'put back',
        },
        updateMask: 'description',
      },
    });
    assert.deepEqual(one, { name: NAME, description: 'put back' });
    assert.deepEqual(stored(), { displayName: 'handed over', description: 'put back' });
    // Terraform sends proto (snake_case) paths: display_name.
    await sas.patch({
      name: NAME,
      requestBody: { serviceAccount: { displayName: 'hello runtime' }, updateMask: 'display_name' },
    });
    assert.deepEqual(stored(), { displayName: 'hello runtime', description: 'put back' });
    // projects/- works for an existing account too.
    await sas.patch({
      name: `projects/-/serviceAccounts/${EMAIL}`,
      requestBody: { serviceAccount: { description: 'Runs the hello service' }, updateMask: 'description' },
    });
    assert.deepEqual(stored(), { displayName: 'hello runtime', description: 'Runs the hello service' });
  });

  await t.test('patch: a masked field left unset is cleared', async () => {
    const { data } = await sas.patch({ name: NAME, requestBody: { serviceAccount: {}, updateMask: 'description' } });
    assert.deepEqual(data, { name: NAME });
    assert.equal((await sas.get({ name: NAME })).data.description, undefined);
    await sas.patch({
      name: NAME,
      requestBody: { serviceAccount: { description: 'Runs the hello service' }, updateMask: 'description' },
    });
  });

  await t.test(
    'patch: no mask, an empty mask, or a mask only in the query is the real 400; nothing changes',
    async () => {
      const before = stored();
      for (const requestBody of [
        { serviceAccount: { description: 'x' } },
        { serviceAccount: { description: 'x' }, updateMask: '' },
        { serviceAccount: { description: 'x' }, updateMask: ' , ' },
      ]) {
        const err = await errorBody(sas.patch({ name: NAME, requestBody }));
        assert.equal(err.code, 400);
        assert.equal(err.status, 'INVALID_ARGUMENT');
        assert.equal(err.message, 'Invalid field mask for ServiceAccount. Field mask paths cannot be empty.');
      }
      // The request message is the body: a mask in the query string is not the request's mask.
      const { token } = await control(sb, '/tokens', {});
      const res = await fetch(`${sb.env.CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM}v1/${NAME}?updateMask=description`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ serviceAccount: { description: 'x' } }),
      });
      assert.equal(res.status, 400);
      assert.equal(
        ((await res.json()) as any).error.message,
        'Invalid field mask for ServiceAccount. Field mask paths cannot be empty.',
      );
      for (const updateMask of ['email', 'disabled', 'description,etag', 'displayName.first']) {
        const e = await googleError(
          sas.patch({ name: NAME, requestBody: { serviceAccount: { description: 'x', email: 'y' }, updateMask } }),
        );
        assert.deepEqual([e.code, e.status], [400, 'INVALID_ARGUMENT'], updateMask);
      }
      const unknown = await googleError(
        sas.patch({
          name: NAME,
          requestBody: { serviceAccount: { descripton: 'typo' }, updateMask: 'description' } as any,
        }),
      );
      assert.deepEqual([unknown.code, unknown.status], [400, 'INVALID_ARGUMENT']);
      assert.deepEqual(stored(), before);
    },
  );

  await t.test('patch: the create limits (UTF-8 bytes) hold; a refused patch changes neither field', async () => {
    const before = stored();
    // 86 three-byte characters are 258 bytes (> 256) though only 86 characters.
    for (const serviceAccount of [
      { description: 'x'.repeat(257), displayName: 'fine' },
      { description: '€'.repeat(86), displayName: 'fine' },
      { displayName: 'é'.repeat(51), description: 'fine' },
    ]) {
      const e = await googleError(
        sas.patch({ name: NAME, requestBody: { serviceAccount, updateMask: 'displayName,description' } }),
      );
      assert.deepEqual([e.code, e.status], [400, 'INVALID_ARGUMENT']);
    }
    assert.deepEqual(stored(), before);
    assert.deepEqual((await sas.get({ name: NAME })).data.description, before.description);
    // Exactly at the limits is fine.
    await sas.patch({
      name: NAME,
      requestBody: {
        serviceAccount: { description: 'x'.repeat(256), displayName: 'é'.repeat(50) },
        updateMask: 'displayName,description',
      },
    });
    assert.deepEqual(stored(), { description: 'x'.repeat(256), displayName: 'é'.repeat(50) });
    await sas.patch({ name: NAME, requestBody: { serviceAccount: before, updateMask: 'displayName,description' } });
  });

  await t.test('patch of a missing account: 404 in a named project, 403 through projects/-', async () => {
    const ghost = 'nobody@sandbox-project.iam.gserviceaccount.com';
    const e = await googleError(
      sas.patch({
        name: `projects/sandbox-project/serviceAccounts/${ghost}`,
        requestBody: { serviceAccount: { description: 'x' }, updateMask: 'description' },
      }),
    );
    assert.deepEqual([e.code, e.status], [404, 'NOT_FOUND']);
    const hidden = await googleError(
      sas.patch({
        name: `projects/-/serviceAccounts/${ghost}`,
        requestBody: { serviceAccount: { description: 'x' }, updateMask: 'description' },
      }),
    );
    assert.deepEqual([hidden.code, hidden.status], [403, 'PERMISSION_DENIED']);
    assert.match(hidden.message, /iam\.serviceAccounts\.update/);
    assert.equal(sb.world.serviceAccounts.has(ghost), false);
  });

  await t.test('patch without iam.serviceAccounts.update: 403 naming it, nothing changes', async () => {
    const before = stored();
    const { token } = await control(sb, '/tokens', { deny: ['iam.serviceAccounts.update'] });
    const limited = clientsFor({ ...sb, env: { ...sb.env, CLOUDSDK_AUTH_ACCESS_TOKEN: token } }).iam.projects
      .serviceAccounts;
    const e = await googleError(
      limited.patch({
        name: NAME,
        requestBody: { serviceAccount: { description: 'stolen' }, updateMask: 'description' },
      }),
    );
    assert.deepEqual([e.code, e.status], [403, 'PERMISSION_DENIED']);
    assert.match(e.message, /Permission 'iam\.serviceAccounts\.update' denied on resource/);
    assert.deepEqual(stored(), before);
    // The same token may still read.
    assert.equal((await limited.get({ name: NAME })).data.description, before.description);
  });
});
