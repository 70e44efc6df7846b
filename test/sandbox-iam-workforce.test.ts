// IAM workforce pools and providers through Google's generated client: id rules, operations polled
// through the client's own operations.get, soft delete with the 30-day burned id, undelete, purge
// on the sandbox clock, update masks, CEL-checked attribute mappings, the secret thumbprint, the
// quota-project header, restricted tokens and injected faults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSandbox, clientsFor, waitOperation, googleError, control } from './helpers/sandbox.js';

const ORG = 'organizations/123456789012';
const POOL = 'locations/global/workforcePools/iap-hello-pool';

/** The error details (ErrorInfo, BadRequest, …) of a rejected client call. */
async function details(p: Promise<unknown>): Promise<any[]> {
  try {
    await p;
  } catch (e: any) {
    return e?.response?.data?.error?.details ?? [];
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** A valid OIDC provider, with `over` replacing whole fields. */
const providerBody = (over: Record<string, unknown> = {}) => ({
  displayName: 'Auth0',
  attributeMapping: {
    'google.subject': 'assertion.sub',
    'google.email': 'assertion.email',
    'attribute.tenant': '"acme"',
  },
  attributeCondition: "assertion.email.endsWith('@sandbox.example')",
  oidc: {
    issuerUri: 'https://tenant.example/',
    clientId: 'abc',
    clientSecret: { value: { plainText: 's3cret-value' } },
    webSsoConfig: {
      responseType: 'CODE',
      assertionClaimsBehavior: 'MERGE_USER_INFO_OVER_ID_TOKEN_CLAIMS',
      additionalScopes: ['email', 'profile'],
    },
  },
  ...over,
});

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
test('IAM workforce pools and providers', async (t) => {
  const sb = await useSandbox();
  const c = clientsFor(sb);
  const pools = c.iam.locations.workforcePools;
  const createPool = (id: string, body: object = {}) =>
    pools.create({
      location: 'locations/global',
      workforcePoolId: id,
      requestBody: { parent: ORG, displayName: 'iap-auth0', ...body },
    });
  const waitPoolOp = (name: string) => waitOperation(() => pools.operations.get({ name }));
  const waitProvOp = (name: string) => waitOperation(() => pools.providers.operations.get({ name }));
  const createProvider = (id: string, over?: Record<string, unknown>) =>
    pools.providers.create({ parent: POOL, workforcePoolProviderId: id, requestBody: providerBody(over) });

  await t.test('no token is 401 UNAUTHENTICATED', async () => {
    const res = await fetch(`${sb.env.CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM}v1/${POOL}`);
    assert.equal(res.status, 401);
    const body = (await res.json()) as any;
    assert.equal(body.error.status, 'UNAUTHENTICATED');
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="https://accounts.google.com/"');
  });

  await t.test('a named quota project must exist and have IAM on; without the header nothing is checked', async () => {
    const billed = clientsFor(sb, { quotaProject: 'sandbox-project' }).iam.locations.workforcePools;
    const off = await googleError(billed.list({ location: 'locations/global', parent: ORG }));
    assert.equal(off.code, 403);
    assert.match(off.message, /Identity and Access Management \(IAM\) API has not been used in project 415104041262/);
    assert.equal(
      (await details(billed.list({ location: 'locations/global', parent: ORG })))[0].reason,
      'SERVICE_DISABLED',
    );
    const stranger = clientsFor(sb, { quotaProject: 'not-my-project' }).iam.locations.workforcePools;
    assert.equal(
      (await details(stranger.list({ location: 'locations/global', parent: ORG })))[0].reason,
      'USER_PROJECT_DENIED',
    );
    assert.deepEqual(
      (await pools.list({ location: 'locations/global', parent: ORG })).data,
      {},
      'no header: the org-level call goes through',
    );
    const { data: op } = await c.serviceusage.services.enable({
      name: 'projects/sandbox-project/services/iam.googleapis.com',
    });
    await waitOperation(() => c.serviceusage.operations.get({ name: op.name! }));
    assert.deepEqual((await billed.list({ location: 'locations/global', parent: ORG })).data, {});
  });

  await t.test('pool ids, parents and fields follow the real rules', async () => {
    for (const bad of ['short', 'gcp-pool-123', 'trailing-', 'UpperCase-pool', '9starts-digit', 'x'.repeat(64)]) {
      const e = await googleError(createPool(bad));
      assert.equal(e.code, 400, bad);
      assert.equal(e.status, 'INVALID_ARGUMENT', bad);
    }
    const other = await googleError(
      pools.create({
        location: 'locations/global',
        workforcePoolId: 'other-org-pool',
        requestBody: { parent: 'organizations/999' },
      }),
    );
    assert.equal(other.code, 403);
    assert.match(other.message, /iam\.workforcePools\.create.*organizations\/999/);
    assert.equal(
      (
        await googleError(
          pools.create({ location: 'locations/global', workforcePoolId: 'no-parent-pool', requestBody: {} }),
        )
      ).status,
      'INVALID_ARGUMENT',
    );
    for (const sessionDuration of ['60s', '899s', '43201s', 'an hour']) {
      assert.equal(
        (await googleError(createPool('bad-session', { sessionDuration }))).status,
        'INVALID_ARGUMENT',
        sessionDuration,
      );
    }
    assert.equal(
      (await googleError(createPool('long-name', { displayName: 'x'.repeat(33) }))).status,
      'INVALID_ARGUMENT',
    );
    assert.equal(
      (await googleError(createPool('long-desc', { description: 'x'.repeat(257) }))).status,
      'INVALID_ARGUMENT',
    );
    assert.equal(sb.world.pools.size, 0, 'nothing was recorded by the refused creates');
  });

  await t.test(
    'create: operation done:false then done without response; pool visible at once; duplicate 409',
    async () => {
      const { data: op } = await createPool('iap-hello-pool', { description: 'Auth0 users' });
      assert.match(op.name!, /^locations\/global\/workforcePools\/iap-hello-pool\/operations\/[a-z2-7]{26}0{6}$/);
      assert.ok(!op.done);
      // Recorded at request time: GET already answers ACTIVE and a second create is refused.
      assert.equal((await pools.get({ name: POOL })).data.state, 'ACTIVE');
      const dup = await googleError(createPool('iap-hello-pool'));
      assert.equal(dup.code, 409);
      assert.equal(dup.status, 'ALREADY_EXISTS');
      const done = await waitPoolOp(op.name!);
      assert.equal(done.done, true);
      assert.equal(done.response, undefined, 'IAM operations carry no response');
      assert.equal(done.error, undefined);
      const pool = (await pools.get({ name: POOL })).data;
      assert.deepEqual(pool, {
        name: POOL,
        parent: ORG,
        displayName: 'iap-auth0',
        description: 'Auth0 users',
        state: 'ACTIVE',
        disabled: false,
        sessionDuration: '3600s',
      });
      assert.equal((await googleError(pools.get({ name: 'locations/global/workforcePools/never-made' }))).code, 404);
    },
  );

  await t.test('list needs parent, pages at most 100, hides deleted unless asked', async () => {
    const e = await googleError(pools.list({ location: 'locations/global' }));
    assert.equal(e.code, 400);
    assert.equal(e.status, 'INVALID_ARGUMENT');
    assert.equal(
      (await googleError(pools.list({ location: 'locations/global', parent: 'organizations/999' }))).code,
      403,
    );
    await waitPoolOp((await createPool('iap-second-pool')).data.name!);
    const first = (await pools.list({ location: 'locations/global', parent: ORG, pageSize: 1 })).data;
    assert.deepEqual(
      first.workforcePools!.map((p) => p.name),
      ['locations/global/workforcePools/iap-hello-pool'],
    );
    assert.ok(first.nextPageToken);
    const second = (
      await pools.list({ location: 'locations/global', parent: ORG, pageSize: 1, pageToken: first.nextPageToken! })
    ).data;
    assert.deepEqual(
      second.workforcePools!.map((p) => p.name),
      ['locations/global/workforcePools/iap-second-pool'],
    );
    assert.equal(second.nextPageToken, undefined);
  });

  await t.test('patch: mask required, only mutable fields, applied by the operation', async () => {
    const noMask = await googleError(pools.patch({ name: POOL, requestBody: { displayName: 'renamed' } }));
    assert.equal(noMask.code, 400);
    assert.equal(noMask.status, 'INVALID_ARGUMENT');
    assert.equal(
      (await googleError(pools.patch({ name: POOL, updateMask: 'parent', requestBody: { parent: 'organizations/1' } })))
        .status,
      'INVALID_ARGUMENT',
    );
    assert.equal(
      (
        await googleError(
          pools.patch({ name: POOL, updateMask: 'sessionDuration', requestBody: { sessionDuration: '50000s' } }),
        )
      ).status,
      'INVALID_ARGUMENT',
    );
    const { data: op } = await pools.patch({
      name: POOL,
      updateMask: 'displayName,sessionDuration',
      requestBody: { displayName: 'renamed', sessionDuration: '7200s' },
    });
    assert.match(op.name!, /^locations\/global\/workforcePools\/iap-hello-pool\/operations\//);
    await waitPoolOp(op.name!);
    const pool = (await pools.get({ name: POOL })).data;
    assert.equal(pool.displayName, 'renamed');
    assert.equal(pool.sessionDuration, '7200s');
    assert.equal(pool.description, 'Auth0 users', 'fields outside the mask are kept');
  });

  await t.test('providers: the attribute mapping and condition are CEL-checked, required fields refused', async () => {
    const oidc = providerBody().oidc;
    const badCel = await googleError(
      createProvider('bad-cel', { attributeMapping: { 'google.subject': 'assertion.sub +' } }),
    );
    assert.equal(badCel.status, 'INVALID_ARGUMENT');
    assert.match(badCel.message, /attributeMapping\["google\.subject"\] is not a valid CEL expression/);
    assert.match(
      (await googleError(createProvider('bad-cond', { attributeCondition: 'assertion.email ==' }))).message,
      /attributeCondition is not a valid CEL expression/,
    );
    const noSubject = await googleError(
      createProvider('no-subject', { attributeMapping: { 'google.email': 'assertion.email' } }),
    );
    assert.equal(noSubject.code, 400);
    assert.match(noSubject.message, /google\.subject/);
    assert.equal(
      (
        await googleError(
          createProvider('bad-key', {
            attributeMapping: { 'google.subject': 'assertion.sub', 'Attribute.X': 'assertion.x' },
          }),
        )
      ).status,
      'INVALID_ARGUMENT',
    );
    for (const bad of ['gcp-auth0', 'abc', 'Auth0', 'x'.repeat(33)])
      assert.equal((await googleError(createProvider(bad))).status, 'INVALID_ARGUMENT', bad);
    assert.match(
      (await googleError(createProvider('http-issuer', { oidc: { ...oidc, issuerUri: 'http://tenant.example/' } })))
        .message,
      /https/,
    );
    assert.match(
      (await googleError(createProvider('no-client', { oidc: { ...oidc, clientId: '' } }))).message,
      /clientId is required/,
    );
    assert.match(
      (await googleError(createProvider('no-secret', { oidc: { ...oidc, clientSecret: undefined } }))).message,
      /clientSecret is required/,
    );
    assert.match(
      (await googleError(createProvider('no-sso', { oidc: { ...oidc, webSsoConfig: undefined } }))).message,
      /webSsoConfig is required/,
    );
    const scopes = Array.from({ length: 11 }, (_, i) => `s${i}`);
    assert.match(
      (
        await googleError(
          createProvider('many-scopes', {
            oidc: { ...oidc, webSsoConfig: { ...oidc.webSsoConfig, additionalScopes: scopes } },
          }),
        )
      ).message,
      /At most 10/,
    );
    assert.match(
      (await googleError(createProvider('both-kinds', { saml: { idpMetadataXml: '<xml/>' } }))).message,
      /Exactly one of oidc or saml/,
    );
    assert.equal(
      (
        await googleError(
          pools.providers.create({
            parent: 'locations/global/workforcePools/never-made',
            workforcePoolProviderId: 'auth0',
            requestBody: providerBody(),
          }),
        )
      ).code,
      404,
    );
    assert.equal(sb.world.providers.size, 0, 'nothing was recorded by the refused creates');
  });

  await t.test('providers: created by an operation, the secret kept as a thumbprint only', async () => {
    const oidc = providerBody().oidc;
    const { data: op } = await createProvider('auth0');
    assert.match(op.name!, /^locations\/global\/workforcePools\/iap-hello-pool\/providers\/auth0\/operations\//);
    assert.ok(!op.done);
    assert.equal((await googleError(createProvider('auth0'))).code, 409);
    const done = await waitProvOp(op.name!);
    assert.equal(done.response, undefined);
    const prov = (await pools.providers.get({ name: `${POOL}/providers/auth0` })).data;
    assert.equal(prov.state, 'ACTIVE');
    assert.deepEqual(prov.attributeMapping, providerBody().attributeMapping);
    assert.equal(prov.attributeCondition, providerBody().attributeCondition);
    assert.equal(prov.oidc!.issuerUri, 'https://tenant.example/');
    assert.deepEqual(prov.oidc!.webSsoConfig, oidc.webSsoConfig);
    const thumb = prov.oidc!.clientSecret!.value!.thumbprint!;
    assert.match(thumb, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(prov.oidc!.clientSecret!.value!.plainText, undefined);
    assert.ok(!JSON.stringify(prov).includes('s3cret-value'), 'the plaintext secret is never returned');
    assert.equal(
      sb.world.providers.get('iap-hello-pool/auth0')!.oidc.clientSecretPlain,
      's3cret-value',
      'kept for the sign-in emulation',
    );
    assert.deepEqual(
      (await pools.providers.list({ parent: POOL })).data.workforcePoolProviders!.map((p) => p.name),
      [`${POOL}/providers/auth0`],
    );
  });

  await t.test('providers: SAML providers are stored and returned as sent', async () => {
    await waitProvOp(
      (await createProvider('saml-idp', { oidc: undefined, saml: { idpMetadataXml: '<EntityDescriptor/>' } })).data
        .name!,
    );
    const saml = (await pools.providers.get({ name: `${POOL}/providers/saml-idp` })).data;
    assert.deepEqual(saml.saml, { idpMetadataXml: '<EntityDescriptor/>' });
    assert.equal(saml.oidc, undefined);
  });

  await t.test('provider patch: mask required, secret kept or rotated, thumbprint changes on every write', async () => {
    const name = `${POOL}/providers/auth0`;
    const get = async () => (await pools.providers.get({ name })).data;
    const thumb0 = (await get()).oidc!.clientSecret!.value!.thumbprint;
    assert.equal(
      (await googleError(pools.providers.patch({ name, requestBody: { displayName: 'x' } }))).status,
      'INVALID_ARGUMENT',
      'mask required',
    );
    assert.match(
      (
        await googleError(
          pools.providers.patch({
            name,
            updateMask: 'attributeMapping',
            requestBody: { attributeMapping: { 'google.subject': 'assertion.sub)' } },
          }),
        )
      ).message,
      /not a valid CEL/,
    );

    // oidc without a new plaintext: the stored secret stays (assumption), thumbprint unchanged.
    const prov = await get();
    const oidc = { issuerUri: 'https://other.example/', clientId: 'abc', webSsoConfig: prov.oidc!.webSsoConfig };
    await waitProvOp((await pools.providers.patch({ name, updateMask: 'oidc', requestBody: { oidc } })).data.name!);
    const kept = await get();
    assert.equal(kept.oidc!.issuerUri, 'https://other.example/');
    assert.equal(kept.oidc!.clientSecret!.value!.thumbprint, thumb0);
    assert.equal(sb.world.providers.get('iap-hello-pool/auth0')!.oidc.clientSecretPlain, 's3cret-value');

    // Same secret written again: a new thumbprint all the same.
    await waitProvOp(
      (
        await pools.providers.patch({
          name,
          updateMask: 'oidc.clientSecret',
          requestBody: { oidc: { clientSecret: { value: { plainText: 's3cret-value' } } } },
        })
      ).data.name!,
    );
    const thumb1 = (await get()).oidc!.clientSecret!.value!.thumbprint;
    assert.notEqual(thumb1, thumb0);
    await waitProvOp(
      (
        await pools.providers.patch({
          name,
          updateMask: 'oidc',
          requestBody: { oidc: { ...oidc, clientSecret: { value: { plainText: 'rotated' } } } },
        })
      ).data.name!,
    );
    assert.notEqual((await get()).oidc!.clientSecret!.value!.thumbprint, thumb1);
    assert.equal(sb.world.providers.get('iap-hello-pool/auth0')!.oidc.clientSecretPlain, 'rotated');

    // Clearing the secret of a CODE provider is refused.
    assert.match(
      (await googleError(pools.providers.patch({ name, updateMask: 'oidc.clientSecret', requestBody: { oidc: {} } })))
        .message,
      /clientSecret is required/,
    );
    await waitProvOp(
      (
        await pools.providers.patch({
          name,
          updateMask: 'displayName,disabled',
          requestBody: { displayName: 'Auth0 tenant', disabled: true },
        })
      ).data.name!,
    );
    const after = await get();
    assert.equal(after.displayName, 'Auth0 tenant');
    assert.equal(after.disabled, true);
    await waitProvOp(
      (await pools.providers.patch({ name, updateMask: 'disabled', requestBody: { disabled: false } })).data.name!,
    );
  });

  await t.test('provider delete, burned id, no patch while deleted, undelete', async () => {
    const name = `${POOL}/providers/auth0`;
    await waitProvOp((await pools.providers.delete({ name })).data.name!);
    const deleted = (await pools.providers.get({ name })).data;
    assert.equal(deleted.state, 'DELETED');
    assert.ok(deleted.expireTime);
    assert.equal(
      (await pools.providers.list({ parent: POOL })).data.workforcePoolProviders!.length,
      1,
      'only saml-idp is listed',
    );
    assert.equal(
      (await pools.providers.list({ parent: POOL, showDeleted: true })).data.workforcePoolProviders!.length,
      2,
    );
    const burned = await googleError(
      pools.providers.create({
        parent: POOL,
        workforcePoolProviderId: 'auth0',
        requestBody: { attributeMapping: { 'google.subject': 'assertion.sub' }, saml: { idpMetadataXml: '<x/>' } },
      }),
    );
    assert.equal(burned.code, 409);
    assert.match(burned.message, /deleted recently/);
    const patch = await googleError(
      pools.providers.patch({ name, updateMask: 'displayName', requestBody: { displayName: 'x' } }),
    );
    assert.equal(patch.status, 'FAILED_PRECONDITION');
    assert.equal(
      (await googleError(pools.providers.undelete({ name: `${POOL}/providers/saml-idp`, requestBody: {} }))).status,
      'FAILED_PRECONDITION',
      'not deleted',
    );
    await waitProvOp((await pools.providers.undelete({ name, requestBody: {} })).data.name!);
    const back = (await pools.providers.get({ name })).data;
    assert.equal(back.state, 'ACTIVE');
    assert.equal(back.expireTime, undefined);
  });

  await t.test('pool delete: DELETED with expireTime, burned id, no patch, providers kept, undelete', async () => {
    const { data: op } = await pools.delete({ name: POOL });
    assert.ok(!op.done);
    await waitPoolOp(op.name!);
    const deleted = (await pools.get({ name: POOL })).data;
    assert.equal(deleted.state, 'DELETED');
    const expire = Date.parse(deleted.expireTime!) - sb.world.clock.now();
    assert.ok(expire > 29.9 * 86_400_000 && expire <= 30 * 86_400_000, `expireTime is 30 days out (${expire} ms)`);
    const burned = await googleError(createPool('iap-hello-pool'));
    assert.equal(burned.code, 409);
    assert.equal(burned.status, 'ALREADY_EXISTS');
    assert.match(burned.message, /deleted recently.*Undelete it instead/);
    assert.deepEqual(
      (await pools.list({ location: 'locations/global', parent: ORG })).data.workforcePools!.map((p) => p.name),
      ['locations/global/workforcePools/iap-second-pool'],
    );
    assert.equal(
      (await pools.list({ location: 'locations/global', parent: ORG, showDeleted: true })).data.workforcePools!.length,
      2,
    );
    const patch = await googleError(
      pools.patch({ name: POOL, updateMask: 'displayName', requestBody: { displayName: 'x' } }),
    );
    assert.equal(patch.status, 'FAILED_PRECONDITION');
    assert.equal(patch.message, 'You cannot update deleted pools.');
    assert.equal(
      (await googleError(pools.providers.create({ parent: POOL, workforcePoolProviderId: 'another', requestBody: {} })))
        .status,
      'FAILED_PRECONDITION',
    );
    assert.equal(
      (await pools.providers.get({ name: `${POOL}/providers/auth0` })).data.state,
      'ACTIVE',
      'a pool delete leaves its providers alone',
    );

    await waitPoolOp((await pools.undelete({ name: POOL, requestBody: {} })).data.name!);
    const back = (await pools.get({ name: POOL })).data;
    assert.equal(back.state, 'ACTIVE');
    assert.equal(back.expireTime, undefined);
    assert.equal((await googleError(pools.undelete({ name: POOL, requestBody: {} }))).status, 'FAILED_PRECONDITION');
  });

  await t.test('a restricted token gets 403 naming the permission', async () => {
    const { token } = await control(sb, '/tokens', {
      deny: ['iam.workforcePools.create', 'iam.workforcePoolProviders.update'],
    });
    const limited = clientsFor({ ...sb, env: { ...sb.env, CLOUDSDK_AUTH_ACCESS_TOKEN: token } }).iam.locations
      .workforcePools;
    const e = await googleError(
      limited.create({ location: 'locations/global', workforcePoolId: 'denied-pool', requestBody: { parent: ORG } }),
    );
    assert.equal(e.code, 403);
    assert.equal(e.status, 'PERMISSION_DENIED');
    assert.equal(
      e.message,
      "Permission 'iam.workforcePools.create' denied on resource 'organizations/123456789012' (or it may not exist).",
    );
    assert.match(
      (
        await googleError(
          limited.providers.patch({
            name: `${POOL}/providers/auth0`,
            updateMask: 'displayName',
            requestBody: { displayName: 'x' },
          }),
        )
      ).message,
      /iam\.workforcePoolProviders\.update/,
    );
    assert.equal((await limited.get({ name: POOL })).data.state, 'ACTIVE', 'other permissions still work');
    assert.equal(sb.world.pools.has('denied-pool'), false);
  });

  await t.test('after 30 days a deleted pool is purged: 404, id free again, old providers gone', async () => {
    await waitPoolOp((await pools.delete({ name: POOL })).data.name!);
    await control(sb, '/clock', { advance: '29d' });
    assert.equal((await pools.get({ name: POOL })).data.state, 'DELETED', 'still inside the window');
    await control(sb, '/clock', { advance: '2d' });
    const gone = await googleError(pools.get({ name: POOL }));
    assert.equal(gone.code, 404);
    assert.equal(gone.status, 'NOT_FOUND');
    assert.equal(
      (await pools.list({ location: 'locations/global', parent: ORG, showDeleted: true })).data.workforcePools!.length,
      1,
    );
    await waitPoolOp((await createPool('iap-hello-pool')).data.name!);
    assert.equal((await pools.get({ name: POOL })).data.state, 'ACTIVE');
    assert.deepEqual(
      (await pools.providers.list({ parent: POOL, showDeleted: true })).data,
      {},
      'the recreated pool starts without providers',
    );
  });
});

test('IAM under injected faults answers with the 503 envelope', async () => {
  const sb = await useSandbox({ faults: 'iam=0.99:503', seed: 3 });
  const c = clientsFor(sb);
  const res = await fetch(`${sb.env.CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM}v1/${POOL}`, {
    headers: { authorization: `Bearer ${sb.env.CLOUDSDK_AUTH_ACCESS_TOKEN}` },
  });
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), {
    error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' },
  });
  const e = await googleError(
    c.iam.locations.workforcePools.create({
      location: 'locations/global',
      workforcePoolId: 'faulty-pool',
      requestBody: { parent: ORG },
    }),
  );
  assert.equal(e.code, 503);
  assert.equal(e.status, 'UNAVAILABLE');
  assert.equal(sb.world.pools.size, 0, 'a failed answer changed nothing');
  // Other APIs are not affected by an iam-only spec.
  assert.equal((await c.crmV3.projects.get({ name: 'projects/sandbox-project' })).data.projectId, 'sandbox-project');
});
