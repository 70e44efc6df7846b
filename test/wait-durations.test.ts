// Long waits say how long they have waited, as the deploy's does (issue 15, item 2): enabling the
// APIs, a workforce pool or provider operation, and the Auth0 Action's build and deploy each emit
// `waiting` events with the time since the wait began, which the progress line shows as "(N s so
// far)" (redrawn on a terminal, every 30 s elsewhere). Driven with fakes that answer "not done"
// twice, so each wait polls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CoreEvent } from '../src/core/events.js';
import { enableApis } from '../src/core/apis.js';
import { waitOp } from '../src/core/pool-claim.js';
import { deploy } from '../src/core/stages/auth0-action/api.js';
import { advance, progressLines, type Progress } from '../src/cli/progress.js';

/** A context with what these waits read: the events it emits, a state that records nothing. */
function fakeContext(google: unknown) {
  const events: CoreEvent[] = [];
  const ctx = {
    google,
    inputs: { projectNumber: '415104041262', pool: 'iap-hello', provider: 'auth0', setupId: 'abcd2345' },
    signal: new AbortController().signal,
    emit: (e: CoreEvent) => events.push(e),
    env: {},
    state: { recordOperation: async () => undefined, stage: () => ({ resources: {} }) },
  };
  return { ctx: ctx as never, events };
}

/** An operation that is done at the third read. */
const slowOperation = () => {
  let reads = 0;
  return async ({ name }: { name: string }) => ({ data: { name, done: ++reads >= 3 } });
};

const waits = (events: CoreEvent[]) =>
  events.filter((e): e is Extract<CoreEvent, { type: 'waiting' }> => e.type === 'waiting');

/** Every wait has a text, a stage, and a time since it began that never goes back. */
function assertTimed(events: CoreEvent[], stage: string, text: RegExp): void {
  const w = waits(events);
  assert.ok(w.length >= 2, `waiting events: ${JSON.stringify(events)}`);
  for (const e of w) {
    assert.equal(e.stage, stage);
    assert.match(e.text, text);
    assert.equal(typeof e.elapsedMs, 'number');
  }
  // Within one wait (one text) the time only grows; a new wait starts again from its own beginning.
  for (const t of new Set(w.map((e) => e.text))) {
    const one = w.filter((e) => e.text === t);
    assert.ok(
      one.every((e, i) => i === 0 || e.elapsedMs >= one[i - 1].elapsedMs),
      t,
    );
  }
}

test('enabling the APIs says how long it has waited', async () => {
  const { ctx, events } = fakeContext({
    serviceusage: {
      services: { batchEnable: async () => ({ data: { name: 'operations/enable-1', done: false } }) },
      operations: { get: slowOperation() },
    },
  });
  await enableApis(ctx, ['run.googleapis.com', 'iap.googleapis.com']);
  assertTimed(events, 'deploy', /^Google is enabling run\.googleapis\.com, iap\.googleapis\.com$/);
  // As a person sees it: the step, then how long so far.
  const p: Progress = new Map();
  for (const e of events) advance(p, e, 0);
  const last = waits(events).at(-1)!;
  assert.deepEqual(progressLines(p, 4_000 - last.elapsedMs), [
    {
      mark: '…',
      text: 'Cloud Run service: Google is enabling run.googleapis.com, iap.googleapis.com (4 s so far)',
    },
  ]);
});

test('a workforce pool or provider operation says how long it has waited', async () => {
  for (const kind of ['pool', 'provider'] as const) {
    const get = slowOperation();
    const { ctx, events } = fakeContext({
      iam: { locations: { workforcePools: { operations: { get }, providers: { operations: { get } } } } },
    });
    await waitOp(ctx, kind, { name: `locations/global/workforcePools/iap-hello/operations/${kind}-1`, done: false });
    assertTimed(
      events,
      'workforce-pool',
      new RegExp(`^Google is finishing the change to workforce ${kind} ${kind === 'pool' ? 'iap-hello' : 'auth0'}$`),
    );
  }
});

test("the Auth0 Action's build and deploy say how long they have waited", async () => {
  let reads = 0;
  // Built at the third read; deployed (its code live) three reads after the deploy.
  let deployedAt = Infinity;
  const mgmt = {
    actions: {
      get: async () => {
        reads++;
        return {
          id: 'act_1',
          status: reads >= 3 ? 'built' : 'pending',
          deployed_version: reads >= deployedAt + 3 ? { code: 'CODE' } : undefined,
        };
      },
      deploy: async () => {
        deployedAt = reads;
        return {};
      },
    },
  };
  const { ctx, events } = fakeContext({});
  await deploy(ctx, mgmt as never, 'act_1', 'CODE');
  const texts = [...new Set(waits(events).map((e) => e.text))];
  assert.deepEqual(texts, ['Auth0 is building the Action act_1', 'Auth0 is deploying the Action act_1']);
  assertTimed(events, 'auth0-action', /^Auth0 is (building|deploying) the Action act_1$/);
});
