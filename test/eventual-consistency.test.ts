// Eventual consistency after a create, end to end. With the sandbox's windows on, `init` waits for
// the service account, OAuth client and IAP agent it just created, says so, and completes; each
// wait ends once the resource is usable (here: when the test moves the sandbox clock, so nothing
// depends on wall time). A resource this run did not create gets no such patience: an actAs 403
// on a service account that was already there is reported at once, with its hint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useSandbox, control, requestLog, clientsFor, waitOperation } from './helpers/sandbox.js';
import { runCli, startCli } from './helpers/cli.js';
import { makeContext, runOk } from './helpers/core-context.js';
import { assertNoSecretLeaked } from './helpers/secrets.js';
import { deployStage } from '../src/core/stages/deploy.js';
import { oauthClientStage } from '../src/core/stages/oauth-client.js';
import type { CoreEvent } from '../src/core/events.js';

const tmp = () => mkdtemp(path.join(os.tmpdir(), 'iap-auth0-ec-'));

/** Resolves once `events` holds an event `pred` accepts (checked as events arrive, not on a timer). */
function whenEvent(events: CoreEvent[], pred: (e: CoreEvent) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const push = events.push.bind(events);
    if (events.some(pred)) return resolve();
    events.push = (...items: CoreEvent[]) => {
      const n = push(...items);
      if (items.some(pred)) resolve();
      return n;
    };
  });
}
const waitingFor = (what: string) => (e: CoreEvent) =>
  e.type === 'waiting' && e.text === `waiting for ${what} to be usable`;
const steps = (events: CoreEvent[]) => events.filter((e) => e.type === 'step').map((e) => (e as { text: string }).text);

test('the deploy stage waits for the service account and the IAP agent it just created', async (t) => {
  // Windows of an hour: each wait ends only when the test moves the sandbox clock past it.
  await t.test('the new service account', async () => {
    const sb = await useSandbox({ consistencyMs: { serviceAccount: 3_600_000 } });
    const c = await makeContext(sb);
    const run = runOk(c, [deployStage]);
    await whenEvent(c.events, waitingFor('the new service account'));
    assert.equal(sb.world.runServices.size, 0, 'no service while the account is not usable');
    await control(sb, '/clock', { advance: '61m' });
    await run;
    assert.equal(sb.world.runServices.size, 1);
    assert.ok(steps(c.events).some((s) => /^waiting for the new service account to be usable/.test(s)));
    assert.ok(steps(c.events).some((s) => /^the new service account is usable \(waited \d+ s\)$/.test(s)));
  });

  await t.test('the new IAP service agent', async () => {
    const sb = await useSandbox({ consistencyMs: { serviceAgent: 3_600_000 } });
    const c = await makeContext(sb);
    const run = runOk(c, [deployStage]);
    await whenEvent(c.events, waitingFor('the new IAP service agent'));
    const key = 'run:projects/415104041262/locations/europe-west1/services/hello';
    assert.equal(sb.world.policies.get(key).bindings, undefined, 'not granted yet');
    await control(sb, '/clock', { advance: '61m' });
    await run;
    assert.deepEqual(sb.world.policies.get(key).bindings, [
      {
        role: 'roles/run.invoker',
        members: ['serviceAccount:service-415104041262@gcp-sa-iap.iam.gserviceaccount.com'],
      },
    ]);
  });

  await t.test('the new OAuth client: its redirect URI and credential once it reads back', async () => {
    const sb = await useSandbox({ consistencyMs: { oauthClient: 3_600_000 } });
    const c = await makeContext(sb);
    const run = runOk(c, [oauthClientStage]);
    await whenEvent(c.events, waitingFor('the new OAuth client'));
    assert.equal(sb.world.credentials.size, 0);
    await control(sb, '/clock', { advance: '61m' });
    await run;
    const client = [...sb.world.oauthClients.values()][0];
    assert.deepEqual(client.allowedRedirectUris, [
      `https://iap.googleapis.com/v1/oauth/clientIds/${client.clientId}:handleRedirect`,
    ]);
    assert.equal(sb.world.credentials.size, 1);
  });
});

test('init with the delays on completes and says what it waited for', async () => {
  // Every window at an hour of the sandbox clock: init waits until the test moves the clock, so what
  // it prints does not depend on how fast this machine runs it.
  const sb = await useSandbox({ consistencyMs: 3_600_000 });
  const cwd = await tmp();
  const run = startCli(['init', '--yes', '--service', 'settle'], sb.env, cwd);
  await run.stderrHas(/Cloud Run service: waiting for the new service account to be usable/);
  await run.stderrHas(/IAP OAuth client: waiting for the new OAuth client to be usable/);
  // The IAP agent was generated before the account was created, so this one move ends its window too.
  await control(sb, '/clock', { advance: '61m' });
  const r = await run.done;
  assert.equal(r.code, 0, `${r.signal} ${r.stderr}`);
  assert.match(r.stderr, /the new service account is usable \(waited \d+ s\)/);
  // Each answer it waited out was one of the settling answers, never a failure it hid.
  const log = await requestLog(sb);
  const creates = log.filter((q) => q.method === 'POST' && /\/services$/.test(q.path.split('?')[0]) && q.api === 'run');
  assert.ok(creates.length > 1 && creates.slice(0, -1).every((q) => q.status === 403) && creates.at(-1).status === 200);
  // The credential is unreadable for its own window: verify runs once it has settled.
  await control(sb, '/clock', { advance: '61m' });
  const v = await runCli(['verify', '--wait', '1m'], sb.env, cwd);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  await assertNoSecretLeaked(sb, [r.stdout, r.stderr, v.stdout, v.stderr], [cwd]);
});

test('a real actAs 403 (an account that was already there) is reported at once, with its hint', async () => {
  const sb = await useSandbox();
  const cwd = await tmp();
  assert.equal((await runCli(['init', '--yes', '--service', 'actas'], sb.env, cwd)).code, 0);
  // The service goes; its runtime account stays. Re-deploying it needs actAs, which this token lacks.
  const c = clientsFor(sb);
  const { data: op } = await c.run.projects.locations.services.delete({
    name: 'projects/sandbox-project/locations/us-central1/services/actas',
  });
  await waitOperation(() => c.run.projects.locations.operations.get({ name: op.name! }));
  const { token } = await control(sb, '/tokens', {
    principal: 'user:developer@sandbox.example',
    deny: ['iam.serviceaccounts.actAs'],
  });
  const since = (await requestLog(sb)).at(-1).seq;
  const r = await runCli(
    ['init', '--json', '--service', 'actas'],
    { ...sb.env, CLOUDSDK_AUTH_ACCESS_TOKEN: token },
    cwd,
  );
  assert.equal(r.code, 1);
  const deploy = JSON.parse(r.stdout).stages.find((s: any) => s.id === 'deploy');
  assert.equal(deploy.code, 'GOOGLE_PERMISSION_DENIED');
  assert.match(
    deploy.error,
    new RegExp(
      /missing permission iam\.serviceAccounts\.actAs on service account /.source +
        /iap-actas-[a-z0-9-]+@sandbox-project\.iam\.gserviceaccount\.com/.source,
    ),
  );
  assert.match(
    deploy.hint,
    new RegExp(
      /gcloud iam service-accounts add-iam-policy-binding \S+ --project sandbox-project /.source +
        /--member=user:YOU@EXAMPLE\.COM --role=roles\/iam\.serviceAccountUser/.source,
    ),
  );
  const creates = (await requestLog(sb, since)).filter(
    (q) => q.api === 'run' && q.method === 'POST' && /\/services$/.test(q.path),
  );
  assert.equal(creates.length, 1, 'tried once: the account is not new, so its 403 is not waited out');
});
