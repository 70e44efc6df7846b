// Ownership (issue 5, part 6): what others own in the same project, organization and tenant is
// untouched by init and destroy: pre-existing bindings, IAP settings on other resources, other
// Auth0 apps (including one with the very name iap-auth0 uses but without its tag), and another
// workforce pool with its provider in the organization.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ManagementClient } from 'auth0';
import type { Sandbox } from '../../src/sandbox/index.js';
import { useSandbox, clientsFor, waitOperation, moveClock } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';
import { assertNoSecretLeaked } from '../helpers/secrets.js';
import { leftovers } from '../../src/sandbox/leftovers.js';

const WEB_IAP = 'projects/415104041262/iap_web';

/** Another team's workforce pool in the organization, with an OIDC provider of its own. */
async function seedOtherPool(g: ReturnType<typeof clientsFor>) {
  const pools = g.iam.locations.workforcePools;
  const op = (
    await pools.create({
      location: 'locations/global',
      workforcePoolId: 'other-team-pool',
      requestBody: { parent: 'organizations/123456789012', displayName: 'Other team' },
    })
  ).data;
  await waitOperation(() => pools.operations.get({ name: op.name! }));
  const pop = (
    await pools.providers.create({
      parent: 'locations/global/workforcePools/other-team-pool',
      workforcePoolProviderId: 'okta',
      requestBody: {
        attributeMapping: { 'google.subject': 'assertion.sub' },
        oidc: {
          issuerUri: 'https://okta.example.com/',
          clientId: 'okta-client',
          webSsoConfig: { responseType: 'ID_TOKEN', assertionClaimsBehavior: 'ONLY_ID_TOKEN_CLAIMS' },
        },
      },
    })
  ).data;
  await waitOperation(() => pools.providers.operations.get({ name: pop.name! }));
}

/**
 * Others' things, made through the real APIs before iap-auth0 runs: another pool and provider, a
 * project-level IAP binding and setting, a project IAM binding, and an untagged Auth0 app with the
 * very name iap-auth0 uses (returned).
 */
async function seedOthers(sb: Sandbox, mgmt: ManagementClient) {
  const g = clientsFor(sb);
  const su = (
    await g.serviceusage.services.batchEnable({
      parent: 'projects/415104041262',
      requestBody: { serviceIds: ['iam.googleapis.com', 'iap.googleapis.com', 'run.googleapis.com'] },
    })
  ).data;
  if (!su.done) await waitOperation(() => g.serviceusage.operations.get({ name: su.name! }));
  await moveClock(sb, sb.world.profile.enablePropagationMs + 10); // the APIs are usable
  await seedOtherPool(g);
  const p0 = (await g.iap.getIamPolicy({ resource: WEB_IAP })).data;
  await g.iap.setIamPolicy({
    resource: WEB_IAP,
    requestBody: {
      policy: {
        ...p0,
        bindings: [
          {
            role: 'roles/iap.httpsResourceAccessor',
            members: ['principalSet://iam.googleapis.com/locations/global/workforcePools/other-team-pool/*'],
          },
        ],
      },
    },
  });
  await g.iap.updateIapSettings({
    name: WEB_IAP,
    updateMask: 'iapSettings.applicationSettings.cookieDomain',
    requestBody: { name: WEB_IAP, applicationSettings: { cookieDomain: 'other.example.com' } },
  });
  const cp0 = (await g.crmV1.projects.getIamPolicy({ resource: 'sandbox-project', requestBody: {} })).data;
  await g.crmV1.projects.setIamPolicy({
    resource: 'sandbox-project',
    requestBody: {
      policy: {
        ...cp0,
        bindings: [...(cp0.bindings ?? []), { role: 'roles/viewer', members: ['user:auditor@example.com'] }],
      },
    },
  });
  return mgmt.clients.create({
    name: 'IAP hello (iap-auth0)',
    app_type: 'regular_web',
    callbacks: ['https://other.example.com/cb'],
  });
}

/** Others' things as the sandbox holds them: what init and destroy must leave exactly as they were. */
function theirs(sb: Sandbox) {
  const w = sb.world.snapshot() as any;
  return {
    pools: w.workforcePools.filter((p: any) => p.poolId === 'other-team-pool'),
    providers: w.workforceProviders.filter((p: any) => p.poolId === 'other-team-pool'),
    apps: w.auth0Clients.filter((c: any) => c.client_metadata?.managed_by !== 'iap-auth0'),
    webIapPolicy: w.iamPolicies[`iap:${WEB_IAP}`],
    projectPolicy: w.iamPolicies['crm:projects/415104041262'],
    otherSettings: w.iapSettings.filter((s: any) => s.applicationSettings?.cookieDomain),
  };
}

test("others' bindings, settings, Auth0 apps and pools are untouched by init and destroy", async (t) => {
  const sb = await useSandbox();
  const mgmt = new ManagementClient({
    domain: sb.env.AUTH0_DOMAIN,
    clientId: sb.env.AUTH0_CLIENT_ID,
    clientSecret: sb.env.AUTH0_CLIENT_SECRET,
  });
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-owner-'));
  const lookalike = await seedOthers(sb, mgmt);
  const before = theirs(sb);
  assert.equal(before.apps.length >= 3, true, 'the seeded apps, the M2M app and the look-alike');

  const outputs: string[] = [];
  const init = await runCli(['init', '--yes', '--service', 'hello'], sb.env, cwd);
  outputs.push(init.stdout, init.stderr);
  assert.equal(init.code, 0, init.stderr);
  assert.deepEqual(theirs(sb), before, "init left others' things exactly as they were");
  const ours = [...sb.world.auth0Clients.values()].filter((c) => c.client_metadata?.managed_by === 'iap-auth0');
  assert.equal(ours.length, 1);
  assert.notEqual(ours[0].client_id, lookalike.client_id, 'the untagged app with our name was not taken over');

  const destroy = await runCli(['destroy', '--force'], sb.env, cwd);
  outputs.push(destroy.stdout, destroy.stderr);
  assert.equal(destroy.code, 0, destroy.stderr);
  assert.deepEqual(theirs(sb), before, "destroy left others' things exactly as they were");
  assert.deepEqual(leftovers(sb.world.snapshot()), []);
  t.diagnostic(
    'another pool and provider, an untagged look-alike app, the seeded apps, a project-level IAP binding and ' +
      'setting, and a project IAM binding: all unchanged',
  );
  await assertNoSecretLeaked(sb, outputs, [cwd]);
});
