// The core's machinery: retries (bounded, jittered, honouring server hints, never on
// non-retryable errors), the stage runner (concurrency and dependency failure), and IAM
// read-modify-write against the sandbox's real etag behaviour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withRetry, serverDelayMs } from '../src/core/retry.js';
import { runStages, DependencyFailed, type Stage, type StageContext } from '../src/core/stage.js';
import { StateHandle } from '../src/core/state-handle.js';
import { STAGES, REVERSE_STAGES, STAGE_TITLES, dependenciesOf, type OutputName } from '../src/core/stage-graph.js';
import { addMembers, removeMembers, membersOf } from '../src/core/iam-policy.js';
import { STATE_VERSION } from '../src/state/schema.js';
import { useSandbox, clientsFor, control } from './helpers/sandbox.js';

const gErr = (status: number, gstatus: string, headers: Record<string, string> = {}) =>
  Object.assign(new Error(gstatus), {
    response: { status, data: { error: { code: status, status: gstatus, message: gstatus } }, headers },
  });

test('withRetry: retries transient errors up to the bound, not others', async () => {
  let calls = 0;
  const delays: number[] = [];
  await assert.rejects(
    withRetry(
      async () => {
        calls++;
        throw gErr(503, 'UNAVAILABLE');
      },
      { attempts: 4, baseMs: 1, onRetry: (_e, _a, d) => delays.push(d) },
    ),
    /UNAVAILABLE/,
  );
  assert.equal(calls, 4);
  assert.equal(delays.length, 3);
  calls = 0;
  await assert.rejects(
    withRetry(
      async () => {
        calls++;
        throw gErr(400, 'INVALID_ARGUMENT');
      },
      { attempts: 4, baseMs: 1 },
    ),
    /INVALID_ARGUMENT/,
  );
  assert.equal(calls, 1, 'a 400 is not retried');
  calls = 0;
  assert.equal(
    await withRetry(
      async () => {
        if (++calls < 3) throw gErr(429, 'RESOURCE_EXHAUSTED');
        return 'ok';
      },
      { baseMs: 1 },
    ),
    'ok',
  );
});

test('server hints: Retry-After seconds, x-ratelimit-reset epoch, capped at 60 s', () => {
  assert.equal(serverDelayMs(gErr(429, 'RESOURCE_EXHAUSTED', { 'retry-after': '2' })), 2000);
  const now = 1_700_000_000_000;
  const auth0 = { rawResponse: { headers: new Headers({ 'x-ratelimit-reset': String(now / 1000 + 3) }) } };
  assert.equal(serverDelayMs(auth0, now), 3000);
  assert.equal(serverDelayMs({ rawResponse: { headers: new Headers({ 'retry-after': '3600' }) } }), 60_000);
  assert.equal(serverDelayMs(new Error('x')), undefined);
});

const memoryState = () =>
  new StateHandle(
    '/nonexistent/state.json',
    {
      version: STATE_VERSION,
      tool: 'iap-auth0',
      createdAt: '',
      updatedAt: '',
      stages: {},
      inputs: {
        project: 'p',
        region: 'r',
        service: 's',
        image: 'i',
        auth0Domain: 'd',
        pool: 'p',
        provider: 'p',
        oauthClient: 'o',
        allow: [],
        scope: 'service',
      },
    },
    false,
  );

test('runStages: independent stages overlap; a failed dependency stops only its dependants', async () => {
  const log: string[] = [];
  // deploy and auth0-app each wait until the other has started, so they end only if they overlap.
  // A runner that ran them one after the other would leave the first waiting: it gives up after a
  // generous deadline (no hang), ends first, and the order assertion below fails.
  let started = 0;
  let bothStarted!: () => void;
  const overlap = new Promise<void>((r) => (bothStarted = r));
  const begin = async (name: string) => {
    log.push(name);
    if (++started === 2) bothStarted();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([overlap, new Promise((r) => (timer = setTimeout(r, 30_000)))]);
    clearTimeout(timer);
  };
  const stage = (id: Stage['id'], body: (ctx: StageContext) => Promise<string>): Stage => ({
    id,
    read: async () => () => ({ stage: id, changes: [], prospects: {}, apply: body }),
    verify: async () => [],
    owned: () => [],
    destroy: async () => '',
  });
  const events: any[] = [];
  const ctx: any = { state: memoryState(), emit: (e: any) => events.push(e), signal: new AbortController().signal };
  const results = await runStages(
    [
      stage('deploy', async (c) => {
        await begin('deploy-start');
        log.push('deploy-end');
        c.provide('service', { name: 's' });
        return 'd';
      }),
      stage('auth0-app', async () => {
        await begin('auth0-start');
        throw new Error('auth0 down');
      }),
      stage('workforce-pool', async (c) => {
        await c.need('auth0Client');
        return 'never';
      }),
      // Access needs the service (and the pool, which never comes): it waits only where it asks.
      stage('access', async (c) => {
        await c.need('service');
        log.push('access-after-deploy');
        return 'a';
      }),
    ],
    ctx,
  );
  // Both started before either ended: they overlapped (run one after the other, deploy-end would
  // come second). Order, not elapsed time, so a loaded machine cannot fail it.
  assert.deepEqual(log.slice(0, 2).sort(), ['auth0-start', 'deploy-start']);
  assert.ok(log.indexOf('access-after-deploy') > log.indexOf('deploy-end'));
  const by = Object.fromEntries(results.map((r) => [r.id, r]));
  assert.equal(by.deploy.ok, true);
  assert.equal(by['auth0-app'].ok, false);
  assert.ok(by['workforce-pool'].error instanceof DependencyFailed);
  // The failed stage and the one it stopped are told apart: the latter names the stage it waited for.
  const stopped = events.filter((e) => e.type === 'stage-failed');
  assert.deepEqual(
    stopped.map((e) => [e.stage, e.blockedBy]),
    [
      ['auth0-app', undefined],
      ['workforce-pool', 'auth0-app'],
    ],
  );
  assert.equal(by.access.ok, true);
  assert.equal(ctx.state.stage('auth0-app').status, 'failed');
  assert.equal(ctx.state.stage('deploy').status, 'done');
});

test('IAM read-modify-write keeps other members and survives a concurrent edit', async () => {
  const sb = await useSandbox();
  const c = clientsFor(sb);
  const resource = 'projects/415104041262/iap_web';
  const { data: op } = await c.serviceusage.services.enable({
    name: 'projects/sandbox-project/services/iap.googleapis.com',
  });
  while (!(await c.serviceusage.operations.get({ name: op.name! })).data.done)
    await new Promise((r) => setTimeout(r, 10));
  await control(sb, '/iam-policy', {
    resource: `iap:${resource}`,
    policy: { bindings: [{ role: 'roles/iap.httpsResourceAccessor', members: ['user:other@sandbox.example'] }] },
  });
  const pool = 'principalSet://iam.googleapis.com/locations/global/workforcePools/iap-hello-pool/*';
  let sets = 0;
  const access = {
    get: async () =>
      (await c.iap.getIamPolicy({ resource, requestBody: { options: { requestedPolicyVersion: 3 } } })).data,
    set: async (policy: any) => {
      // The first write races another client's edit: its etag is then stale.
      if (sets++ === 0)
        await control(sb, '/iam-policy', {
          resource: `iap:${resource}`,
          policy: {
            bindings: [
              {
                role: 'roles/iap.httpsResourceAccessor',
                members: ['user:other@sandbox.example', 'user:racer@sandbox.example'],
              },
            ],
          },
        });
      return (await c.iap.setIamPolicy({ resource, requestBody: { policy } })).data;
    },
  };
  assert.deepEqual(await addMembers(access, 'roles/iap.httpsResourceAccessor', [pool]), [pool]);
  assert.equal(sets, 2, 'the stale write was retried as a whole');
  const members = membersOf(await access.get(), 'roles/iap.httpsResourceAccessor').sort();
  assert.deepEqual(members, [pool, 'user:other@sandbox.example', 'user:racer@sandbox.example'].sort());
  assert.deepEqual(await addMembers(access, 'roles/iap.httpsResourceAccessor', [pool]), [], 'already there: no write');
  assert.deepEqual(await removeMembers(access, 'roles/iap.httpsResourceAccessor', [pool]), [pool]);
  assert.deepEqual(membersOf(await access.get(), 'roles/iap.httpsResourceAccessor').sort(), [
    'user:other@sandbox.example',
    'user:racer@sandbox.example',
  ]);
});

test('stage order: one topological order of the declared needs; destroy runs it backwards', () => {
  // Every stage comes after the stages whose outputs it needs, and destroy removes dependants first.
  for (const id of STAGES)
    for (const dep of dependenciesOf(id)) assert.ok(STAGES.indexOf(dep) < STAGES.indexOf(id), `${dep} before ${id}`);
  assert.deepEqual([...REVERSE_STAGES], [...STAGES].reverse());
  assert.deepEqual(Object.keys(STAGE_TITLES).sort(), [...STAGES].sort());
});

test(
  'runStages, sequential mode: one stage after the ' + 'other in dependency order, each getting what it needs',
  async () => {
    const log: string[] = [];
    const needs: Record<string, OutputName[]> = {
      'auth0-app': ['service'],
      'workforce-pool': ['auth0Client'],
      access: ['service', 'pool'],
    };
    const stage = (id: Stage['id'], provide: (c: StageContext) => void): Stage => ({
      id,
      verify: async () => [],
      owned: () => [],
      destroy: async () => '',
      read: async () => () => ({
        stage: id,
        changes: [],
        prospects: {},
        apply: async (c) => {
          for (const n of needs[id] ?? []) await c.need(n);
          log.push(id);
          provide(c);
          return id;
        },
      }),
    });
    const ctx: any = {
      state: memoryState(),
      emit: () => undefined,
      signal: new AbortController().signal,
      env: { IAP_AUTH0_SEQUENTIAL: '1' },
    };
    // Given in the reverse order: the runner orders them from the declarations.
    const results = await runStages(
      [
        stage('access', () => undefined),
        stage('workforce-pool', (c) => c.provide('pool', { pool: 'p', ours: true })),
        stage('auth0-app', (c) => c.provide('auth0Client', { clientId: 'c', secret: async () => 's' })),
        stage('deploy', (c) => c.provide('service', { name: 's' })),
      ],
      ctx,
    );
    assert.deepEqual(log, ['deploy', 'auth0-app', 'workforce-pool', 'access']);
    assert.ok(results.every((r) => r.ok));
  },
);
