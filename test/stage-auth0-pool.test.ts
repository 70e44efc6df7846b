// The auth0-app and workforce-pool stages beyond the end-to-end run: callbacks others added survive,
// a resumed run without the Auth0 secret re-reads it (and says which scope is missing when it
// cannot), a pool iap-auth0 did not create is refused and adopted with --adopt, and under 30 %
// injected 429/503 the result is still exactly one tagged app, one pool and one provider.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManagementClient } from 'auth0';
import { useSandbox, clientsFor, control, waitOperation } from './helpers/sandbox.js';
import { makeContext, runOk } from './helpers/core-context.js';
import { auth0AppStage, auth0ClientSecret } from '../src/core/stages/auth0-app.js';
import { workforcePoolStage } from '../src/core/stages/workforce-pool.js';
import { runStages } from '../src/core/stage.js';

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
test('auth0-app and workforce-pool stages', async (t) => {
  const sb = await useSandbox();
  const mgmt = new ManagementClient({
    domain: sb.env.AUTH0_DOMAIN,
    clientId: sb.env.AUTH0_CLIENT_ID,
    clientSecret: sb.env.AUTH0_CLIENT_SECRET,
  });
  const c = clientsFor(sb);

  await t.test("a developer's callback on our app survives a re-run; the secret is re-read on resume", async () => {
    const tc = await makeContext(sb, { service: 'keep' });
    await runOk(tc, [auth0AppStage]);
    const id = tc.state.stage('auth0-app').resources.clientId!;
    const before = await mgmt.clients.get(id);
    await mgmt.clients.update(id, { callbacks: [...before.callbacks!, 'http://localhost:5173/callback'] });
    const again = await makeContext(sb, { service: 'keep', setupId: tc.ctx.inputs.setupId }, tc.stateFile);
    await again.state.update((s) => {
      s.stages = structuredClone(tc.state.current.stages);
    });
    await runOk(again, [auth0AppStage]);
    assert.deepEqual((await mgmt.clients.get(id)).callbacks, [...before.callbacks!, 'http://localhost:5173/callback']);
    assert.equal(await auth0ClientSecret(again.ctx), before.client_secret, 're-read from Auth0');
    // Without read:client_keys the re-read cannot work, and the error says which scope to add.
    sb.world.auth0M2M.scopes.delete('read:client_keys');
    try {
      const fresh = await makeContext(sb, { service: 'keep', setupId: tc.ctx.inputs.setupId }, tc.stateFile);
      await fresh.state.update((s) => {
        s.stages = structuredClone(tc.state.current.stages);
      });
      await assert.rejects(auth0ClientSecret(fresh.ctx), /read:client_keys/);
    } finally {
      sb.world.auth0M2M.scopes.add('read:client_keys');
    }
  });

  await t.test('a pool with our id that iap-auth0 did not create is refused, then adopted with --adopt', async () => {
    const tc = await makeContext(sb, { service: 'foreign', pool: 'hand-made-pool' });
    await tc.ctx.apisReady();
    const { data: op } = await c.iam.locations.workforcePools.create({
      location: 'locations/global',
      workforcePoolId: 'hand-made-pool',
      requestBody: { parent: 'organizations/123456789012', description: 'made by hand' },
    });
    await waitOperation(() => c.iam.locations.workforcePools.operations.get({ name: op.name! }));
    const results = await runStages([auth0AppStage, workforcePoolStage], tc.ctx);
    const pool = results.find((r) => r.id === 'workforce-pool')!;
    assert.equal(pool.ok, false);
    assert.match(
      (pool.error as Error).message,
      /the workforce pool hand-made-pool exists but was not created by iap-auth0/,
    );
    assert.match((pool.error as { hint?: string }).hint ?? '', /pass --adopt/);
    assert.equal(sb.world.providers.size, 0, 'no provider was added to it');
    assert.match(
      String((results.find((r) => r.id === 'auth0-app')!.error as Error).message),
      /waiting for Workforce pool and provider, which failed/,
    );
    assert.equal(
      [...sb.world.auth0Clients.values()].filter((a) =>
        a.client_metadata?.iap_auth0_provider?.includes('hand-made-pool'),
      ).length,
      0,
      'no Auth0 app was created for it',
    );
    const adopt = await makeContext(sb, { service: 'foreign', pool: 'hand-made-pool', adopt: true });
    await runOk(adopt, [auth0AppStage, workforcePoolStage]);
    assert.equal(
      (
        await c.iam.locations.workforcePools.providers.get({
          name: 'locations/global/workforcePools/hand-made-pool/providers/auth0',
        })
      ).data.state,
      'ACTIVE',
    );
  });

  await t.test('under 30 % injected 429/503 on Auth0 and IAM: exactly one tagged app, pool and provider', async () => {
    const tc = await makeContext(sb, { service: 'flaky' });
    await tc.ctx.apisReady();
    await control(sb, '/faults', { spec: 'auth0=0.3,iam=0.3', seed: 5 });
    try {
      await runOk(tc, [auth0AppStage, workforcePoolStage]);
    } finally {
      await control(sb, '/faults', { spec: '' });
    }
    const provider = `locations/global/workforcePools/${tc.ctx.inputs.pool}/providers/auth0`;
    const tagged = [...sb.world.auth0Clients.values()].filter(
      (a) => a.client_metadata?.iap_auth0_provider === provider,
    );
    assert.equal(tagged.length, 1);
    assert.equal([...sb.world.pools.keys()].filter((p) => p === tc.ctx.inputs.pool).length, 1);
    assert.equal(sb.world.providers.get(`${tc.ctx.inputs.pool}/auth0`)?.state, 'ACTIVE');
    assert.ok(
      sb.world.requests.some((r) => r.status === 429 || r.status === 503),
      'faults were injected',
    );
  });
});
