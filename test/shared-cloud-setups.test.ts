// Issue 11, setups side by side: one service in two folders, two services on one --pool, two
// long names, two regions, two --scope project setups. The second is refused, or shares
// explicitly (--adopt); each destroy leaves the other's verify green, and the last one leaves
// nothing behind. And the state file as a cache of the cloud: an edited state cannot make destroy
// delete someone's service or init write to someone's app, and a fresh state finds its setup again
// (--setup), members included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ManagementClient } from 'auth0';
import { useSandbox, clientsFor, requestLog, inspect, waitOperation } from './helpers/sandbox.js';
import { runCli } from './helpers/cli.js';
import { leftovers } from '../src/sandbox/leftovers.js';

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
test('setups side by side, and the state file as a cache', async (t) => {
  const sb = await useSandbox();
  const g = clientsFor(sb);
  const mgmt = new ManagementClient({
    domain: sb.env.AUTH0_DOMAIN,
    clientId: sb.env.AUTH0_CLIENT_ID,
    clientSecret: sb.env.AUTH0_CLIENT_SECRET,
  });
  const folder = () => mkdtemp(path.join(os.tmpdir(), 'iap-auth0-setups-'));
  const cli = (cwd: string, ...args: string[]) => runCli(args, sb.env, cwd);
  const file = (cwd: string) => path.join(cwd, '.iap-auth0', 'state.json');
  const stateOf = async (cwd: string) => JSON.parse(await readFile(file(cwd), 'utf8'));
  const lastSeq = async () => (await requestLog(sb)).at(-1)?.seq ?? 0;
  const ok = async (cwd: string, ...args: string[]) => {
    const r = await cli(cwd, ...args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const green = async (cwd: string, who: string) => {
    const r = await cli(cwd, 'verify', '--wait', '30s', '--json');
    assert.equal(
      r.code,
      0,
      `${who}'s verify: ${JSON.stringify(JSON.parse(r.stdout).checks?.filter((c: any) => !c.ok))}`,
    );
  };
  const init = (cwd: string, ...args: string[]) => cli(cwd, 'init', '--yes', ...args);
  const destroy = (cwd: string) => ok(cwd, 'destroy', '--force');
  /** A second setup is refused naming the first one, having changed nothing and written no state. */
  const refusedBy = async (cwd: string, owner: string, args: string[], what: RegExp) => {
    const since = await lastSeq();
    const r = await init(cwd, ...args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, what);
    assert.match(r.stderr, new RegExp(`iap-auth0 setup ${owner}`));
    assert.deepEqual(
      (await requestLog(sb, since)).filter((x) => x.mutating),
      [],
      'nothing was changed',
    );
    await assert.rejects(readFile(file(cwd)), 'no state was written');
    return r;
  };

  await t.test(
    'one service, two folders: refused; shared with --adopt; each destroy leaves the other green',
    async () => {
      const a = await folder(),
        b = await folder();
      await ok(a, 'init', '--yes', '--service', 'shared');
      const setupA = (await stateOf(a)).setupId;
      const r = await refusedBy(
        b,
        setupA,
        ['--service', 'shared'],
        new RegExp(
          /the Cloud Run service projects\/sandbox-project\/locations\/us-central1\/services\/shared /.source +
            /belongs to iap-auth0 setup/.source,
        ),
      );
      assert.match(
        r.stderr,
        new RegExp(
          `hint: if that setup is yours and its state file is lost, run iap-auth0 init --setup ${setupA}; to ` +
            'let this setup use them without ever deleting them, pass --adopt; or choose other ids with ' +
            '--service, --provider, --pool, --oauth-client',
        ),
      );
      await ok(b, 'init', '--yes', '--service', 'shared', '--adopt');
      const setupB = (await stateOf(b)).setupId;
      await green(a, 'A');
      await green(b, 'B');
      const db = await destroy(b);
      assert.match(db.stderr, /kept Cloud Run service .*shared: another setup's, no longer shared with this one/);
      await green(a, 'A');
      // Shared again, and this time the owner leaves first: everything is handed over to B.
      await ok(b, 'init', '--yes', '--adopt');
      const da = await destroy(a);
      assert.match(
        da.stderr,
        new RegExp(`kept Cloud Run service .*shared: handed over to iap-auth0 setup ${setupB}, which still uses it`),
      );
      await green(b, 'B');
      await destroy(b);
      assert.deepEqual(leftovers(await inspect(sb)), []);
    },
  );

  await t.test(
    'two services on one --pool: refused; shared with --adopt; each destroy leaves the other green',
    async () => {
      const a = await folder(),
        b = await folder();
      await ok(a, 'init', '--yes', '--service', 'alpha');
      const {
        setupId: setupA,
        inputs: { pool },
      } = await stateOf(a);
      await refusedBy(
        b,
        setupA,
        ['--service', 'beta', '--pool', pool],
        new RegExp(`the workforce pool ${pool} belongs to iap-auth0 setup`),
      );
      await ok(b, 'init', '--yes', '--service', 'beta', '--pool', pool, '--adopt');
      await green(a, 'A');
      await green(b, 'B');
      await destroy(b);
      await green(a, 'A');
      await ok(b, 'init', '--yes', '--adopt');
      const da = await destroy(a);
      assert.match(
        da.stderr,
        new RegExp(`kept locations/global/workforcePools/${pool}: handed over to iap-auth0 setup`),
      );
      await green(b, 'B');
      await destroy(b);
      assert.deepEqual(leftovers(await inspect(sb)), []);
    },
  );

  await t.test('two long names and two regions derive different ids and never touch each other', async () => {
    const pairs: [string[], string[]][] = [
      [
        ['--service', 'customer-portal-frontend-eu'],
        ['--service', 'customer-portal-frontend-us'],
      ],
      [
        ['--service', 'hello', '--region', 'us-central1'],
        ['--service', 'hello', '--region', 'europe-west1'],
      ],
    ];
    for (const [first, second] of pairs) {
      const a = await folder(),
        b = await folder();
      await ok(a, 'init', '--yes', ...first);
      await ok(b, 'init', '--yes', ...second);
      const [sa, sb2] = [await stateOf(a), await stateOf(b)];
      for (const [stage, key] of [
        ['deploy', 'serviceAccount'],
        ['workforce-pool', 'pool'],
        ['oauth-client', 'oauthClient'],
        ['auth0-app', 'clientId'],
      ]) {
        assert.notEqual(sa.stages[stage].resources[key], sb2.stages[stage].resources[key], `${key} differs`);
      }
      await destroy(a);
      await green(b, 'B');
      await destroy(b);
      assert.deepEqual(leftovers(await inspect(sb)), []);
    }
  });

  await t.test(
    'two --scope project setups: refused naming the pool and client to share; each destroy leaves the other green',
    async () => {
      const a = await folder(),
        b = await folder();
      await ok(a, 'init', '--yes', '--service', 'one', '--scope', 'project');
      const sa = await stateOf(a);
      const client = sa.inputs.oauthClient;
      const r = await refusedBy(
        b,
        sa.setupId,
        ['--service', 'two', '--scope', 'project'],
        /the IAP settings of projects\/415104041262 already sign people in with workforce pool/,
      );
      assert.match(
        r.stderr,
        new RegExp(
          'hint: with --scope project every IAP app of the project shares one pool and OAuth client: pass ' +
            `--pool ${sa.inputs.pool} --oauth-client ${client} --adopt`,
        ),
      );
      await ok(
        b,
        'init',
        '--yes',
        '--service',
        'two',
        '--scope',
        'project',
        '--pool',
        sa.inputs.pool,
        '--oauth-client',
        client,
        '--adopt',
      );
      await green(a, 'A');
      await green(b, 'B');
      await destroy(b);
      await green(a, 'A');
      await ok(b, 'init', '--yes', '--adopt');
      await destroy(a);
      await green(b, 'B');
      await destroy(b);
      assert.deepEqual(leftovers(await inspect(sb)), []);
    },
  );

  await t.test(
    "an edited state file cannot make destroy delete someone's service, nor init write to someone's app",
    async () => {
      const a = await folder();
      await ok(a, 'init', '--yes', '--service', 'trusty');
      const original = await readFile(file(a), 'utf8');
      // Someone's unlabeled service, and the tenant's Default App.
      const op = (
        await g.run.projects.locations.services.create({
          parent: 'projects/sandbox-project/locations/us-central1',
          serviceId: 'victim',
          requestBody: { template: { containers: [{ image: 'us-docker.pkg.dev/cloudrun/container/hello' }] } },
        })
      ).data;
      await waitOperation(() => g.run.projects.locations.operations.get({ name: op.name! }));
      const victim = 'projects/sandbox-project/locations/us-central1/services/victim';

      const edited = JSON.parse(original);
      edited.stages.deploy.resources.service = victim;
      await writeFile(file(a), JSON.stringify(edited));
      const before = leftovers(await inspect(sb));
      const d = await cli(a, 'destroy', '--force');
      assert.equal(d.code, 2, d.stderr);
      assert.match(
        d.stderr,
        new RegExp(
          'nothing was deleted: the state file \\.iap-auth0/state\\.json does not match the cloud\\n\\s+- ' +
            `stages\\.deploy\\.resources\\.service names ${victim}, which does not carry the iap-auth0 marker ` +
            `of setup ${edited.setupId}`,
        ),
      );
      assert.equal(
        (await g.run.projects.locations.services.get({ name: victim })).data.name,
        victim,
        'the other service is still there',
      );
      assert.deepEqual(leftovers(await inspect(sb)), before, 'nothing was deleted');

      const defaultApp = (await mgmt.clients.list({ per_page: 100 })).data.find(
        (c: any) => c.name === 'Default App',
      ) as any;
      const edited2 = JSON.parse(original);
      edited2.stages['auth0-app'].resources.clientId = defaultApp.client_id;
      await writeFile(file(a), JSON.stringify(edited2));
      const since = await lastSeq();
      const i = await init(a);
      assert.equal(i.code, 2, i.stderr);
      assert.match(
        i.stderr,
        new RegExp(
          `the state file \\.iap-auth0/state\\.json records the Auth0 app ${defaultApp.client_id} \\("Default ` +
            'App"\\) \\(stages\\.auth0-app\\.resources\\.clientId\\) as created by setup',
        ),
      );
      assert.deepEqual(
        (await mgmt.clients.get(defaultApp.client_id)).callbacks,
        defaultApp.callbacks,
        'the Default App is untouched',
      );
      assert.deepEqual(
        (await requestLog(sb, since)).filter((x) => x.mutating),
        [],
      );

      await writeFile(file(a), original);
      await destroy(a);
      assert.equal((await g.run.projects.locations.services.get({ name: victim })).data.name, victim);
      const del = (await g.run.projects.locations.services.delete({ name: victim })).data;
      await waitOperation(() => g.run.projects.locations.operations.get({ name: del.name! }));
      assert.deepEqual(leftovers(await inspect(sb)), []);
    },
  );

  await t.test(
    'a state file of 0.1.0 (no setup id, markers without one) is taken over by init, its markers upgraded',
    async () => {
      const a = await folder();
      await ok(a, 'init', '--yes', '--service', 'legacy');
      const st = await stateOf(a);
      // Turn the world and the file back into what 0.1.0 wrote: markers without a setup id.
      const legacy = 'Managed by iap-auth0 for Cloud Run service legacy in sandbox-project';
      const svc = st.stages.deploy.resources.service;
      const sop = (
        await g.run.projects.locations.services.patch({
          name: svc,
          updateMask: 'labels,description',
          requestBody: { labels: { 'managed-by': 'iap-auth0' }, description: '' },
        })
      ).data;
      await waitOperation(() => g.run.projects.locations.operations.get({ name: sop.name! }));
      await g.iam.projects.serviceAccounts.patch({
        name: `projects/sandbox-project/serviceAccounts/${st.stages.deploy.resources.serviceAccount}`,
        requestBody: { serviceAccount: { description: legacy }, updateMask: 'description' },
      });
      const pool = `locations/global/workforcePools/${st.inputs.pool}`;
      const pop = (
        await g.iam.locations.workforcePools.patch({
          name: pool,
          updateMask: 'description',
          requestBody: { description: legacy },
        })
      ).data;
      await waitOperation(() => g.iam.locations.workforcePools.operations.get({ name: pop.name! }));
      const vop = (
        await g.iam.locations.workforcePools.providers.patch({
          name: `${pool}/providers/auth0`,
          updateMask: 'description',
          requestBody: { description: 'Managed by iap-auth0: Auth0' },
        })
      ).data;
      await waitOperation(() => g.iam.locations.workforcePools.providers.operations.get({ name: vop.name! }));
      await g.iam.projects.locations.oauthClients.patch({
        name: st.stages['oauth-client'].resources.oauthClient,
        updateMask: 'description',
        requestBody: { description: legacy },
      });
      await mgmt.clients.update(st.stages['auth0-app'].resources.clientId, {
        description: 'Managed by iap-auth0: Google Workforce Identity Federation',
        client_metadata: { iap_auth0_setup: null },
      } as never);
      const { setupId: _gone, ...old } = st;
      await writeFile(file(a), JSON.stringify(old));

      const r = await ok(a, 'init', '--yes');
      const now = await stateOf(a);
      assert.match(now.setupId, /^[a-z2-7]{8}$/, 'a setup id is given');
      assert.notEqual(now.setupId, st.setupId);
      assert.match(r.stderr, /restoring the iap-auth0 marker of pool/);
      const s = (await g.run.projects.locations.services.get({ name: svc })).data;
      assert.equal(s.labels?.['iap-auth0-setup'], now.setupId);
      assert.match(
        (await g.iam.locations.workforcePools.get({ name: pool })).data.description!,
        new RegExp(`^Managed by iap-auth0 \\(setup ${now.setupId}\\): for Cloud Run service legacy`),
      );
      assert.equal(
        (await mgmt.clients.get(st.stages['auth0-app'].resources.clientId)).client_metadata?.iap_auth0_setup,
        now.setupId,
      );
      await green(a, 'the upgraded setup');
      await destroy(a);
      assert.deepEqual(leftovers(await inspect(sb)), []);
    },
  );

  await t.test(
    'a fresh state after "move it away to start over" finds the setup with --setup, its access member included',
    async () => {
      const a = await folder();
      await ok(a, 'init', '--yes', '--service', 'fresh');
      const { setupId } = await stateOf(a);
      await rename(path.join(a, '.iap-auth0'), path.join(a, 'old-state'));
      await refusedBy(
        a,
        setupId,
        ['--service', 'fresh'],
        /the workforce pool iap-fresh-us-central1-sandbox-project belongs to iap-auth0 setup/,
      );
      await ok(a, 'init', '--yes', '--service', 'fresh', '--setup', setupId);
      const st = await stateOf(a);
      assert.equal(st.setupId, setupId);
      assert.deepEqual(
        st.stages.access.added,
        [`principalSet://iam.googleapis.com/locations/global/workforcePools/${st.inputs.pool}/*`],
        "the member is this setup's again",
      );
      const bad = await cli(a, 'init', '--yes', '--setup', 'abcdefgh');
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, new RegExp(`--setup is abcdefgh but \\.iap-auth0/state\\.json is setup ${setupId}`));
      await destroy(a);
      assert.deepEqual(leftovers(await inspect(sb)), [], 'nothing left, the access member included');
    },
  );
});
