// The iap-settings and access stages against the sandbox: masked settings that keep unrelated ones,
// the secret checked by its hash only, members merged into the policy, and zero writes on re-run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planOf } from '../src/core/stage.js';
import { createHash } from 'node:crypto';
import { useSandbox, clientsFor, requestLog, control, waitOperation } from './helpers/sandbox.js';
import { makeContext, runOk } from './helpers/core-context.js';
import { oauthClientStage } from '../src/core/stages/oauth-client.js';
import { iapSettingsStage } from '../src/core/stages/iap-settings.js';
import { accessStage } from '../src/core/stages/access.js';

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
test('iap-settings and access stages', async (t) => {
  const sb = await useSandbox();
  const c = clientsFor(sb);
  const base = await makeContext(sb);
  const resource = 'projects/415104041262/iap_web/cloud_run-europe-west1/services/hello';
  // The pool the settings point at (the workforce-pool stage's job; made directly here).
  await base.ctx.apisReady();
  const { data: op } = await c.iam.locations.workforcePools.create({
    location: 'locations/global',
    workforcePoolId: base.ctx.inputs.pool,
    requestBody: {
      parent: 'organizations/123456789012',
      description: `Managed by iap-auth0 (setup ${base.ctx.inputs.setupId}): pool`,
    },
  });
  await waitOperation(() => c.iam.locations.workforcePools.operations.get({ name: op.name! }));

  await t.test(
    'settings: pool + client + secret set with a mask; an unrelated setting survives; re-run writes nothing',
    async () => {
      await c.iap.updateIapSettings({
        name: resource,
        updateMask: 'iapSettings.applicationSettings.accessDeniedPageSettings',
        requestBody: {
          name: resource,
          applicationSettings: { accessDeniedPageSettings: { accessDeniedPageUri: 'https://example.com/denied' } },
        },
      });
      await runOk(base, [oauthClientStage, iapSettingsStage]);
      const s = (await c.iap.getIapSettings({ name: resource })).data;
      const secret = base.ctx.secrets.get('oauthCredentialSecret')!;
      assert.deepEqual(s.accessSettings?.identitySources, ['WORKFORCE_IDENTITY_FEDERATION']);
      assert.deepEqual(s.accessSettings?.workforceIdentitySettings?.workforcePools, [
        `locations/global/workforcePools/${base.ctx.inputs.pool}`,
      ]);
      assert.equal(
        s.accessSettings?.workforceIdentitySettings?.oauth2?.clientId,
        base.state.stage('oauth-client').resources.clientId,
      );
      assert.equal(
        s.accessSettings?.workforceIdentitySettings?.oauth2?.clientSecretSha256,
        createHash('sha256').update(secret).digest('hex'),
      );
      assert.equal(
        (s.applicationSettings as any)?.accessDeniedPageSettings?.accessDeniedPageUri,
        'https://example.com/denied',
      );
      assert.equal(base.state.stage('iap-settings').resources.iapResource, resource);

      const since = (await requestLog(sb)).at(-1).seq;
      base.ctx.secrets.clear(); // a resumed run: the secret is re-read from the credential
      await base.state.updateStage('iap-settings', (st) => {
        st.status = 'pending';
      });
      assert.deepEqual(
        (await planOf(iapSettingsStage, base.ctx)).map((i) => i.action),
        ['none'],
      );
      await runOk(base, [iapSettingsStage]);
      assert.deepEqual(
        (await requestLog(sb, since)).filter((r) => r.mutating),
        [],
      );
    },
  );

  await t.test('--scope project writes the project-level settings', async () => {
    const proj = await makeContext(sb, { scope: 'project', oauthClient: base.ctx.inputs.oauthClient });
    await proj.state.update((s) => {
      s.stages['oauth-client'] = structuredClone(base.state.stage('oauth-client'));
    });
    await runOk(proj, [iapSettingsStage]);
    assert.equal(
      (await c.iap.getIapSettings({ name: 'projects/415104041262' })).data.accessSettings?.workforceIdentitySettings
        ?.oauth2?.clientId,
      base.state.stage('oauth-client').resources.clientId,
    );
  });

  await t.test(
    'access: the pool is granted, another member survives, re-run writes nothing, users map to principals',
    async () => {
      await control(sb, '/iam-policy', {
        resource: `iap:${resource}`,
        policy: { bindings: [{ role: 'roles/iap.httpsResourceAccessor', members: ['user:someone@sandbox.example'] }] },
      });
      assert.equal((await planOf(accessStage, base.ctx))[0].action, 'grant');
      const [granted] = await runOk(base, [accessStage]);
      // In the plan's words (issue 15): never the raw principalSet://… member.
      assert.equal(granted.summary, 'everyone in the pool may sign in');
      const pool = `principalSet://iam.googleapis.com/locations/global/workforcePools/${base.ctx.inputs.pool}/*`;
      const members = (await c.iap.getIamPolicy({ resource, requestBody: {} })).data
        .bindings!.find((b) => b.role === 'roles/iap.httpsResourceAccessor')!
        .members!.sort();
      assert.deepEqual(members, [pool, 'user:someone@sandbox.example'].sort());
      assert.deepEqual(base.state.stage('access').added, [pool]);

      const since = (await requestLog(sb)).at(-1).seq;
      await runOk(base, [accessStage]);
      assert.deepEqual(
        (await requestLog(sb, since)).filter((r) => r.mutating),
        [],
      );

      const users = await makeContext(sb, { allow: ['user:auth0|abc123'] });
      const [user] = await runOk(users, [accessStage]);
      assert.equal(user.summary, 'user auth0|abc123 may sign in');
      assert.deepEqual(
        users.events.filter((e) => e.type === 'step').map((e) => (e as { text: string }).text),
        ['granted roles/iap.httpsResourceAccessor to user auth0|abc123'],
      );
      const after = (await c.iap.getIamPolicy({ resource, requestBody: {} })).data.bindings!.find(
        (b) => b.role === 'roles/iap.httpsResourceAccessor',
      )!.members!;
      assert.ok(
        after.includes(
          `principal://iam.googleapis.com/locations/global/workforcePools/${base.ctx.inputs.pool}/subject/auth0|abc123`,
        ),
      );
      assert.ok(after.includes(pool) && after.includes('user:someone@sandbox.example'), 'nothing dropped');
    },
  );
});
