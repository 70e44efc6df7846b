// Pure pieces of the sandbox: fault specs, the policy store (etags, propagation), operations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFaultSpec, FaultInjector } from '../src/sandbox/core/faults.js';
import { PolicyStore } from '../src/sandbox/core/policies.js';
import { Operations } from '../src/sandbox/core/operations.js';
import { Clock, parseDuration } from '../src/sandbox/core/clock.js';
import { type GoogleError, invalid } from '../src/sandbox/core/errors.js';
import { until } from './helpers/wait.js';

test('fault specs: all, per API, codes, and clear errors', () => {
  assert.deepEqual(parseFaultSpec('iam=0.5:503').iam, { rate: 0.5, code: 503 });
  const all = parseFaultSpec('all=0.3');
  assert.equal(Object.keys(all).length, 7); // the six the CLI calls and the Org Policy API
  assert.equal(all.auth0?.rate, 0.3);
  assert.throws(() => parseFaultSpec('iam=1.5'), /fraction/);
  assert.throws(() => parseFaultSpec('dns=0.1'), /unknown API "dns"/);
  assert.throws(() => parseFaultSpec('iam'), /API=RATE/);
});

test('fault injection is reproducible from the seed and close to the rate', () => {
  const draw = (seed: number) => {
    const f = new FaultInjector(parseFaultSpec('run=0.3'), seed);
    return Array.from({ length: 2000 }, () => f.draw('run') ?? 0);
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
  const failed = draw(7).filter(Boolean).length / 2000;
  assert.ok(failed > 0.25 && failed < 0.35, `failure share ${failed}`);
  assert.ok(draw(7).includes(429) && draw(7).includes(503));
  assert.equal(new FaultInjector({}, 1).draw('iam'), undefined);
});

test('policy store: ACAB etag, stale etag is ABORTED, members validated, propagation delay', async () => {
  const clock = new Clock();
  const store = new PolicyStore(clock);
  const r = 'iap:projects/1/iap_web';
  assert.deepEqual(store.get(r), { version: 1, etag: 'ACAB' });
  const member = 'principalSet://iam.googleapis.com/locations/global/workforcePools/my-pool/*';
  const p1 = store.set(r, { etag: 'ACAB', bindings: [{ role: 'roles/iap.httpsResourceAccessor', members: [member] }] });
  assert.notEqual(p1.etag, 'ACAB');
  assert.throws(
    () => store.set(r, { etag: 'ACAB', bindings: [] }),
    (e: GoogleError) => e.status === 'ABORTED' && e.httpStatus === 409,
  );
  assert.throws(() => store.set(r, { bindings: [{ role: 'roles/x', members: ['bogus'] }] }), /Invalid member: bogus/);
  assert.throws(
    () => store.set(r, { bindings: [{ role: 'roles/x', members: ['allUsers'] }] }, { rejectPublic: true }),
    /allUsers/,
  );
  // Visible to the data path only once the delay has passed.
  assert.deepEqual(store.membersWithRole(r, 'roles/iap.httpsResourceAccessor', 10_000), []);
  assert.deepEqual(store.membersWithRole(r, 'roles/iap.httpsResourceAccessor', 0), [member]);
  clock.advance(10_001);
  assert.deepEqual(store.membersWithRole(r, 'roles/iap.httpsResourceAccessor', 10_000), [member]);
});

test('operations finish on schedule, once, with the error of a failed completion', async () => {
  const ops = new Operations(new Clock());
  let runs = 0;
  const ok = ops.start({
    name: 'operations/a',
    api: 'run',
    durationMs: 20,
    complete: () => {
      runs++;
      return { response: { x: 1 } };
    },
  });
  const bad = ops.start({
    name: 'operations/b',
    api: 'run',
    durationMs: 0,
    complete: () => {
      throw invalid('nope');
    },
  });
  assert.deepEqual(Operations.toJSON(ok), { name: 'operations/a' });
  assert.deepEqual(Operations.toJSON(bad), {
    name: 'operations/b',
    done: true,
    error: { code: 3, message: 'nope', details: [] },
  });
  await until(() => ops.get('operations/a')!.done, 'operations/a to finish on its timer');
  assert.deepEqual(Operations.toJSON(ops.get('operations/a')!), {
    name: 'operations/a',
    done: true,
    response: { x: 1 },
  });
  assert.equal(runs, 1);
  ops.stop();
});

test("moving the sandbox clock past an operation's end completes it at once, not only its timer", () => {
  const clock = new Clock();
  const ops = new Operations(clock);
  let runs = 0;
  ops.start({
    name: 'operations/long',
    api: 'run',
    durationMs: 3_600_000,
    complete: () => {
      runs++;
      return { response: { y: 2 } };
    },
  });
  assert.equal(ops.get('operations/long')!.done, false);
  clock.advance(3_599_000);
  assert.equal(ops.list()[0].done, false, 'not before its end');
  clock.advance(1_000);
  assert.deepEqual(Operations.toJSON(ops.get('operations/long')!), {
    name: 'operations/long',
    done: true,
    response: { y: 2 },
  });
  ops.list();
  assert.equal(runs, 1, 'completed once');
  ops.stop();
});

test('durations', () => {
  assert.equal(parseDuration('31d'), 31 * 86_400_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.throws(() => parseDuration('soon'), /invalid duration/);
});
