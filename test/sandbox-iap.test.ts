// IAP v1 emulation (gcp-api.md 9), through the production IapClient: settings with and without
// an update mask, the input-only OAuth secret, workforce-pool checks, the resource-name pitfalls
// (project ID, cloud-run-) that are accepted but never read, IAM with etags, and the inheritance
// the data path sees (effectiveIapSettings).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { useSandbox, clientsFor, googleError, waitOperation } from './helpers/sandbox.js';
import type { Sandbox } from '../src/sandbox/index.js';
import { effectiveIapSettings } from '../src/sandbox/google/iap.js';

// No propagation delay here: these tests read the data path's view right after each write. The
// delay itself has its own test below.
const sb = await useSandbox({ propagationMs: 0 });
const g = clientsFor(sb);
const iap = g.iap;
const NUMBER = '415104041262';
const NO_ORG = '985566250549';
const REGION = 'europe-west1';
const SERVICE = 'hello';
// gcp-api.md 9.1: project number, `cloud_run-` with an underscore.
const SVC = 'projects/415104041262/iap_web/cloud_run-europe-west1/services/hello';
const POOL = 'locations/global/workforcePools/auth0-pool';
const SECRET = 'GOCSPX-sandbox-secret-1';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Enables APIs through Service Usage. Until that emulation is in the tree (it is written in
 * parallel) its routes answer 404, and the test falls back to setting world state directly.
 */
async function enableApis(s: Sandbox, projectNumber: string, ids: string[]): Promise<void> {
  try {
    const { data } = await clientsFor(s).serviceusage.services.batchEnable({
      parent: `projects/${projectNumber}`,
      requestBody: { serviceIds: ids },
    });
    if (!data.done) await waitOperation(() => clientsFor(s).serviceusage.operations.get({ name: data.name! }));
  } catch (e: any) {
    if (e?.response?.status !== 404) throw e;
    for (const id of ids) s.world.services.get(projectNumber)!.set(id, { state: 'ENABLED', enabledAt: 0 });
  }
}

/** Workforce pools are fixtures here (the IAM emulation has its own tests): world state. */
function addPool(poolId: string, parent: string, state: 'ACTIVE' | 'DELETED' = 'ACTIVE'): void {
  sb.world.pools.set(poolId, {
    poolId,
    parent,
    sessionDuration: '3600s',
    disabled: false,
    state,
    createdAt: sb.world.clock.now(),
  });
}

const wif = (pools = [POOL], secret: string | undefined = SECRET) => ({
  identitySources: ['WORKFORCE_IDENTITY_FEDERATION'],
  workforceIdentitySettings: {
    workforcePools: pools,
    oauth2: { clientId: 'oauth-client-id-1', ...(secret ? { clientSecret: secret } : {}) },
  },
});

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
test('IAP v1 settings and IAM', async (t) => {
  await t.test('before iap.googleapis.com is enabled: 403 SERVICE_DISABLED', async () => {
    const e = await googleError(iap.getIapSettings({ name: SVC }));
    assert.deepEqual([e.code, e.status], [403, 'PERMISSION_DENIED']);
    assert.match(e.message, /^Cloud Identity-Aware Proxy API has not been used in project 415104041262/);
    await enableApis(sb, NUMBER, ['iap.googleapis.com', 'iam.googleapis.com', 'run.googleapis.com']);
    await enableApis(sb, NO_ORG, ['iap.googleapis.com']);
    addPool('auth0-pool', `organizations/${sb.world.organization.id}`);
    addPool('other-org-pool', 'organizations/999999999999');
    addPool('gone-pool', `organizations/${sb.world.organization.id}`, 'DELETED');
  });

  await t.test('resource names: bad shapes 400, unknown project 403', async () => {
    for (const name of [
      'projects',
      `projects/${NUMBER}/iap_web/cloudrun-${REGION}/services/x`,
      `projects/${NUMBER}/web`,
      `projects/${NUMBER}/iap_web/compute/backends/x`,
      'organizations/abc',
    ]) {
      const e = await googleError(iap.getIapSettings({ name }));
      assert.deepEqual([e.code, e.status], [400, 'INVALID_ARGUMENT'], name);
    }
    const e = await googleError(iap.getIapSettings({ name: 'projects/not-a-project/iap_web' }));
    assert.deepEqual([e.code, e.status], [403, 'PERMISSION_DENIED']);
    for (const name of [
      `projects/${NUMBER}`,
      `projects/${NUMBER}/iap_web`,
      `projects/${NUMBER}/iap_web/compute`,
      `projects/${NUMBER}/iap_web/compute-${REGION}/services/b`,
      `projects/${NUMBER}/iap_web/appengine-sandbox-project/services/default/versions/v1`,
      `organizations/${sb.world.organization.id}`,
      'folders/345678901234',
    ]) {
      const { data } = await iap.getIapSettings({ name });
      assert.deepEqual(data, { name });
    }
  });

  await t.test('get with nothing configured answers just the name', async () => {
    const { data } = await iap.getIapSettings({ name: SVC });
    assert.deepEqual(data, { name: SVC });
  });

  await t.test('full update: stored, secret never returned, its SHA-256 is', async () => {
    const { data } = await iap.updateIapSettings({
      name: SVC,
      requestBody: {
        name: SVC,
        accessSettings: wif(),
        applicationSettings: {
          accessDeniedPageSettings: { accessDeniedPageUri: 'https://example.com/denied' },
          cookieDomain: 'example.com',
        },
      },
    });
    const expected = {
      name: SVC,
      accessSettings: {
        identitySources: ['WORKFORCE_IDENTITY_FEDERATION'],
        workforceIdentitySettings: {
          workforcePools: [POOL],
          oauth2: { clientId: 'oauth-client-id-1', clientSecretSha256: sha(SECRET) },
        },
      },
      applicationSettings: {
        accessDeniedPageSettings: { accessDeniedPageUri: 'https://example.com/denied' },
        cookieDomain: 'example.com',
      },
    };
    assert.deepEqual(data, expected);
    const { data: got } = await iap.getIapSettings({ name: SVC });
    assert.deepEqual(got, expected);
    assert.equal(JSON.stringify(got).includes(SECRET), false);
    assert.equal(sb.world.iapSettings.get(SVC)?.oauth2SecretPlain, SECRET);
  });

  await t.test('masked updates change only their paths', async () => {
    const { data } = await iap.updateIapSettings({
      name: SVC,
      updateMask: 'iapSettings.accessSettings.reauthSettings',
      requestBody: { accessSettings: { reauthSettings: { method: 'LOGIN', maxAge: '3600s', policyType: 'MINIMUM' } } },
    });
    assert.deepEqual(data.accessSettings?.reauthSettings, { method: 'LOGIN', maxAge: '3600s', policyType: 'MINIMUM' });
    assert.equal(data.applicationSettings?.cookieDomain, 'example.com');
    assert.deepEqual(data.accessSettings?.workforceIdentitySettings?.workforcePools, [POOL]);

    // Only the client id: the stored secret (and its hash) stay.
    const { data: id2 } = await iap.updateIapSettings({
      name: SVC,
      updateMask: 'iapSettings.accessSettings.workforceIdentitySettings.oauth2.clientId',
      requestBody: { accessSettings: { workforceIdentitySettings: { oauth2: { clientId: 'oauth-client-id-2' } } } },
    });
    assert.deepEqual(id2.accessSettings?.workforceIdentitySettings?.oauth2, {
      clientId: 'oauth-client-id-2',
      clientSecretSha256: sha(SECRET),
    });
    assert.equal(sb.world.iapSettings.get(SVC)?.oauth2SecretPlain, SECRET);

    // The whole oauth2 without a secret: the secret is cleared, as a replace of that field.
    const { data: noSecret } = await iap.updateIapSettings({
      name: SVC,
      updateMask: 'iapSettings.accessSettings.workforceIdentitySettings.oauth2',
      requestBody: { accessSettings: { workforceIdentitySettings: { oauth2: { clientId: 'oauth-client-id-2' } } } },
    });
    assert.deepEqual(noSecret.accessSettings?.workforceIdentitySettings?.oauth2, { clientId: 'oauth-client-id-2' });
    assert.equal(sb.world.iapSettings.get(SVC)?.oauth2SecretPlain, undefined);

    // snake_case mask paths work too; a new secret gets a new hash.
    const { data: both } = await iap.updateIapSettings({
      name: SVC,
      updateMask:
        'iap_settings.access_settings.identity_sources,iap_settings.access_settings.workforce_identity_settings',
      requestBody: { accessSettings: wif([POOL], 'second-secret') },
    });
    assert.equal(both.accessSettings?.workforceIdentitySettings?.oauth2?.clientSecretSha256, sha('second-secret'));
    assert.equal(
      (both.applicationSettings as any)?.accessDeniedPageSettings?.accessDeniedPageUri,
      'https://example.com/denied',
    );
    assert.ok(both.accessSettings?.reauthSettings);
    assert.equal(sb.world.iapSettings.get(SVC)?.oauth2SecretPlain, 'second-secret');
  });

  await t.test('validation: identity sources, pools, mask paths', async () => {
    const reject = async (requestBody: any, updateMask: string | undefined, re: RegExp, name = SVC) => {
      const e = await googleError(iap.updateIapSettings({ name, updateMask, requestBody }));
      assert.deepEqual([e.code, e.status], [400, 'INVALID_ARGUMENT'], re.source);
      assert.match(e.message, re);
    };
    const before = structuredClone(sb.world.iapSettings.get(SVC));
    await reject(
      { accessSettings: wif([POOL, 'locations/global/workforcePools/second-pool']) },
      undefined,
      /Only one workforce pool is accepted/,
    );
    await reject(
      { accessSettings: wif(['locations/global/workforcePools/other-org-pool']) },
      undefined,
      /belongs to organizations\/999999999999/,
    );
    await reject(
      { accessSettings: wif(['locations/global/workforcePools/missing-pool']) },
      undefined,
      /does not exist/,
    );
    await reject(
      { accessSettings: wif(['locations/global/workforcePools/gone-pool']) },
      undefined,
      /does not exist or has been deleted/,
    );
    await reject({ accessSettings: wif(['auth0-pool']) }, undefined, /locations\/global\/workforcePools\/\{POOL_ID\}/);
    await reject(
      { accessSettings: { identitySources: ['WORKFORCE_IDENTITY_FEDERATION', 'IDENTITY_SOURCE_UNSPECIFIED'] } },
      undefined,
      /Only one identity source/,
    );
    await reject({ accessSettings: { identitySources: ['GOOGLE'] } }, undefined, /identity_sources\[0\]/);
    await reject(
      { accessSettings: { reauthSettings: {} } },
      'accessSettings.reauthSettings',
      /must start with "iapSettings\."/,
    );
    await reject(
      { name: SVC },
      'iapSettings.name',
      /only iapSettings\.accessSettings and iapSettings\.applicationSettings/,
    );
    await reject({ accessSettings: { workforceSettings: {} } }, undefined, /Unknown name "workforceSettings"/);
    // Masked, the pool check applies to the pool path it writes.
    await reject(
      { accessSettings: wif(['locations/global/workforcePools/other-org-pool']) },
      'iapSettings.accessSettings.workforceIdentitySettings.workforcePools',
      /belongs to/,
    );
    // A project outside any organization cannot use a workforce pool.
    await reject(
      { accessSettings: wif() },
      undefined,
      /not in an organization/,
      `projects/${NO_ORG}/iap_web/cloud_run-${REGION}/services/${SERVICE}`,
    );
    assert.deepEqual(sb.world.iapSettings.get(SVC), before, 'a rejected update changes nothing');
  });

  await t.test('project ID and cloud-run- names are accepted but never read', async () => {
    const byId = `projects/sandbox-project/iap_web/cloud_run-${REGION}/services/other`;
    const dashed = `projects/${NUMBER}/iap_web/cloud-run-${REGION}/services/other`;
    for (const name of [byId, dashed]) {
      const { data } = await iap.updateIapSettings({ name, requestBody: { accessSettings: wif() } });
      assert.equal(data.name, name);
      assert.equal(
        (await iap.getIapSettings({ name })).data.accessSettings?.workforceIdentitySettings?.oauth2?.clientId,
        'oauth-client-id-1',
      );
    }
    const eff = effectiveIapSettings(sb.world, NUMBER, REGION, 'other');
    assert.deepEqual(eff.accessSettings, {});
    assert.equal(eff.oauth2ClientSecret, undefined);
    const { data: real } = await iap.getIapSettings({
      name: 'projects/415104041262/iap_web/cloud_run-europe-west1/services/other',
    });
    assert.deepEqual(real, { name: 'projects/415104041262/iap_web/cloud_run-europe-west1/services/other' });
  });

  await t.test('effectiveIapSettings: project level inherited, service level wins per field', async () => {
    const project = `projects/${NUMBER}`;
    await iap.updateIapSettings({
      name: project,
      requestBody: {
        accessSettings: { ...wif([POOL], 'project-secret'), corsSettings: { allowHttpOptions: true } },
        applicationSettings: { cookieDomain: 'project.example' },
      },
    });
    // A service with nothing of its own sees the project's settings and secret.
    const inherited = effectiveIapSettings(sb.world, NUMBER, REGION, 'lonely');
    assert.deepEqual(inherited.accessSettings.identitySources, ['WORKFORCE_IDENTITY_FEDERATION']);
    assert.equal(inherited.accessSettings.workforceIdentitySettings.oauth2.clientSecretSha256, sha('project-secret'));
    assert.equal(inherited.oauth2ClientSecret, 'project-secret');
    assert.equal(inherited.sources['accessSettings.workforceIdentitySettings'], project);
    // The configured service keeps its own WIF settings and secret, and inherits CORS.
    const own = effectiveIapSettings(sb.world, NUMBER, REGION, SERVICE);
    assert.equal(own.oauth2ClientSecret, 'second-secret');
    assert.equal(own.sources['accessSettings.workforceIdentitySettings'], SVC);
    assert.deepEqual(own.accessSettings.corsSettings, { allowHttpOptions: true });
    assert.equal(own.applicationSettings.cookieDomain, 'example.com');
    // The iap_web level sits between project and service.
    await iap.updateIapSettings({
      name: `projects/${NUMBER}/iap_web`,
      requestBody: { applicationSettings: { cookieDomain: 'web.example' } },
    });
    assert.equal(
      effectiveIapSettings(sb.world, NUMBER, REGION, 'lonely').applicationSettings.cookieDomain,
      'web.example',
    );
  });

  await t.test('an empty body without mask clears the level', async () => {
    const { data } = await iap.updateIapSettings({ name: SVC, requestBody: {} });
    assert.deepEqual(data, { name: SVC });
    assert.deepEqual((await iap.getIapSettings({ name: SVC })).data, { name: SVC });
    assert.equal(sb.world.iapSettings.has(SVC), false);
    // Now the service falls back to the project's settings.
    assert.equal(effectiveIapSettings(sb.world, NUMBER, REGION, SERVICE).oauth2ClientSecret, 'project-secret');
  });

  await t.test('the data path sees a settings change only after the propagation delay', async () => {
    const slow = await useSandbox({ propagationMs: 60_000 });
    await enableApis(slow, NUMBER, ['iap.googleapis.com']);
    slow.world.pools.set('auth0-pool', {
      poolId: 'auth0-pool',
      parent: 'organizations/123456789012',
      sessionDuration: '3600s',
      disabled: false,
      state: 'ACTIVE',
      createdAt: slow.world.clock.now(),
    });
    const name = `projects/${NUMBER}`;
    await clientsFor(slow).iap.updateIapSettings({ name, requestBody: { accessSettings: wif([POOL], 'first') } });
    assert.deepEqual(effectiveIapSettings(slow.world, NUMBER, REGION, SERVICE).accessSettings, {}, 'not applied yet');
    slow.world.clock.advance(61_000);
    assert.equal(effectiveIapSettings(slow.world, NUMBER, REGION, SERVICE).oauth2ClientSecret, 'first');
    await clientsFor(slow).iap.updateIapSettings({ name, requestBody: { accessSettings: wif([POOL], 'second') } });
    assert.equal(
      effectiveIapSettings(slow.world, NUMBER, REGION, SERVICE).oauth2ClientSecret,
      'first',
      'the old settings stay in force meanwhile',
    );
    slow.world.clock.advance(61_000);
    assert.equal(effectiveIapSettings(slow.world, NUMBER, REGION, SERVICE).oauth2ClientSecret, 'second');
  });

  await t.test('IAM: ACAB, set with etag, stale 409, unknown agent 400, literal name keys', async () => {
    const { data: empty } = await iap.getIamPolicy({
      resource: SVC,
      requestBody: { options: { requestedPolicyVersion: 3 } },
    });
    assert.deepEqual(empty, { version: 1, etag: 'ACAB' });
    const member = 'principalSet://iam.googleapis.com/locations/global/workforcePools/auth0-pool/*';
    const policy = { etag: 'ACAB', bindings: [{ role: 'roles/iap.httpsResourceAccessor', members: [member] }] };
    const { data: set } = await iap.setIamPolicy({ resource: SVC, requestBody: { policy } });
    assert.notEqual(set.etag, 'ACAB');
    assert.deepEqual(set.bindings, policy.bindings);
    const { data: got } = await iap.getIamPolicy({ resource: SVC });
    assert.equal(got.etag, set.etag);
    assert.deepEqual(sb.world.policies.get(`iap:${SVC}`).bindings, policy.bindings);
    const stale = await googleError(iap.setIamPolicy({ resource: SVC, requestBody: { policy } }));
    assert.deepEqual([stale.code, stale.status], [409, 'ABORTED']);
    const agent = await googleError(
      iap.setIamPolicy({
        resource: SVC,
        requestBody: {
          policy: {
            etag: set.etag,
            bindings: [
              {
                role: 'roles/iap.httpsResourceAccessor',
                members: ['serviceAccount:service-415104041262@gcp-sa-iap.iam.gserviceaccount.com'],
              },
            ],
          },
        },
      }),
    );
    assert.deepEqual([agent.code, agent.status], [400, 'INVALID_ARGUMENT']);
    assert.match(agent.message, /does not exist/);
    // Under a project ID the grant is stored under that literal (dead) name.
    const byId = `projects/sandbox-project/iap_web/cloud_run-${REGION}/services/${SERVICE}`;
    await iap.setIamPolicy({ resource: byId, requestBody: { policy: { bindings: policy.bindings } } });
    assert.deepEqual(sb.world.policies.get(`iap:${byId}`).bindings, policy.bindings);
    const bad = await googleError(iap.getIamPolicy({ resource: `projects/${NUMBER}/iap_web/cloud_run/services/x` }));
    assert.equal(bad.status, 'INVALID_ARGUMENT');
  });
});
