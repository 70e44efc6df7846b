// Progress a person can read (issue 15, item 2): one line per stage with its own state, cut to the
// terminal's width so a redraw in place never wraps; long waits say for how long; an interrupted
// stage says what it was doing, not that it failed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advance, progressLines, truncate, waitLine, type Progress } from '../src/cli/progress.js';

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

test("a wait that is no stage's (verify --wait): what, how long so far (of how long), the next check", () => {
  const w = { label: 'propagating', pending: ['Sign-in probe'], startedAt: 1_000, nextAt: 14_000 };
  assert.equal(
    waitLine({ ...w, budgetMs: 600_000 }, 12_400),
    'propagating: Sign-in probe (waited 11 s of 10 min; next check in 2 s)',
  );
  // Past a minute in minutes; a check due now says so; no budget, no "of".
  assert.equal(
    waitLine({ ...w, pending: ['IAP settings', 'Sign-in probe'], nextAt: 421_500 }, 421_000),
    'propagating: IAP settings, Sign-in probe (waited 7 min 00 s; checking again now)',
  );
  assert.equal(
    waitLine({ ...w, budgetMs: 90_000 }, 1_000),
    'propagating: Sign-in probe (waited 0 s of 1 min 30 s; next check in 13 s)',
  );
  // Cut to a width, the list gives way and the times stay; too narrow for both, the line is cut.
  const long = { ...w, pending: ['IAP settings', 'Access binding', 'Sign-in probe'], budgetMs: 600_000 };
  const cut = waitLine(long, 66_000, 78);
  assert.equal([...cut].length, 78);
  assert.match(cut, /^propagating: IAP settings, .*… \(waited 1 min 05 s of 10 min; checking again now\)$/);
  assert.equal(waitLine(long, 66_000, 20), 'propagating: IAP se…');
});

test("a stage stopped by another's failure is not drawn as failed: its own mark, and what it waited for", () => {
  const p: Progress = new Map();
  advance(p, { type: 'stage-start', stage: 'deploy' }, 0);
  advance(p, { type: 'stage-failed', stage: 'deploy', error: 'quota exceeded' }, 0);
  // Never started its own work: waited for the Auth0 app from the start.
  advance(p, { type: 'stage-start', stage: 'workforce-pool' }, 0);
  advance(p, { type: 'stage-waiting', stage: 'workforce-pool', for: 'auth0-app' }, 0);
  // Did part of its work (a step), then waited for the service.
  advance(p, { type: 'stage-start', stage: 'auth0-app' }, 0);
  advance(p, { type: 'step', stage: 'auth0-app', text: 'creating the Auth0 application' }, 0);
  advance(p, { type: 'stage-waiting', stage: 'auth0-app', for: 'deploy' }, 0);
  const blocked = (stage: 'auth0-app' | 'workforce-pool', by: 'deploy' | 'auth0-app', title: string) =>
    advance(p, { type: 'stage-failed', stage, error: `waiting for ${title}, which failed`, blockedBy: by }, 0);
  blocked('auth0-app', 'deploy', 'Cloud Run service');
  blocked('workforce-pool', 'auth0-app', 'Auth0 application');
  assert.deepEqual(progressLines(p, 0), [
    { mark: '✗', text: 'Cloud Run service: quota exceeded' },
    { mark: '○', text: 'Auth0 application: not finished: waiting for Cloud Run service, which failed' },
    { mark: '○', text: 'Workforce pool and provider: not started: waiting for Auth0 application, which failed' },
  ]);
});

test("init's run: a stage blocked by another's failure is said as blocked, on a terminal and off it", async () => {
  const { createRenderer } = await import('../src/cli/render.js');
  const out: string[] = [];
  const stream = { isTTY: false, write: (s: string) => out.push(s) > 0 } as unknown as NodeJS.WriteStream;
  const ui = await createRenderer({ quiet: false, stream, env: {} });
  ui.event({ type: 'stage-start', stage: 'access' });
  ui.event({ type: 'stage-waiting', stage: 'access', for: 'deploy' });
  ui.event({
    type: 'stage-failed',
    stage: 'access',
    error: 'waiting for Cloud Run service, which failed',
    blockedBy: 'deploy',
  });
  assert.deepEqual(out, [
    '  Access: waiting for Cloud Run service\n',
    '○ Access: not started: waiting for Cloud Run service, which failed\n',
  ]);
});
