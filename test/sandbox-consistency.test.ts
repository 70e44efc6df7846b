// The sandbox's eventual consistency after a create, through Google's generated clients: for the
// window (sandbox clock) a new service account reads 404 and Cloud Run may not run as it (the
// actAs 403), a new OAuth client and credential answer 404 to every call naming them, and a newly
// generated service agent cannot be named in a policy ("does not exist"). Moving the clock past
// the window makes each usable; the profiles' windows are the documented ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSandbox, clientsFor, control, googleError, waitOperation } from './helpers/sandbox.js';
import { PROFILES } from '../src/sandbox/core/profile.js';

const NUMBER = '415104041262';
const P = 'sandbox-project';

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
test('eventual consistency after a create', async (t) => {
  // A long window, ended by moving the sandbox clock: no test waits on wall time.
  const sb = await useSandbox({ consistencyMs: 60_000 });
  for (const id of ['iam.googleapis.com', 'run.googleapis.com', 'iap.googleapis.com'])
    sb.world.services.get(NUMBER)!.set(id, { state: 'ENABLED', enabledAt: 0 });
  const c = clientsFor(sb);
  const settle = () => control(sb, '/clock', { advance: '61s' });

  await t.test('profiles: none in fast, the real delays scaled down in realistic', () => {
    assert.deepEqual(PROFILES.fast.consistencyMs, { serviceAccount: 0, oauthClient: 0, serviceAgent: 0 });
    assert.deepEqual(PROFILES.realistic.consistencyMs, { serviceAccount: 3000, oauthClient: 250, serviceAgent: 3000 });
    assert.deepEqual(sb.world.profile.consistencyMs, {
      serviceAccount: 60_000,
      oauthClient: 60_000,
      serviceAgent: 60_000,
    });
  });

  await t.test('a new service account: get 404, Cloud Run may not run as it, until it has settled', async () => {
    const sas = c.iam.projects.serviceAccounts;
    const email = `runner-a@${P}.iam.gserviceaccount.com`;
    const created = (await sas.create({ name: `projects/${P}`, requestBody: { accountId: 'runner-a' } })).data;
    assert.equal(created.email, email, 'the create itself answers at once');
    const get = await googleError(sas.get({ name: `projects/${P}/serviceAccounts/${email}` }));
    assert.deepEqual([get.code, get.status], [404, 'NOT_FOUND']);
    assert.equal(
      (await googleError(sas.get({ name: `projects/-/serviceAccounts/${email}` }))).code,
      403,
      'through projects/- as a missing one',
    );
    const run = c.run.projects.locations.services;
    const spec = {
      template: { serviceAccount: email, containers: [{ image: 'us-docker.pkg.dev/cloudrun/container/hello' }] },
    };
    const denied = await googleError(
      run.create({ parent: `projects/${P}/locations/europe-west1`, serviceId: 'settling', requestBody: spec }),
    );
    assert.equal(denied.code, 403);
    assert.equal(
      denied.message,
      `Permission 'iam.serviceaccounts.actAs' denied on service account ${email} (or it may not exist).`,
    );
    assert.equal(sb.world.runServices.size, 0, 'nothing was created');
    await settle();
    assert.equal((await sas.get({ name: `projects/${P}/serviceAccounts/${email}` })).data.email, email);
    const op = (
      await run.create({ parent: `projects/${P}/locations/europe-west1`, serviceId: 'settling', requestBody: spec })
    ).data;
    await waitOperation(() => c.run.projects.locations.operations.get({ name: op.name! }));
  });

  await t.test('a new OAuth client and credential: 404 to every call naming them, until settled', async () => {
    const oc = c.iam.projects.locations.oauthClients;
    const name = `projects/${P}/locations/global/oauthClients/settling-client`;
    await oc.create({
      parent: `projects/${P}/locations/global`,
      oauthClientId: 'settling-client',
      requestBody: {
        clientType: 'CONFIDENTIAL_CLIENT',
        allowedGrantTypes: ['AUTHORIZATION_CODE_GRANT'],
        allowedScopes: ['https://www.googleapis.com/auth/cloud-platform'],
        allowedRedirectUris: ['https://www.example.com'],
      },
    });
    assert.equal((await googleError(oc.get({ name }))).code, 404);
    assert.equal(
      (await googleError(oc.patch({ name, updateMask: 'displayName', requestBody: { displayName: 'x' } }))).code,
      404,
    );
    assert.equal(
      (await googleError(oc.credentials.create({ parent: name, oauthClientCredentialId: 'cred', requestBody: {} })))
        .code,
      404,
    );
    assert.equal(
      (
        await googleError(
          oc.create({
            parent: `projects/${P}/locations/global`,
            oauthClientId: 'settling-client',
            requestBody: {
              clientType: 'CONFIDENTIAL_CLIENT',
              allowedGrantTypes: ['AUTHORIZATION_CODE_GRANT'],
              allowedScopes: ['openid'],
              allowedRedirectUris: ['https://www.example.com'],
            },
          }),
        )
      ).code,
      409,
      'a second create still sees it',
    );
    await settle();
    assert.ok((await oc.get({ name })).data.clientId);
    const cred = (await oc.credentials.create({ parent: name, oauthClientCredentialId: 'cred', requestBody: {} })).data;
    assert.ok(cred.clientSecret, 'the create answers the secret at once');
    assert.equal((await googleError(oc.credentials.get({ name: `${name}/credentials/cred` }))).code, 404);
    await settle();
    assert.equal((await oc.credentials.get({ name: `${name}/credentials/cred` })).data.clientSecret, cred.clientSecret);
  });

  await t.test(
    'a newly generated service agent cannot be named in a policy until settled; a second generation does not ' +
      'restart it',
    async () => {
      const agent = `service-${NUMBER}@gcp-sa-iap.iam.gserviceaccount.com`;
      const generate = async () => {
        const { data } = await c.serviceusageBeta.services.generateServiceIdentity({
          parent: `projects/${NUMBER}/services/iap.googleapis.com`,
        });
        await waitOperation(() => c.serviceusageBeta.operations.get({ name: data.name! }));
      };
      await generate();
      const crm = c.crmV1.projects;
      const grant = async () => {
        const p = (await crm.getIamPolicy({ resource: P, requestBody: {} })).data;
        return crm.setIamPolicy({
          resource: P,
          requestBody: {
            policy: {
              ...p,
              bindings: [...(p.bindings ?? []), { role: 'roles/run.invoker', members: [`serviceAccount:${agent}`] }],
            },
          },
        });
      };
      const e = await googleError(grant());
      assert.deepEqual(
        [e.code, e.status, e.message],
        [400, 'INVALID_ARGUMENT', `Service account ${agent} does not exist.`],
      );
      await settle();
      await generate();
      await grant();
    },
  );
});
