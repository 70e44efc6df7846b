// `iap-auth0 destroy` and `status` against the sandbox. Destroy removes what iap-auth0 created and
// nothing else (checked through the sandbox's inspection), refuses to run unconfirmed, is a no-op
// the second time, and resumes after being killed mid-way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ManagementClient } from 'auth0';
import { useSandbox, clientsFor, control, inspect, requestLog } from './helpers/sandbox.js';
import { runCli, startCli, unwrapped } from './helpers/cli.js';
import { destroyPlan } from '../src/core/destroy.js';
import { destroyPlanWords } from '../src/cli/plan-words.js';
import { STAGE_TITLES } from '../src/state/names.js';
import { leftovers } from '../src/sandbox/leftovers.js';

const FOREIGN_MEMBER = 'user:bob@sandbox.example';

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
test('destroy and status', async (t) => {
  const sb = await useSandbox();
  const g = clientsFor(sb);
  const mgmt = new ManagementClient({
    domain: sb.env.AUTH0_DOMAIN,
    clientId: sb.env.AUTH0_CLIENT_ID,
    clientSecret: sb.env.AUTH0_CLIENT_SECRET,
  });
  const lastSeq = async () => (await requestLog(sb)).at(-1)?.seq ?? 0;
  const setUp = async (service: string) => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-destroy-'));
    const r = await runCli(['init', '--yes', '--service', service], sb.env, cwd);
    assert.equal(r.code, 0, r.stderr);
    const file = path.join(cwd, '.iap-auth0', 'state.json');
    return { cwd, file, state: JSON.parse(await readFile(file, 'utf8')) };
  };

  await t.test('status without a state file: exit 0, says to run init, no network', async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-status-'));
    const r = await runCli(['status'], {}, cwd);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /No state file at \.iap-auth0\/state\.json: nothing set up yet\.\nNext: iap-auth0 init/);
  });

  const a = await setUp('hello');
  // Others' things: a member in the same binding, and an Auth0 app with our app's name but no tag.
  const resource = a.state.stages.access.resources.iapResource;
  const p = (await g.iap.getIamPolicy({ resource })).data;
  await g.iap.setIamPolicy({
    resource,
    requestBody: {
      policy: {
        ...p,
        bindings: (p.bindings ?? []).map((b) =>
          b.role === 'roles/iap.httpsResourceAccessor' ? { ...b, members: [...(b.members ?? []), FOREIGN_MEMBER] } : b,
        ),
      },
    },
  });
  const lookalike = await mgmt.clients.create({
    name: 'IAP hello (iap-auth0)',
    app_type: 'regular_web',
    callbacks: ['https://example.com/cb'],
  });

  await t.test('status after init: every stage done, the URL, next is verify', async () => {
    const r = await runCli(['status', '--json'], {}, a.cwd);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(
      doc.stages.map((s: any) => s.status),
      ['done', 'done', 'done', 'done', 'done', 'done', 'done'],
    );
    assert.equal(doc.serviceUrl, a.state.stages.deploy.resources.uri);
    assert.equal(doc.next, 'iap-auth0 verify');
    const human = await runCli(['status'], {}, a.cwd);
    assert.match(human.stdout, /hello in sandbox-project \(us-central1\): set up/);
    assert.match(human.stdout, /Next: iap-auth0 verify/);
  });

  await t.test(
    'without a terminal and without --force: shows the plan, exit 2, no request, state unchanged',
    async () => {
      const before = await readFile(a.file, 'utf8');
      const since = await lastSeq();
      const r = await runCli(['destroy'], sb.env, a.cwd);
      assert.equal(r.code, 2, r.stderr);
      // Each stage by its title, what it deletes under it, wrapped at 100 columns in a pipe.
      assert.match(
        r.stderr,
        new RegExp(
          /^ {2}Cloud Run service\n {4}- delete Cloud Run service /.source +
            /projects\/sandbox-project\/locations\/us-central1\/services\/hello$/.source,
          'm',
        ),
      );
      assert.ok(
        r.stderr.split('\n').every((l) => l.length <= 100),
        r.stderr,
      );
      // On a terminal 80 columns wide: no line wider, no word broken, each stage once by its title.
      const plan = destroyPlan(a.state, []);
      const at80 = destroyPlanWords(plan, 80);
      assert.ok(at80.length > plan.length + 2 && at80.every((l) => l.length <= 80), at80.join('\n'));
      assert.equal(unwrapped(at80.join('\n')), destroyPlanWords(plan, Number.POSITIVE_INFINITY).join('\n'));
      assert.deepEqual(
        at80.filter((l) => /^ {2}\S/.test(l)),
        plan.map((x) => `  ${STAGE_TITLES[x.stage]}`),
      );
      assert.match(r.stderr, /needs confirmation: nothing was deleted\n\s+hint: .*--force/);
      assert.deepEqual(await requestLog(sb, since), []);
      assert.equal(await readFile(a.file, 'utf8'), before);
      const bad = await runCli(['destroy', '--force', '--keep', 'auth0,pool'], sb.env, a.cwd);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--keep: unknown stage auth0, pool\n\s+hint: use any of deploy, auth0-app/);
      assert.deepEqual(await requestLog(sb, since), []);
    },
  );

  await t.test("--force removes everything of iap-auth0's and nothing else", async () => {
    const r = await runCli(['destroy', '--force'], sb.env, a.cwd);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Google keeps deleted workforce pool and provider ids for 30 days/);
    const world = await inspect(sb);
    assert.deepEqual(leftovers(world), []);
    assert.deepEqual(
      world.iamPolicies[`iap:${resource}`].bindings.find((b: any) => b.role === 'roles/iap.httpsResourceAccessor')
        .members,
      [FOREIGN_MEMBER],
      'the other member stays',
    );
    assert.ok(
      world.auth0Clients.some((c: any) => c.client_id === lookalike.client_id),
      'the untagged app with our name stays',
    );
    assert.ok(
      world.services['415104041262']['iap.googleapis.com'] === 'ENABLED' &&
        world.serviceIdentities['415104041262/iap.googleapis.com'],
      'APIs and the IAP agent stay',
    );
    const doc = JSON.parse((await runCli(['status', '--json'], {}, a.cwd)).stdout);
    assert.deepEqual(
      doc.stages.map((s: any) => s.status),
      Array(7).fill('destroyed'),
    );
    assert.equal(doc.next, 'iap-auth0 init (to set up again)');
  });

  await t.test('a second destroy is a no-op: exit 0, no request', async () => {
    const since = await lastSeq();
    const r = await runCli(['destroy', '--force'], sb.env, a.cwd);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Nothing to destroy/);
    assert.deepEqual(await requestLog(sb, since), []);
  });

  await t.test('init after destroy undeletes the pool, provider and OAuth client and works again', async () => {
    const r = await runCli(['init', '--yes'], sb.env, a.cwd);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /undeleting workforce pool/);
    const v = await runCli(['destroy', '--force'], sb.env, a.cwd);
    assert.equal(v.code, 0, v.stderr);
  });

  await t.test(
    'an app someone else now claims stops destroy before any deletion; --keep leaves it and a stage alone',
    async () => {
      const b = await setUp('keepme');
      const appId = b.state.stages['auth0-app'].resources.clientId;
      await mgmt.clients.update(appId, { client_metadata: { managed_by: 'someone-else' } });
      const before = leftovers(await inspect(sb));
      const stopped = await runCli(['destroy', '--force'], sb.env, b.cwd);
      assert.equal(stopped.code, 2, stopped.stderr);
      assert.match(
        stopped.stderr,
        new RegExp(
          'nothing was deleted: the state file \\.iap-auth0/state\\.json does not match the cloud\\n\\s+- ' +
            `stages\\.auth0-app\\.resources\\.clientId names ${appId}`,
        ),
      );
      assert.match(stopped.stderr, /hint: .*--keep auth0-app/);
      assert.deepEqual(leftovers(await inspect(sb)), before, 'nothing was deleted');
      const r = await runCli(['destroy', '--force', '--keep', 'deploy,auth0-app', '--json'], sb.env, b.cwd);
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.ok, true);
      assert.equal(doc.stages.find((s: any) => s.id === 'auth0-app').kept, true);
      assert.equal(doc.stages.find((s: any) => s.id === 'deploy').kept, true);
      const world = await inspect(sb);
      assert.ok(world.auth0Clients.some((c: any) => c.client_id === appId));
      assert.ok(
        world.runServices.some((s: any) => s.name.endsWith('/services/keepme')),
        'the kept service is still there',
      );
      assert.deepEqual(
        leftovers(world).filter((l) => !/keepme/.test(l)),
        [],
        'everything else of this setup is gone',
      );
      const st = JSON.parse((await runCli(['status', '--json'], {}, b.cwd)).stdout);
      assert.equal(st.stages.find((s: any) => s.id === 'deploy').status, 'done');
      // Clean up the kept service for the next test's leftovers check (the claimed app stays someone else's).
      const again = await runCli(['destroy', '--force', '--keep', 'auth0-app'], sb.env, b.cwd);
      assert.equal(again.code, 0, again.stderr);
    },
  );

  await t.test('killed mid-way, destroy resumes and finishes; status says so in between', async () => {
    const c = await setUp('killme');
    const run = startCli(['destroy', '--force'], sb.env, c.cwd);
    await control(sb, '/kill-after', { count: 4, pid: run.child.pid });
    const killed = await run.done;
    assert.equal(killed.signal, 'SIGKILL', `expected the sandbox to kill it: ${killed.stderr}`);
    const mid = JSON.parse((await runCli(['status', '--json'], {}, c.cwd)).stdout);
    assert.ok(
      mid.stages.some((s: any) => s.status === 'destroying'),
      JSON.stringify(mid.stages.map((s: any) => s.status)),
    );
    assert.equal(mid.next, 'iap-auth0 destroy (resumes where it stopped)');
    // The lock of the killed process is stale: the re-run takes it over.
    const r = await runCli(['destroy', '--force'], sb.env, c.cwd);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(leftovers(await inspect(sb)), []);
  });
});
