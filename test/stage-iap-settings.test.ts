// Gaps the other stage tests leave: the generated clientId is on disk BEFORE the redirect patch
// (a patch that fails leaves it recorded, and the next run finishes it); a disabled credential of
// ours is re-enabled; the IAP settings write carries the mask so an unrelated cookieDomain
// survives, records the mask in `added`, and a first write with no secret in memory re-reads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { useSandbox, clientsFor, requestLog, control, waitOperation } from './helpers/sandbox.js';
import { makeContext, runOk } from './helpers/core-context.js';
import { oauthClientStage } from '../src/core/stages/oauth-client.js';
import { iapSettingsStage } from '../src/core/stages/iap-settings.js';
import { planOf, runStages } from '../src/core/stage.js';

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
test('oauth-client write-ahead and credential re-enable; iap-settings mask and secret re-read', async (t) => {
  const sb = await useSandbox();
  const c = clientsFor(sb);
  const oc = c.iam.projects.locations.oauthClients;
  const name = (id: string) => `projects/sandbox-project/locations/global/oauthClients/${id}`;

  await t.test(
    'the generated clientId is recorded before the redirect patch; a failed patch is finished by the next run',
    async () => {
      // A token that may create but not update OAuth clients: the run dies right at the patch.
      const { token } = await control(sb, '/tokens', {
        principal: 'user:dev@sandbox.example',
        deny: ['iam.oauthClients.update'],
      });
      const denied = { ...sb, env: { ...sb.env, CLOUDSDK_AUTH_ACCESS_TOKEN: token } } as typeof sb;
      const tc = await makeContext(denied, { oauthClient: 'iap-auth0-wal' });
      const [r] = await runStages([oauthClientStage], tc.ctx);
      assert.equal(r.ok, false, 'the patch was refused');
      const client = (await oc.get({ name: name('iap-auth0-wal') })).data;
      assert.deepEqual(
        client.allowedRedirectUris,
        ['https://www.example.com/iap-auth0-pending'],
        'still on the placeholder',
      );
      await tc.state.flush();
      const text = await readFile(tc.stateFile, 'utf8');
      assert.equal(
        JSON.parse(text).stages['oauth-client'].resources.clientId,
        client.clientId,
        'clientId on disk before the patch',
      );
      assert.equal(JSON.parse(text).stages['oauth-client'].resources.oauthClient, name('iap-auth0-wal'));

      const resumed = await makeContext(
        sb,
        { oauthClient: 'iap-auth0-wal', setupId: tc.ctx.inputs.setupId },
        tc.stateFile,
      );
      await resumed.state.update((s) => {
        s.stages = structuredClone(tc.state.current.stages);
      });
      assert.ok((await planOf(oauthClientStage, resumed.ctx)).some((i) => i.action === 'update'));
      const since = (await requestLog(sb)).at(-1).seq;
      await runOk(resumed, [oauthClientStage]);
      assert.equal(
        (await requestLog(sb, since)).filter((q) => q.method === 'POST' && q.path.endsWith('/oauthClients')).length,
        0,
        'not re-created',
      );
      assert.deepEqual((await oc.get({ name: name('iap-auth0-wal') })).data.allowedRedirectUris, [
        `https://iap.googleapis.com/v1/oauth/clientIds/${client.clientId}:handleRedirect`,
      ]);
    },
  );

  await t.test('a disabled credential of ours is re-enabled and its secret held in memory only', async () => {
    const tc = await makeContext(sb, { service: 'disabled', oauthClient: 'iap-auth0-disabled' });
    await runOk(tc, [oauthClientStage]);
    const cred = `${name('iap-auth0-disabled')}/credentials/iap-auth0`;
    await oc.credentials.patch({ name: cred, updateMask: 'disabled', requestBody: { disabled: true } });
    assert.equal((await oc.credentials.get({ name: cred })).data.disabled, true);
    const again = await makeContext(sb, {
      service: 'disabled',
      oauthClient: 'iap-auth0-disabled',
      setupId: tc.ctx.inputs.setupId,
    });
    assert.ok((await planOf(oauthClientStage, again.ctx)).some((i) => i.action === 'update' && i.resource === cred));
    await runOk(again, [oauthClientStage]);
    const k = (await oc.credentials.get({ name: cred })).data;
    assert.equal(k.disabled, false);
    assert.equal(again.ctx.secrets.get('oauthCredentialSecret'), k.clientSecret);
    await again.state.flush();
    assert.ok(!(await readFile(again.stateFile, 'utf8')).includes(k.clientSecret!), 'secret not in the state file');
  });

  await t.test(
    'iap-settings: masked write keeps cookieDomain, records the mask, secret re-read when not in memory',
    async () => {
      const tc = await makeContext(sb, { service: 'cookie' });
      const resource = 'projects/415104041262/iap_web/cloud_run-europe-west1/services/cookie';
      await tc.ctx.apisReady();
      const { data: op } = await c.iam.locations.workforcePools.create({
        location: 'locations/global',
        workforcePoolId: tc.ctx.inputs.pool,
        requestBody: {
          parent: 'organizations/123456789012',
          description: `Managed by iap-auth0 (setup ${tc.ctx.inputs.setupId}): pool`,
        },
      });
      await waitOperation(() => c.iam.locations.workforcePools.operations.get({ name: op.name! }));
      await c.iap.updateIapSettings({
        name: resource,
        updateMask: 'iapSettings.applicationSettings.cookieDomain',
        requestBody: { name: resource, applicationSettings: { cookieDomain: 'example.com' } } as any,
      });
      await runOk(tc, [oauthClientStage]);
      const secret = tc.ctx.secrets.get('oauthCredentialSecret')!;
      tc.ctx.secrets.clear(); // as on a resumed run: the first (real) write must re-read the secret
      const since = (await requestLog(sb)).at(-1).seq;
      await runOk(tc, [iapSettingsStage]);
      const writes = (await requestLog(sb, since)).filter((q) => q.mutating);
      assert.equal(writes.length, 1, 'one settings write');
      assert.match(
        decodeURIComponent(writes[0].path + (writes[0].query ?? '')),
        /iap_web\/cloud_run-europe-west1\/services\/cookie:iapSettings/,
      );
      const s = (await c.iap.getIapSettings({ name: resource })).data;
      assert.equal((s.applicationSettings as any)?.cookieDomain, 'example.com', 'unrelated setting survives');
      assert.deepEqual(s.accessSettings?.identitySources, ['WORKFORCE_IDENTITY_FEDERATION']);
      assert.equal(
        s.accessSettings?.workforceIdentitySettings?.oauth2?.clientId,
        tc.state.stage('oauth-client').resources.clientId,
      );
      assert.equal(
        s.accessSettings?.workforceIdentitySettings?.oauth2?.clientSecretSha256,
        createHash('sha256').update(secret).digest('hex'),
      );
      // The field-level mask of gcp-api.md 9.3, so destroy clears exactly these and nothing else.
      assert.deepEqual(tc.state.stage('iap-settings').added, [
        'iapSettings.accessSettings.identitySources',
        'iapSettings.accessSettings.workforceIdentitySettings',
      ]);
      assert.equal(tc.state.stage('iap-settings').resources.iapResource, resource);
      await tc.state.flush();
      assert.ok(!(await readFile(tc.stateFile, 'utf8')).includes(secret));
      assert.ok(!JSON.stringify(tc.events).includes(secret));
    },
  );
});
