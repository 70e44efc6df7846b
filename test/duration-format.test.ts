// The elapsed times the CLI prints, and the pattern tests use to accept any of them: a test that
// expects "3.2 s" fails the day a loaded machine makes the same run take 12 s or 70 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration } from '../src/lib/duration.js';
import { DURATION } from './helpers/wait.js';

test('formatDuration: tenths under 10 s, whole seconds under a minute, then minutes', () => {
  assert.equal(formatDuration(3_240), '3.2 s');
  assert.equal(formatDuration(42_400), '42 s');
  assert.equal(formatDuration(65_000), '1 min 05 s');
  assert.equal(formatDuration(3_600_000), '60 min 00 s');
});

test("the tests' DURATION pattern accepts every form formatDuration prints, and nothing else", () => {
  const whole = new RegExp(`^${DURATION}$`);
  for (const ms of [0, 40, 999, 9_949, 9_950, 10_000, 59_499, 59_500, 60_000, 61_000, 599_000, 3_600_000, 36_000_000]) {
    assert.match(formatDuration(ms), whole, `${ms} ms`);
  }
  for (const bad of ['3.25 s', '3 sec', '1 min 5 s', '1m05s', 's']) assert.doesNotMatch(bad, whole, bad);
});
