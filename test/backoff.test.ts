// The one backoff/poll helper (src/core/backoff.ts): the pauses it makes, when it stops, and that
// a budget is kept. Time is a fake clock the injected pause moves: nothing here waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { delays, pollUntil } from '../src/core/backoff.js';

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
