// The oauth-client stage against the sandbox: placeholder, write-ahead clientId, redirect patch,
// credential secret in memory only, idempotent re-run, resume from the placeholder, undelete,
// and refusal to take over a client iap-auth0 did not create.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { useSandbox, clientsFor, requestLog } from './helpers/sandbox.js';
import { makeContext, runOk } from './helpers/core-context.js';
import { oauthClientStage, oauthCredentialSecret } from '../src/core/stages/oauth-client.js';
import { planOf, runStages } from '../src/core/stage.js';

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
test('oauth-client stage', async (t) => {
  const sb = await useSandbox();
  const c = clientsFor(sb);
  const oc = c.iam.projects.locations.oauthClients;
  const name = (id: string) => `projects/sandbox-project/locations/global/oauthClients/${id}`;

  await t.test(
    'fresh: client with the real redirect URI, credential, clientId recorded, secret only in memory',
    async () => {
      const tc = await makeContext(sb);
      // The client, its redirect URI (patched once Google generated the id it contains), the credential.
      assert.deepEqual(
        (await planOf(oauthClientStage, tc.ctx)).map((i) => i.action),
        ['create', 'update', 'create'],
      );
      await runOk(tc, [oauthClientStage]);
      const client = (await oc.get({ name: name(tc.ctx.inputs.oauthClient) })).data;
      assert.deepEqual(client.allowedRedirectUris, [
        `https://iap.googleapis.com/v1/oauth/clientIds/${client.clientId}:handleRedirect`,
      ]);
      assert.equal(tc.state.stage('oauth-client').resources.clientId, client.clientId);
      assert.equal(tc.state.stage('oauth-client').status, 'done');
      const cred = (await oc.credentials.get({ name: `${name(tc.ctx.inputs.oauthClient)}/credentials/iap-auth0` }))
        .data;
      assert.equal(tc.ctx.secrets.get('oauthCredentialSecret'), cred.clientSecret);
      await tc.state.flush();
      const text = await readFile(tc.stateFile, 'utf8');
      assert.ok(text.includes(client.clientId!), 'the generated id is recorded');
      assert.ok(!text.includes(cred.clientSecret!), 'the secret is not');
      assert.ok(!JSON.stringify(tc.events).includes(cred.clientSecret!), 'nor in any event');

      // Re-run on the same state: nothing to do, no mutating request.
      const since = (await requestLog(sb)).at(-1).seq;
      const again = await makeContext(sb, { setupId: tc.ctx.inputs.setupId }, tc.stateFile);
      await again.state.update((s) => {
        s.stages = structuredClone(tc.state.current.stages);
      });
      assert.deepEqual(
        (await planOf(oauthClientStage, again.ctx)).map((i) => i.action),
        ['none', 'none'],
      );
      await runOk(again, [oauthClientStage]);
      assert.deepEqual(
        (await requestLog(sb, since)).filter((r) => r.mutating),
        [],
      );
      // A resumed run without the secret in memory re-reads it.
      again.ctx.secrets.clear();
      assert.equal(await oauthCredentialSecret(again.ctx), cred.clientSecret);
    },
  );

  await t.test(
    'resume: a client left on the placeholder (killed before the patch) is patched, not re-created',
    async () => {
      const tc = await makeContext(sb, { oauthClient: 'iap-auth0-resume' });
      await oc.create({
        parent: 'projects/sandbox-project/locations/global',
        oauthClientId: 'iap-auth0-resume',
        requestBody: {
          clientType: 'CONFIDENTIAL_CLIENT',
          allowedGrantTypes: ['AUTHORIZATION_CODE_GRANT'],
          allowedScopes: ['https://www.googleapis.com/auth/cloud-platform'],
          allowedRedirectUris: ['https://www.example.com/iap-auth0-pending'],
          description: `Managed by iap-auth0 (setup ${tc.ctx.inputs.setupId}): IAP sign-in client`,
        },
      });
      const since = (await requestLog(sb)).at(-1).seq;
      await runOk(tc, [oauthClientStage]);
      const posts = (await requestLog(sb, since)).filter(
        (r) => r.method === 'POST' && r.path.endsWith('/oauthClients'),
      );
      assert.equal(posts.length, 0, 'no second create');
      const client = (await oc.get({ name: name('iap-auth0-resume') })).data;
      assert.deepEqual(client.allowedRedirectUris, [
        `https://iap.googleapis.com/v1/oauth/clientIds/${client.clientId}:handleRedirect`,
      ]);
    },
  );

  await t.test('a soft-deleted client with our id is undeleted', async () => {
    const tc = await makeContext(sb, { service: 'undel', oauthClient: 'iap-auth0-undel' });
    await runOk(tc, [oauthClientStage]);
    await oc.delete({ name: name('iap-auth0-undel') });
    assert.equal((await oc.get({ name: name('iap-auth0-undel') })).data.state, 'DELETED');
    const again = await makeContext(sb, {
      service: 'undel',
      oauthClient: 'iap-auth0-undel',
      setupId: tc.ctx.inputs.setupId,
    });
    assert.ok((await planOf(oauthClientStage, again.ctx)).some((i) => i.action === 'undelete'));
    await runOk(again, [oauthClientStage]);
    assert.equal((await oc.get({ name: name('iap-auth0-undel') })).data.state, 'ACTIVE');
  });

  await t.test('a client with our id that iap-auth0 did not create is refused, and adopted with --adopt', async () => {
    await oc.create({
      parent: 'projects/sandbox-project/locations/global',
      oauthClientId: 'someone-elses',
      requestBody: {
        clientType: 'CONFIDENTIAL_CLIENT',
        allowedGrantTypes: ['AUTHORIZATION_CODE_GRANT'],
        allowedScopes: ['openid'],
        allowedRedirectUris: ['https://app.example/cb'],
        description: 'hand-made',
      },
    });
    const tc = await makeContext(sb, { oauthClient: 'someone-elses' });
    const [r] = await runStages([oauthClientStage], tc.ctx);
    assert.equal(r.ok, false);
    assert.match((r.error as Error).message, /oauthClients\/someone-elses exists but was not created by iap-auth0/);
    assert.match((r.error as { hint?: string }).hint ?? '', /pass --adopt/);
    assert.deepEqual(
      (await oc.get({ name: name('someone-elses') })).data.allowedRedirectUris,
      ['https://app.example/cb'],
      'untouched',
    );
    const adopt = await makeContext(sb, { oauthClient: 'someone-elses', adopt: true });
    await runOk(adopt, [oauthClientStage]);
    const client = (await oc.get({ name: name('someone-elses') })).data;
    assert.deepEqual(
      client.allowedRedirectUris,
      ['https://app.example/cb', `https://iap.googleapis.com/v1/oauth/clientIds/${client.clientId}:handleRedirect`],
      'merged, not replaced',
    );
  });
});
