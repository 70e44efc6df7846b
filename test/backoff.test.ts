// The one backoff/poll helper (src/core/backoff.ts): the pauses it makes (by count or by the time
// waited), when it stops, that a budget is kept, and retryWhile over it. Time is a fake clock the
// injected pause moves: nothing here waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cadencePause, delays, pollUntil, retryWhile } from '../src/core/backoff.js';
import { ENABLING_CADENCE, ENABLING_LIMIT_MS } from '../src/core/google-call.js';

const take = (it: Iterator<number>, n: number) => Array.from({ length: n }, () => it.next().value);

test('pauses grow by the factor, rounded, up to the cap', () => {
  assert.deepEqual(
    take(delays({ firstMs: 100, factor: 1.5, maxMs: 1000 }), 8),
    [100, 150, 225, 338, 507, 761, 1000, 1000],
  );
  assert.deepEqual(take(delays({ firstMs: 100, factor: 2, maxMs: 2000 }), 7), [100, 200, 400, 800, 1600, 2000, 2000]);
  assert.deepEqual(take(delays({ firstMs: 500, factor: 1.5, maxMs: 2000 }), 5), [500, 750, 1125, 1688, 2000]);
});

/** A clock that only the pauses move; `reads` answers are handed out in turn. */
function world<T>(answers: T[]) {
  let t = 0,
    reads = 0;
  const paused: number[] = [];
  return {
    paused,
    reads: () => reads,
    read: async () => answers[Math.min(reads++, answers.length - 1)],
    now: () => t,
    sleep: async (ms: number) => {
      paused.push(ms);
      t += ms;
    },
  };
}

test('reads at once, then after each pause, until done; says what it waits for before each pause', async () => {
  const w = world([1, 2, 3, 4]);
  const waits: [number, number, number][] = [];
  const r = await pollUntil(w.read, (n) => n === 3, {
    backoff: { firstMs: 100, factor: 2, maxMs: 1000 },
    now: w.now,
    sleep: w.sleep,
    onWait: (v, elapsed, next) => waits.push([v, elapsed, next]),
  });
  assert.deepEqual(r, { value: 3, done: true, waitedMs: 300 });
  assert.deepEqual(w.paused, [100, 200]);
  assert.deepEqual(waits, [
    [1, 0, 100],
    [2, 100, 200],
  ]);
});

test('an answer already done ends at once; `first` skips the first read', async () => {
  const w = world([true]);
  assert.deepEqual(
    await pollUntil(w.read, (d) => d, {
      backoff: { firstMs: 100, factor: 2, maxMs: 1000 },
      now: w.now,
      sleep: w.sleep,
    }),
    { value: true, done: true, waitedMs: 0 },
  );
  assert.equal(w.reads(), 1);
  const w2 = world([true]);
  const r = await pollUntil(w2.read, (d) => d, {
    backoff: { firstMs: 100, factor: 2, maxMs: 1000 },
    now: w2.now,
    sleep: w2.sleep,
    first: { value: false },
  });
  assert.deepEqual(r, { value: true, done: true, waitedMs: 100 });
  assert.equal(w2.reads(), 1, 'one read after the pause, none before');
});

test(
  'the budget is kept: the last pause is cut to what ' + 'is left, then the last answer is returned, not done',
  async () => {
    const w = world([false]);
    const r = await pollUntil(w.read, (d) => d, {
      backoff: { firstMs: 400, factor: 2, maxMs: 1000 },
      budgetMs: 1000,
      now: w.now,
      sleep: w.sleep,
      first: { value: false },
    });
    assert.deepEqual(r, { value: false, done: false, waitedMs: 1000 });
    assert.deepEqual(w.paused, [400, 600]);
    const none = world([false]);
    assert.deepEqual(
      await pollUntil(none.read, (d) => d, {
        backoff: { firstMs: 400, factor: 2, maxMs: 1000 },
        budgetMs: 0,
        now: none.now,
        sleep: none.sleep,
        first: { value: false },
      }),
      { value: false, done: false, waitedMs: 0 },
    );
    assert.deepEqual(none.paused, [], 'a budget of 0 checks once and never pauses');
  },
);

test('an aborted signal ends the wait with its reason', async () => {
  const ac = new AbortController();
  ac.abort(new Error('interrupted'));
  await assert.rejects(
    pollUntil(
      async () => false,
      (d) => d,
      { backoff: { firstMs: 50, factor: 2, maxMs: 100 }, signal: ac.signal },
    ),
    /interrupted/,
  );
});

test('a cadence: the pause set by the time waited so far, plus the jitter asked for', () => {
  const c = {
    steps: [
      { beforeMs: 5_000, pauseMs: 250 },
      { beforeMs: 20_000, pauseMs: 500 },
    ],
    thenMs: 1_000,
  };
  assert.deepEqual(
    [0, 4_999, 5_000, 19_999, 20_000, 119_000].map((ms) => cadencePause(c, ms)),
    [250, 250, 500, 500, 1_000, 1_000],
  );
  const jittered = { ...c, jitterMs: 100 };
  assert.equal(
    cadencePause(jittered, 0, () => 0),
    250,
  );
  assert.equal(
    cadencePause(jittered, 0, () => 0.999),
    350,
  );
  assert.equal(
    cadencePause(jittered, 30_000, () => 0.5),
    1_050,
  );
});

test('a cadence counts from `since`; the budget too, the last pause cut to it', async () => {
  const w = world([false]);
  const c = { steps: [{ beforeMs: 1_000, pauseMs: 300 }], thenMs: 700 };
  const r = await pollUntil(w.read, (d) => d, {
    backoff: c,
    since: -800, // the wait began 800 ms before this call
    budgetMs: 2_000,
    now: w.now,
    sleep: w.sleep,
  });
  assert.deepEqual(r, { value: false, done: false, waitedMs: 2_000 });
  // Waited 800 ms: 300 (to 1 100), then 700 (to 1 800), then the 200 left of the budget.
  assert.deepEqual(w.paused, [300, 700, 200]);
});

/** An attempt that fails with `errors` in turn, then answers 'ok'. */
function failing(errors: Error[]) {
  let n = 0;
  return {
    calls: () => n,
    attempt: async () => {
      if (n < errors.length) throw errors[n++];
      n++;
      return 'ok';
    },
  };
}

test('retryWhile: retries what `retryable` accepts, given the time waited; says so before each pause', async () => {
  const w = world([]);
  const busy = new Error('busy');
  const f = failing([busy, busy, busy]);
  const asked: number[] = [];
  const retries: [string, number, number][] = [];
  const r = await retryWhile(f.attempt, {
    backoff: { firstMs: 100, factor: 2, maxMs: 1000 },
    retryable: (e, elapsed) => {
      asked.push(elapsed);
      return e === busy;
    },
    onRetry: (e, elapsed, next) => retries.push([(e as Error).message, elapsed, next]),
    now: w.now,
    sleep: w.sleep,
  });
  assert.equal(r, 'ok');
  assert.equal(f.calls(), 4);
  assert.deepEqual(asked, [0, 100, 300]);
  assert.deepEqual(retries, [
    ['busy', 0, 100],
    ['busy', 100, 200],
    ['busy', 300, 400],
  ]);
});

test('retryWhile: any other failure is thrown at once; a refused one, or the last in the budget, too', async () => {
  const w = world([]);
  const other = failing([new Error('denied')]);
  const quick = { backoff: { firstMs: 100, factor: 2, maxMs: 1000 }, now: w.now, sleep: w.sleep };
  await assert.rejects(retryWhile(other.attempt, { ...quick, retryable: (e) => (e as Error).message === 'busy' }), {
    message: 'denied',
  });
  assert.equal(other.calls(), 1);
  assert.deepEqual(w.paused, []);

  const late = failing(Array.from({ length: 10 }, (_, i) => new Error(`busy ${i}`)));
  await assert.rejects(retryWhile(late.attempt, { ...quick, budgetMs: 250, retryable: () => true }), {
    message: 'busy 2',
  });
  assert.deepEqual(w.paused, [100, 150], 'the last pause cut to the budget');

  // A limit in `retryable` instead of a budget: a pause that starts within it runs in full.
  const w2 = world([]);
  const limited = failing(Array.from({ length: 10 }, (_, i) => new Error(`busy ${i}`)));
  await assert.rejects(
    retryWhile(limited.attempt, {
      backoff: { firstMs: 100, factor: 2, maxMs: 1000 },
      retryable: (_e, elapsed) => elapsed <= 150,
      now: w2.now,
      sleep: w2.sleep,
    }),
    { message: 'busy 2' },
  );
  assert.deepEqual(w2.paused, [100, 200], 'the pause that began at 100 ms ran past the 150 ms limit');
});

test('the cadence of an API being enabled (google-call.ts)', () => {
  const none = () => 0;
  assert.deepEqual(
    [0, 4_999, 5_000, 29_999, 30_000, 119_000].map((ms) => cadencePause(ENABLING_CADENCE, ms, none)),
    [150, 150, 1_000, 1_000, 2_000, 2_000],
  );
  assert.equal(
    cadencePause(ENABLING_CADENCE, 0, () => 0.999),
    250,
    'up to 100 ms of jitter',
  );
  assert.equal(ENABLING_LIMIT_MS, 120_000);
});
