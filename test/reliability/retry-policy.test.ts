// The retry policy every call shares (issue 5, part 2): bounded, exponential backoff with full
// jitter under a cap, a server's Retry-After or x-ratelimit-reset as a floor, and no retry at all
// for what is not transient.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withRetry } from '../../src/core/retry.js';

const gErr = (status: number, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`HTTP ${status}`), {
    response: {
      status,
      data: { error: { code: status, status: status === 429 ? 'RESOURCE_EXHAUSTED' : 'UNAVAILABLE', message: 'x' } },
      headers,
    },
  });

test('backoff: full jitter under an exponential, capped ceiling; bounded attempts', async () => {
  const rolls = [0.9, 0.1, 0.5, 1, 0.99, 0.7];
  const delays: number[] = [];
  let calls = 0;
  await assert.rejects(
    withRetry(
      async () => {
        calls++;
        throw gErr(503);
      },
      {
        attempts: 6,
        baseMs: 100,
        maxMs: 1000,
        random: () => rolls[delays.length] ?? 0,
        onRetry: (_e, _a, d) => delays.push(d),
        signal: undefined,
      },
    ).catch((e) => {
      throw e;
    }),
    /HTTP 503/,
  );
  assert.equal(calls, 6, 'exactly `attempts` tries');
  // ceilings 100, 200, 400, 800, 1000 (capped); delay = roll × ceiling
  assert.deepEqual(delays, [90, 20, 200, 800, 990]);
});

test('a server hint is a floor: Retry-After on Google, x-ratelimit-reset on Auth0', async () => {
  const delays: number[] = [];
  let calls = 0;
  // Real waits here are the hinted 1 s; keep it to one retry each.
  await withRetry(
    async () => {
      if (calls++ === 0) throw gErr(429, { 'retry-after': '1' });
      return 'ok';
    },
    { baseMs: 1, random: () => 0, onRetry: (_e, _a, d) => delays.push(d) },
  );
  const auth0 = Object.assign(new Error('Too Many Requests'), {
    statusCode: 429,
    rawResponse: { headers: new Headers({ 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 1) }) },
  });
  calls = 0;
  await withRetry(
    async () => {
      if (calls++ === 0) throw auth0;
      return 'ok';
    },
    { baseMs: 1, random: () => 0, retryable: () => true, onRetry: (_e, _a, d) => delays.push(d) },
  );
  assert.equal(delays[0], 1000);
  assert.ok(delays[1] > 0 && delays[1] <= 2000, `waited until the reset (${delays[1]} ms)`);
});

test('not transient: no retry (a 400, a 409 conflict, a 403)', async () => {
  for (const status of [400, 403, 409]) {
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          throw gErr(status);
        },
        { baseMs: 1 },
      ),
    );
    assert.equal(calls, 1, `HTTP ${status} is not retried`);
  }
});

test('an IAM write whose answer was lost: the retry finds the member and still counts it as ours', async () => {
  const { addMembers } = await import('../../src/core/iam-policy.js');
  let policy = {
    etag: 'e1',
    bindings: [{ role: 'roles/x', members: ['user:theirs@example.com'] }] as { role: string; members: string[] }[],
  };
  let lose = true;
  const access = {
    get: async () => structuredClone(policy),
    set: async (p: typeof policy) => {
      if (p.etag !== policy.etag) throw gErr(409);
      policy = { ...structuredClone(p), etag: `${policy.etag}+` };
      if (lose) {
        lose = false;
        throw gErr(503);
      } // landed, but the answer never came
      return policy;
    },
  };
  const added = await addMembers(access as never, 'roles/x', ['user:theirs@example.com', 'user:ours@example.com']);
  assert.deepEqual(added, ['user:ours@example.com'], 'ours counts as added (so destroy removes it); theirs does not');
  assert.deepEqual(policy.bindings[0].members, ['user:theirs@example.com', 'user:ours@example.com'], 'written once');
});
