// IAM through Google's generated client: service accounts, workforce pools and providers (operations,
// soft delete, undelete, purge), OAuth clients with their generated clientId, and credentials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSandbox, clientsFor, waitOperation, googleError, control } from './helpers/sandbox.js';

const ORG = 'organizations/123456789012';

test('IAM', async (t) => {
  const sb = await useSandbox();
  const c = clientsFor(sb);
  const pools = c.iam.locations.workforcePools;
  const createPool = (id: string, body: object = {}) => pools.create({ location: 'locations/global', workforcePoolId: id, requestBody: { parent: ORG, displayName: 'iap-auth0', ...body } });
  const waitPoolOp = (name: string) => waitOperation(() => pools.operations.get({ name }));

  await t.test('project-scoped IAM calls need the API enabled first', async () => {
    const e = await googleError(c.iam.projects.serviceAccounts.list({ name: 'projects/sandbox-project' }));
    assert.equal(e.code, 403);
    assert.match(e.message, /Identity and Access Management \(IAM\) API has not been used in project 415104041262/);
    const { data: op } = await c.serviceusage.services.enable({ name: 'projects/sandbox-project/services/iam.googleapis.com' });
    await waitOperation(() => c.serviceusage.operations.get({ name: op.name! }));
  });

  await t.test('service accounts: create, duplicate, get, delete, reuse', async () => {
    const body = { accountId: 'iap-run-hello', serviceAccount: { displayName: 'hello runtime' } };
    const sa = (await c.iam.projects.serviceAccounts.create({ name: 'projects/sandbox-project', requestBody: body })).data;
    assert.equal(sa.email, 'iap-run-hello@sandbox-project.iam.gserviceaccount.com');
    const dup = await googleError(c.iam.projects.serviceAccounts.create({ name: 'projects/sandbox-project', requestBody: body }));
    assert.equal(dup.code, 409);
    assert.equal(dup.message, 'Service account iap-run-hello already exists within project projects/sandbox-project.');
    assert.equal((await googleError(c.iam.projects.serviceAccounts.create({ name: 'projects/sandbox-project', requestBody: { accountId: 'abc' } }))).code, 400);
    assert.equal((await c.iam.projects.serviceAccounts.get({ name: `projects/sandbox-project/serviceAccounts/${sa.email}` })).data.uniqueId, sa.uniqueId);
    await c.iam.projects.serviceAccounts.delete({ name: `projects/sandbox-project/serviceAccounts/${sa.email}` });
    assert.equal((await googleError(c.iam.projects.serviceAccounts.get({ name: `projects/sandbox-project/serviceAccounts/${sa.email}` }))).code, 404);
    assert.equal((await googleError(c.iam.projects.serviceAccounts.get({ name: `projects/-/serviceAccounts/${sa.email}` }))).code, 403);
    const again = (await c.iam.projects.serviceAccounts.create({ name: 'projects/sandbox-project', requestBody: body })).data;
    assert.notEqual(again.uniqueId, sa.uniqueId);
  });

  await t.test('pool ids follow the real rules', async () => {
    for (const bad of ['short', 'gcp-pool-123', 'trailing-', 'UpperCase-pool', '9starts-digit']) {
      const e = await googleError(createPool(bad));
      assert.equal(e.status, 'INVALID_ARGUMENT', bad);
    }
    assert.equal((await googleError(pools.create({ location: 'locations/global', workforcePoolId: 'other-org-pool', requestBody: { parent: 'organizations/999' } }))).code, 403);
    assert.equal((await googleError(createPool('bad-session', { sessionDuration: '60s' }))).status, 'INVALID_ARGUMENT');
  });

  await t.test('pool lifecycle: operation, duplicate, delete, burned id, undelete, purge', async () => {
    const { data: op } = await createPool('iap-hello-pool');
    assert.match(op.name!, /^locations\/global\/workforcePools\/iap-hello-pool\/operations\//);
    assert.ok(!op.done);
    const done = await waitPoolOp(op.name!);
    assert.equal(done.response, undefined, 'IAM operations carry no response');
    const pool = (await pools.get({ name: 'locations/global/workforcePools/iap-hello-pool' })).data;
    assert.equal(pool.state, 'ACTIVE');
    assert.equal(pool.sessionDuration, '3600s');
    assert.equal((await googleError(createPool('iap-hello-pool'))).code, 409);
    assert.equal((await googleError(pools.list({ location: 'locations/global' }))).status, 'INVALID_ARGUMENT', 'parent is required');
    assert.equal((await pools.list({ location: 'locations/global', parent: ORG })).data.workforcePools!.length, 1);
    assert.equal((await googleError(pools.patch({ name: 'locations/global/workforcePools/iap-hello-pool', requestBody: { displayName: 'x' } }))).status, 'INVALID_ARGUMENT', 'mask required');

    await waitPoolOp((await pools.delete({ name: 'locations/global/workforcePools/iap-hello-pool' })).data.name!);
    const deleted = (await pools.get({ name: 'locations/global/workforcePools/iap-hello-pool' })).data;
    assert.equal(deleted.state, 'DELETED');
    assert.ok(Date.parse(deleted.expireTime!) - Date.now() > 29 * 86_400_000);
    const burned = await googleError(createPool('iap-hello-pool'));
    assert.equal(burned.code, 409);
    assert.match(burned.message, /Undelete it instead/);
    assert.equal((await pools.list({ location: 'locations/global', parent: ORG })).data.workforcePools, undefined);
    assert.equal((await pools.list({ location: 'locations/global', parent: ORG, showDeleted: true })).data.workforcePools!.length, 1);
    assert.equal((await googleError(pools.patch({ name: 'locations/global/workforcePools/iap-hello-pool', updateMask: 'displayName', requestBody: { displayName: 'x' } }))).status, 'FAILED_PRECONDITION');

    await waitPoolOp((await pools.undelete({ name: 'locations/global/workforcePools/iap-hello-pool', requestBody: {} })).data.name!);
    assert.equal((await pools.get({ name: 'locations/global/workforcePools/iap-hello-pool' })).data.state, 'ACTIVE');
    assert.equal((await googleError(pools.undelete({ name: 'locations/global/workforcePools/iap-hello-pool', requestBody: {} }))).status, 'FAILED_PRECONDITION');

    await waitPoolOp((await pools.delete({ name: 'locations/global/workforcePools/iap-hello-pool' })).data.name!);
    await control(sb, '/clock', { advance: '31d' });
    assert.equal((await googleError(pools.get({ name: 'locations/global/workforcePools/iap-hello-pool' }))).code, 404, 'purged after 30 days');
    await waitPoolOp((await createPool('iap-hello-pool')).data.name!);
  });

  await t.test('providers: CEL-checked mapping, secret thumbprint only, soft delete', async () => {
    const parent = 'locations/global/workforcePools/iap-hello-pool';
    const body = (over: object = {}) => ({
      displayName: 'Auth0', attributeMapping: { 'google.subject': 'assertion.sub', 'google.email': 'assertion.email' },
      oidc: { issuerUri: 'https://tenant.example/', clientId: 'abc', clientSecret: { value: { plainText: 's3cret-value' } },
        webSsoConfig: { responseType: 'CODE', assertionClaimsBehavior: 'MERGE_USER_INFO_OVER_ID_TOKEN_CLAIMS', additionalScopes: ['email', 'profile'] } },
      ...over,
    });
    const create = (id: string, over?: object) => pools.providers.create({ parent, workforcePoolProviderId: id, requestBody: body(over) });
    assert.match((await googleError(create('bad-cel', { attributeMapping: { 'google.subject': 'assertion.sub +' } }))).message, /not a valid CEL expression/);
    assert.match((await googleError(create('no-subject', { attributeMapping: { 'google.email': 'assertion.email' } }))).message, /google\.subject/);
    assert.equal((await googleError(create('gcp-auth0'))).status, 'INVALID_ARGUMENT');
    assert.match((await googleError(create('http-issuer', { oidc: { ...body().oidc, issuerUri: 'http://tenant.example/' } }))).message, /https/);
    assert.match((await googleError(create('no-secret', { oidc: { ...body().oidc, clientSecret: undefined } }))).message, /clientSecret is required/);

    const { data: op } = await create('auth0');
    await waitOperation(() => pools.providers.operations.get({ name: op.name! }));
    const prov = (await pools.providers.get({ name: `${parent}/providers/auth0` })).data;
    assert.equal(prov.oidc!.issuerUri, 'https://tenant.example/');
    const thumb = prov.oidc!.clientSecret!.value!.thumbprint;
    assert.ok(thumb);
    assert.ok(!JSON.stringify(prov).includes('s3cret-value'), 'the plaintext secret is never returned');
    const patched = await pools.providers.patch({ name: `${parent}/providers/auth0`, updateMask: 'oidc', requestBody: { oidc: { ...body().oidc, clientSecret: { value: { plainText: 'rotated' } } } } });
    await waitOperation(() => pools.providers.operations.get({ name: patched.data.name! }));
    assert.notEqual((await pools.providers.get({ name: `${parent}/providers/auth0` })).data.oidc!.clientSecret!.value!.thumbprint, thumb);

    const del = await pools.providers.delete({ name: `${parent}/providers/auth0` });
    await waitOperation(() => pools.providers.operations.get({ name: del.data.name! }));
    assert.equal((await pools.providers.get({ name: `${parent}/providers/auth0` })).data.state, 'DELETED');
    assert.equal((await googleError(create('auth0'))).code, 409);
    const und = await pools.providers.undelete({ name: `${parent}/providers/auth0`, requestBody: {} });
    await waitOperation(() => pools.providers.operations.get({ name: und.data.name! }));
    assert.equal((await pools.providers.get({ name: `${parent}/providers/auth0` })).data.state, 'ACTIVE');
  });

  await t.test('OAuth clients: generated clientId, redirect patched in a second step, soft delete', async () => {
    const oc = c.iam.projects.locations.oauthClients;
    const body = { clientType: 'CONFIDENTIAL_CLIENT', allowedGrantTypes: ['AUTHORIZATION_CODE_GRANT'], allowedScopes: ['https://www.googleapis.com/auth/cloud-platform'], allowedRedirectUris: ['https://placeholder.example.com/pending'] };
    assert.equal((await googleError(oc.create({ parent: 'projects/sandbox-project/locations/global', oauthClientId: 'iap-auth0-hello', requestBody: { ...body, allowedScopes: [] } }))).status, 'INVALID_ARGUMENT');
    assert.equal((await googleError(oc.create({ parent: 'projects/sandbox-project/locations/us-east1', oauthClientId: 'iap-auth0-hello', requestBody: body }))).status, 'INVALID_ARGUMENT');
    const client = (await oc.create({ parent: 'projects/sandbox-project/locations/global', oauthClientId: 'iap-auth0-hello', requestBody: body })).data;
    assert.match(client.clientId!, /^[0-9a-f]{9}-/);
    assert.equal(client.state, 'ACTIVE');
    const name = 'projects/sandbox-project/locations/global/oauthClients/iap-auth0-hello';
    assert.equal((await googleError(oc.patch({ name, requestBody: { allowedRedirectUris: ['https://x.example/'] } }))).status, 'INVALID_ARGUMENT', 'mask required');
    const redirect = `https://iap.googleapis.com/v1/oauth/clientIds/${client.clientId}:handleRedirect`;
    // snake_case masks are accepted, as Google's own docs send them
    const patched = (await oc.patch({ name, updateMask: 'allowed_redirect_uris', requestBody: { allowedRedirectUris: [redirect] } })).data;
    assert.deepEqual(patched.allowedRedirectUris, [redirect]);

    const creds = oc.credentials;
    const cred = (await creds.create({ parent: name, oauthClientCredentialId: 'iap-secret', requestBody: { displayName: 'iap' } })).data;
    assert.ok(cred.clientSecret && cred.clientSecret.length > 20);
    assert.equal((await creds.get({ name: `${name}/credentials/iap-secret` })).data.clientSecret, cred.clientSecret, 'the secret is readable again with get');
    const enabledDelete = await googleError(creds.delete({ name: `${name}/credentials/iap-secret` }));
    assert.equal(enabledDelete.status, 'FAILED_PRECONDITION');
    assert.match(enabledDelete.message, /disabled/);
    await creds.patch({ name: `${name}/credentials/iap-secret`, updateMask: 'disabled', requestBody: { disabled: true } });
    await creds.delete({ name: `${name}/credentials/iap-secret` });
    assert.equal((await googleError(creds.get({ name: `${name}/credentials/iap-secret` }))).code, 404);

    const deleted = (await oc.delete({ name })).data;
    assert.equal(deleted.state, 'DELETED');
    assert.equal((await googleError(oc.patch({ name, updateMask: 'displayName', requestBody: { displayName: 'x' } }))).status, 'FAILED_PRECONDITION');
    assert.equal((await googleError(oc.create({ parent: 'projects/sandbox-project/locations/global', oauthClientId: 'iap-auth0-hello', requestBody: body }))).code, 409);
    assert.equal((await oc.undelete({ name, requestBody: {} })).data.state, 'ACTIVE');
  });

  await t.test('a restricted token gets 403 naming the permission; injected faults use the envelope', async () => {
    const { token } = await control(sb, '/tokens', { deny: ['iam.workforcePools.create'] });
    const limited = clientsFor({ ...sb, env: { ...sb.env, CLOUDSDK_AUTH_ACCESS_TOKEN: token } });
    const e = await googleError(limited.iam.locations.workforcePools.create({ location: 'locations/global', workforcePoolId: 'denied-pool', requestBody: { parent: ORG } }));
    assert.equal(e.code, 403);
    assert.match(e.message, /Permission 'iam\.workforcePools\.create' denied on resource 'organizations\/123456789012'/);
    await control(sb, '/faults', { spec: 'iam=0.99:503', seed: 3 });
    const f = await googleError(pools.get({ name: 'locations/global/workforcePools/iap-hello-pool' }));
    assert.equal(f.code, 503);
    assert.equal(f.status, 'UNAVAILABLE');
    await control(sb, '/faults', { spec: '' });
  });
});
