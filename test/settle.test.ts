// The wait for a resource this run just created (src/core/settle.ts), without any network: a fake
// clock that each sleep moves forward. It retries only the "not settled yet" answer, only when the
// caller says this run created the resource, never past the bound, polls at most a second apart,
// says what it waits for; and the error classifiers match Google's answers and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SETTLE_LIMIT_MS,
  accountUnsettled,
  agentUnsettled,
  notFoundYet,
  pollDelay,
  readAfterConflict,
  untilSettled,
  type Settling,
} from '../src/core/settle.js';
import type { CoreEvent } from '../src/core/events.js';

/** A Google error as the generated clients throw it. */
const gerr = (code: number, message: string, status = '') =>
  Object.assign(new Error(message), { response: { status: code, data: { error: { code, message, status } } } });
const ACT_AS = (sa: string) =>
  gerr(
    403,
    `Permission 'iam.serviceaccounts.actAs' denied on service account ${sa} (or it may not exist).`,
    'PERMISSION_DENIED',
  );
const SA = 'iap-hello@p.iam.gserviceaccount.com';

function harness(start = 1_000_000) {
  let t = start;
  const events: CoreEvent[] = [];
  const sleeps: number[] = [];
  return {
    events,
    sleeps,
    now: () => t,
    ctx: { emit: (e: CoreEvent) => events.push(e), signal: new AbortController().signal },
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

/** The settling of a resource created at `since`, on the harness's clock. */
const settling = (h: ReturnType<typeof harness>, over: Partial<Settling> & Pick<Settling, 'since' | 'unsettled'>) => ({
  stage: 'deploy' as const,
  what: 'the new service account',
  now: h.now,
  sleep: h.sleep,
  ...over,
});

// Each case has its own clock: they share nothing, so each is a test of its own.
test('settle: retries until usable, says what it waits for, and says when it is done', async () => {
  const h = harness();
  let calls = 0;
  const usableAt = h.now() + 3_200;
  const r = await untilSettled(h.ctx, settling(h, { since: h.now(), unsettled: accountUnsettled(SA) }), async () => {
    calls++;
    if (h.now() < usableAt) throw ACT_AS(SA);
    return 'created';
  });
  assert.equal(r, 'created');
  assert.ok(calls > 1);
  // Noticed within one poll of becoming usable: the last pause ended at most 250 ms after.
  assert.ok(h.now() - usableAt < 250 + 1, `noticed ${h.now() - usableAt} ms late`);
  const steps = h.events.filter((e) => e.type === 'step').map((e) => (e as { text: string }).text);
  assert.match(steps[0], /^waiting for the new service account to be usable/);
  assert.match(steps[1], /^the new service account is usable \(waited 3 s\)/);
  const waits = h.events.filter((e) => e.type === 'waiting') as Extract<CoreEvent, { type: 'waiting' }>[];
  assert.equal(waits.length, calls - 1);
  assert.ok(waits.every((w) => w.stage === 'deploy' && w.text === 'waiting for the new service account to be usable'));
  assert.ok(waits[waits.length - 1].elapsedMs >= 3_000);
});

test('settle: not created by this run: one attempt, the failure is real', async () => {
  const h = harness();
  let calls = 0;
  await assert.rejects(
    untilSettled(h.ctx, settling(h, { since: undefined, unsettled: accountUnsettled(SA) }), async () => {
      calls++;
      throw ACT_AS(SA);
    }),
    /actAs/,
  );
  assert.equal(calls, 1);
  assert.deepEqual(h.sleeps, []);
  assert.deepEqual(h.events, []);
});

test('settle: any other answer is not waited for', async () => {
  const h = harness();
  let calls = 0;
  await assert.rejects(
    untilSettled(h.ctx, settling(h, { since: h.now(), unsettled: accountUnsettled(SA) }), async () => {
      calls++;
      throw gerr(400, 'Invalid image reference', 'INVALID_ARGUMENT');
    }),
    /Invalid image/,
  );
  assert.equal(calls, 1);
});

test('settle: bounded: after the limit the last answer is the failure, and no pause runs past it', async () => {
  const h = harness();
  const since = h.now();
  let calls = 0;
  const oauth = settling(h, { stage: 'oauth-client', what: 'the new OAuth client', since, unsettled: notFoundYet });
  await assert.rejects(
    untilSettled(h.ctx, oauth, async () => {
      calls++;
      throw gerr(404, 'Requested entity was not found.', 'NOT_FOUND');
    }),
    /not found/,
  );
  assert.equal(h.now() - since, SETTLE_LIMIT_MS, 'gave up exactly at the bound');
  assert.equal(SETTLE_LIMIT_MS, 120_000);
  assert.ok(
    h.sleeps.every((ms) => ms > 0 && ms <= 1_000),
    'polls at most a second apart',
  );
  // 20 polls in the first 5 s, 30 in the next 15 s, then one a second: a bounded number of calls.
  assert.equal(calls, 20 + 30 + 100 + 1);
});

test('settle: the window counts from the create, not from the first failure', async () => {
  const h = harness();
  const since = h.now() - (SETTLE_LIMIT_MS - 500); // created almost two minutes ago
  let calls = 0;
  await assert.rejects(
    untilSettled(h.ctx, settling(h, { what: 'the new IAP service agent', since, unsettled: () => true }), async () => {
      calls++;
      throw new Error('nope');
    }),
  );
  assert.equal(calls, 2);
  assert.deepEqual(h.sleeps, [500]);
});

test('settle: an abort during the pause stops the wait', async () => {
  const ac = new AbortController();
  const ctx = { emit: () => undefined, signal: ac.signal };
  const p = untilSettled(ctx, { stage: 'deploy', what: 'x', since: Date.now(), unsettled: () => true }, async () => {
    throw new Error('not yet');
  });
  setImmediate(() => ac.abort(new Error('interrupted')));
  await assert.rejects(p, /interrupted/);
});

test('settle: poll schedule and classifiers', () => {
  assert.equal(pollDelay(0), 250);
  assert.equal(pollDelay(4_999), 250);
  assert.equal(pollDelay(5_000), 500);
  assert.equal(pollDelay(20_000), 1_000);
  assert.equal(pollDelay(119_000), 1_000);

  const other = 'other@p.iam.gserviceaccount.com';
  assert.equal(accountUnsettled(SA)(ACT_AS(SA)), true);
  assert.equal(accountUnsettled(SA)(ACT_AS(SA.toUpperCase())), true, 'Google may change the case');
  assert.equal(accountUnsettled(SA)(gerr(404, `Service account ${SA} not found.`)), true);
  assert.equal(accountUnsettled(SA)(ACT_AS(other)), false, 'another account is a real failure');
  assert.equal(
    accountUnsettled(SA)(
      gerr(403, "Permission 'run.services.create' denied on resource 'projects/p' (or it may not exist)."),
    ),
    false,
  );
  assert.equal(accountUnsettled(SA)(gerr(409, `Resource ${SA} already exists`)), false);
  assert.equal(accountUnsettled(SA)(new Error(SA)), false, 'not a Google answer');

  const agent = 'service-415104041262@gcp-sa-iap.iam.gserviceaccount.com';
  assert.equal(agentUnsettled(agent)(gerr(400, `Service account ${agent} does not exist.`, 'INVALID_ARGUMENT')), true);
  assert.equal(agentUnsettled(agent)(gerr(400, `Service account ${other} does not exist.`, 'INVALID_ARGUMENT')), false);
  assert.equal(
    agentUnsettled(agent)(
      gerr(400, 'One or more users named in the policy do not belong to a permitted customer.', 'FAILED_PRECONDITION'),
    ),
    false,
  );

  assert.equal(notFoundYet(gerr(404, 'Requested entity was not found.')), true);
  assert.equal(notFoundYet(gerr(403, 'denied')), false);
});

test('settle: a read after a 409 waits only when the resource is too new to read', async () => {
  const ctx = { emit: () => undefined, signal: new AbortController().signal };
  let n = 0;
  const fresh = await readAfterConflict(ctx, 'oauth-client', 'the new OAuth client', async () => {
    if (n++ < 2) throw gerr(404, 'Requested entity was not found.');
    return 'client';
  });
  assert.equal(fresh.value, 'client');
  assert.equal(typeof fresh.since, 'number', 'it was new: the calls that follow wait for it too');
  const old = await readAfterConflict(ctx, 'oauth-client', 'the new OAuth client', async () => 'client');
  assert.equal(old.since, undefined, 'readable at once: it was not new');
});
