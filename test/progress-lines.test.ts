// Progress a person can read (issue 15, item 2): one line per stage with its own state, cut to the
// terminal's width so a redraw in place never wraps; long waits say for how long; an interrupted
// stage says what it was doing, not that it failed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advance, progressLines, truncate, type Progress } from '../src/cli/progress.js';

test('each stage keeps its own state, in stage order', () => {
  const p: Progress = new Map();
  advance(p, { type: 'stage-start', stage: 'access' }, 0);
  advance(p, { type: 'stage-waiting', stage: 'access', for: 'deploy' }, 0);
  advance(p, { type: 'stage-start', stage: 'deploy' }, 0);
  advance(p, { type: 'step', stage: 'deploy', text: 'deploying hello' }, 0);
  advance(p, { type: 'waiting', stage: 'deploy', text: 'Cloud Run is deploying', elapsedMs: 2_000 }, 10_000);
  advance(p, { type: 'stage-start', stage: 'oauth-client' }, 0);
  advance(p, { type: 'stage-done', stage: 'oauth-client', summary: 'OAuth client x' }, 0);
  advance(p, { type: 'stage-start', stage: 'auth0-app' }, 0);
  advance(p, { type: 'stage-failed', stage: 'auth0-app', error: 'quota' }, 0);
  assert.deepEqual(progressLines(p, 14_500), [
    { mark: '…', text: 'Cloud Run service: Cloud Run is deploying (6 s so far)' },
    { mark: '✗', text: 'Auth0 application: quota' },
    { mark: '✓', text: 'IAP OAuth client: OAuth client x' },
    { mark: '·', text: 'Access: waiting for Cloud Run service' },
  ]);
});

test('an interrupted stage says what it was doing, with its own mark', () => {
  const p: Progress = new Map();
  advance(p, { type: 'stage-failed', stage: 'deploy', error: 'interrupted', interrupted: true, during: 'x y' }, 0);
  advance(p, { type: 'stage-failed', stage: 'access', error: 'interrupted', interrupted: true }, 0);
  assert.deepEqual(progressLines(p, 0), [
    { mark: '-', text: 'Cloud Run service: interrupted while x y' },
    { mark: '-', text: 'Access: interrupted' },
  ]);
});

test('lines are cut to the width (mark and space included) and never wrap; a minute reads as minutes', () => {
  const p: Progress = new Map();
  advance(p, { type: 'waiting', stage: 'deploy', text: 'Cloud Run is deploying', elapsedMs: 75_000 }, 75_000);
  assert.equal(progressLines(p, 75_000)[0].text, 'Cloud Run service: Cloud Run is deploying (1 min 15 s so far)');
  const cut = progressLines(p, 75_000, 30)[0].text;
  assert.equal(cut, 'Cloud Run service: Cloud Ru…');
  assert.equal([...cut].length + 2, 30);
  assert.equal(truncate('short', 80), 'short');
});
