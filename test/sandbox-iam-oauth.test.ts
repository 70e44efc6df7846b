// IAM OAuth clients and credentials through Google's generated client: synchronous calls, the
// generated clientId and the two-step redirect URI, update masks in both spellings, soft delete
// with the burned id, credentials whose secret is readable and that must be disabled before delete.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSandbox, clientsFor, waitOperation, googleError, control } from './helpers/sandbox.js';

const PARENT = 'projects/sandbox-project/locations/global';
const NAME = `${PARENT}/oauthClients/iap-auth0-hello`;
const BODY = {
  clientType: 'CONFIDENTIAL_CLIENT',
  allowedGrantTypes: ['AUTHORIZATION_CODE_GRANT'],
  allowedScopes: ['https://www.googleapis.com/auth/cloud-platform'],
  allowedRedirectUris: ['https://placeholder.example.com/pending'],
  displayName: 'iap-auth0',
  description: 'IAP sign-in client',
};

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
test('IAM OAuth clients and credentials', async (t) => {
  const sb = await useSandbox();
  const c = clientsFor(sb);
  const oc = c.iam.projects.locations.oauthClients;
  const creds = oc.credentials;
  const create = (body: Record<string, unknown> = BODY, id = 'iap-auth0-hello', parent = PARENT) =>
    oc.create({ parent, oauthClientId: id, requestBody: body });

  await t.test('no token is 401; the project must have the IAM API on', async () => {
    const res = await fetch(`${sb.env.CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM}v1/${PARENT}/oauthClients`);
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as any).error.status, 'UNAUTHENTICATED');
    const off = await googleError(create());
    assert.equal(off.code, 403);
    assert.match(off.message, /has not been used in project 415104041262 before or it is disabled/);
    assert.equal(
      (await googleError(oc.list({ parent: 'projects/not-my-project/locations/global' }))).code,
      403,
      'unknown project',
    );
    const { data: op } = await c.serviceusage.services.enable({
      name: 'projects/sandbox-project/services/iam.googleapis.com',
    });
    await waitOperation(() => c.serviceusage.operations.get({ name: op.name! }));
  });

  await t.test('create validates location, id, type and the required arrays', async () => {
    assert.equal(
      (await googleError(create(BODY, 'iap-auth0-hello', 'projects/sandbox-project/locations/us-east1'))).status,
      'INVALID_ARGUMENT',
    );
    for (const id of ['short', 'gcp-client-1', 'ends-with-', 'Upper-client'])
      assert.equal((await googleError(create(BODY, id))).status, 'INVALID_ARGUMENT', id);
    const cases: Record<string, Record<string, unknown>> = {
      'no clientType': { ...BODY, clientType: undefined },
      'bad clientType': { ...BODY, clientType: 'WEB' },
      'empty grants': { ...BODY, allowedGrantTypes: [] },
      'bad grant': { ...BODY, allowedGrantTypes: ['CLIENT_CREDENTIALS_GRANT'] },
      'no scopes': { ...BODY, allowedScopes: undefined },
      'bad scope': { ...BODY, allowedScopes: ['profile'] },
      'no redirect': { ...BODY, allowedRedirectUris: [] },
      'long displayName': { ...BODY, displayName: 'x'.repeat(33) },
      'long description': { ...BODY, description: 'x'.repeat(257) },
    };
    for (const [what, body] of Object.entries(cases)) {
      const e = await googleError(create(body));
      assert.equal(e.code, 400, what);
      assert.equal(e.status, 'INVALID_ARGUMENT', what);
    }
    assert.equal(sb.world.oauthClients.size, 0);
  });

  await t.test('create is synchronous and generates the clientId; duplicate 409', async () => {
    const client = (await create()).data;
    assert.equal(client.name, NAME);
    assert.match(client.clientId!, /^a[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(client.state, 'ACTIVE');
    assert.equal(client.disabled, false);
    assert.equal(client.clientType, 'CONFIDENTIAL_CLIENT');
    assert.deepEqual(client.allowedRedirectUris, BODY.allowedRedirectUris);
    assert.equal(client.displayName, 'iap-auth0');
    const stored = sb.world.oauthClients.get('415104041262/iap-auth0-hello')!;
    assert.equal(stored.projectRef, 'sandbox-project');
    assert.equal(stored.clientId, client.clientId);
    const dup = await googleError(create());
    assert.equal(dup.code, 409);
    assert.equal(dup.status, 'ALREADY_EXISTS');
    // A second client gets its own clientId; both are listed, by project id or number.
    const other = (await create(BODY, 'iap-auth0-other')).data;
    assert.notEqual(other.clientId, client.clientId);
    const listed = (await oc.list({ parent: 'projects/415104041262/locations/global' })).data.oauthClients!;
    assert.deepEqual(listed.map((x) => x.name).sort(), [NAME, `${PARENT}/oauthClients/iap-auth0-other`]);
    assert.equal((await oc.get({ name: NAME })).data.clientId, client.clientId);
    assert.equal((await googleError(oc.get({ name: `${PARENT}/oauthClients/never-made` }))).code, 404);
  });

  await t.test('the real redirect URI is patched in a second step; mask required, snake_case accepted', async () => {
    const { clientId } = (await oc.get({ name: NAME })).data;
    const redirect = `https://iap.googleapis.com/v1/oauth/clientIds/${clientId}:handleRedirect`;
    const noMask = await googleError(oc.patch({ name: NAME, requestBody: { allowedRedirectUris: [redirect] } }));
    assert.equal(noMask.code, 400);
    assert.equal(noMask.status, 'INVALID_ARGUMENT');
    assert.equal(
      (
        await googleError(
          oc.patch({ name: NAME, updateMask: 'clientType', requestBody: { clientType: 'PUBLIC_CLIENT' } }),
        )
      ).status,
      'INVALID_ARGUMENT',
      'clientType is immutable',
    );
    const patched = (
      await oc.patch({
        name: NAME,
        updateMask: 'allowed_redirect_uris',
        requestBody: { allowedRedirectUris: [redirect], displayName: 'ignored' },
      })
    ).data;
    assert.deepEqual(patched.allowedRedirectUris, [redirect]);
    assert.equal(patched.displayName, 'iap-auth0', 'fields outside the mask are kept');
    assert.deepEqual((await oc.get({ name: NAME })).data.allowedRedirectUris, [redirect]);
    const camel = (
      await oc.patch({
        name: NAME,
        updateMask: 'displayName,allowedScopes',
        requestBody: { displayName: 'renamed', allowedScopes: ['openid', 'email'] },
      })
    ).data;
    assert.equal(camel.displayName, 'renamed');
    assert.deepEqual(camel.allowedScopes, ['openid', 'email']);
  });

  await t.test('credentials: secret on create and get, list, disable before delete, 404 afterwards', async () => {
    const bad = await googleError(
      creds.create({ parent: NAME, oauthClientCredentialId: 'gcp-secret', requestBody: {} }),
    );
    assert.equal(bad.status, 'INVALID_ARGUMENT');
    const cred = (
      await creds.create({ parent: NAME, oauthClientCredentialId: 'iap-secret', requestBody: { displayName: 'iap' } })
    ).data;
    assert.equal(cred.name, `${NAME}/credentials/iap-secret`);
    assert.equal(cred.disabled, false);
    assert.equal(cred.displayName, 'iap');
    assert.ok(cred.clientSecret && cred.clientSecret.length > 20);
    assert.equal(
      (await googleError(creds.create({ parent: NAME, oauthClientCredentialId: 'iap-secret', requestBody: {} }))).code,
      409,
    );
    assert.equal(
      (await creds.get({ name: cred.name! })).data.clientSecret,
      cred.clientSecret,
      'the secret is readable again with get',
    );
    const second = (await creds.create({ parent: NAME, oauthClientCredentialId: 'spare', requestBody: {} })).data;
    assert.notEqual(second.clientSecret, cred.clientSecret);
    assert.deepEqual(
      (await creds.list({ parent: NAME })).data.oauthClientCredentials!.map((k) => k.name),
      [cred.name, second.name],
    );

    const enabledDelete = await googleError(creds.delete({ name: cred.name! }));
    assert.equal(enabledDelete.code, 400);
    assert.equal(enabledDelete.status, 'FAILED_PRECONDITION');
    assert.equal(enabledDelete.message, 'Before deleting an OauthClientCredential, it should first be disabled.');
    assert.equal(
      (await googleError(creds.patch({ name: cred.name!, requestBody: { disabled: true } }))).status,
      'INVALID_ARGUMENT',
      'mask required',
    );
    const disabled = (await creds.patch({ name: cred.name!, updateMask: 'disabled', requestBody: { disabled: true } }))
      .data;
    assert.equal(disabled.disabled, true);
    assert.deepEqual((await creds.delete({ name: cred.name! })).data, {});
    const gone = await googleError(creds.get({ name: cred.name! }));
    assert.equal(gone.code, 404);
    assert.equal(gone.status, 'NOT_FOUND');
    assert.deepEqual(
      (await creds.list({ parent: NAME })).data.oauthClientCredentials!.map((k) => k.name),
      [second.name],
    );
    // The id is free again at once (credentials have no soft delete).
    const again = (await creds.create({ parent: NAME, oauthClientCredentialId: 'iap-secret', requestBody: {} })).data;
    assert.notEqual(again.clientSecret, cred.clientSecret);
  });

  await t.test(
    'client delete returns the DELETED client; no patch, burned id, credentials hidden, undelete',
    async () => {
      const deleted = (await oc.delete({ name: NAME })).data;
      assert.equal(deleted.state, 'DELETED');
      const expire = Date.parse(deleted.expireTime!) - sb.world.clock.now();
      assert.ok(expire > 29.9 * 86_400_000 && expire <= 30 * 86_400_000);
      assert.equal((await oc.get({ name: NAME })).data.state, 'DELETED', 'GET still answers, with state DELETED');
      const patch = await googleError(
        oc.patch({ name: NAME, updateMask: 'displayName', requestBody: { displayName: 'x' } }),
      );
      assert.equal(patch.status, 'FAILED_PRECONDITION');
      assert.equal(patch.message, 'You cannot update deleted OauthClients.');
      const burned = await googleError(create());
      assert.equal(burned.code, 409);
      assert.match(burned.message, /deleted recently/);
      assert.deepEqual(
        (await oc.list({ parent: PARENT })).data.oauthClients!.map((x) => x.name),
        [`${PARENT}/oauthClients/iap-auth0-other`],
      );
      assert.equal((await oc.list({ parent: PARENT, showDeleted: true })).data.oauthClients!.length, 2);
      assert.equal(
        (await googleError(creds.get({ name: `${NAME}/credentials/spare` }))).code,
        404,
        'credentials of a deleted client are unreachable',
      );
      const undeleted = (await oc.undelete({ name: NAME, requestBody: {} })).data;
      assert.equal(undeleted.state, 'ACTIVE');
      assert.equal(undeleted.expireTime, undefined);
      assert.equal(
        (await creds.get({ name: `${NAME}/credentials/spare` })).data.name,
        `${NAME}/credentials/spare`,
        'and come back with it',
      );
      assert.equal((await googleError(oc.undelete({ name: NAME, requestBody: {} }))).status, 'FAILED_PRECONDITION');
    },
  );

  await t.test('a restricted token gets 403 naming the permission', async () => {
    const { token } = await control(sb, '/tokens', { deny: ['iam.oauthClients.create'] });
    const limited = clientsFor({ ...sb, env: { ...sb.env, CLOUDSDK_AUTH_ACCESS_TOKEN: token } }).iam.projects.locations
      .oauthClients;
    const e = await googleError(limited.create({ parent: PARENT, oauthClientId: 'denied-client', requestBody: BODY }));
    assert.equal(e.code, 403);
    assert.match(e.message, /Permission 'iam\.oauthClients\.create' denied on resource 'projects\/sandbox-project'/);
    assert.equal((await limited.get({ name: NAME })).data.state, 'ACTIVE');
  });

  await t.test('30 days after delete a client is purged with its credentials and its id is free', async () => {
    await oc.delete({ name: NAME });
    await control(sb, '/clock', { advance: '31d' });
    assert.equal((await googleError(oc.get({ name: NAME }))).code, 404);
    assert.equal(
      [...sb.world.credentials.keys()].filter((k) => k.startsWith('415104041262/iap-auth0-hello/')).length,
      0,
    );
    const fresh = (await create()).data;
    assert.equal(fresh.state, 'ACTIVE');
    assert.deepEqual((await creds.list({ parent: NAME })).data, {}, 'no credentials carried over');
  });
});
