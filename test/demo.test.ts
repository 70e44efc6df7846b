// `iap-auth0 demo`, the README's first command: the whole story on its own in-process sandbox.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_STEPS, demoSteps } from './helpers/demo.js';
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from './helpers/cli.js';
import { DURATION } from './helpers/wait.js';

test(
  'demo: init, verify (waiting for propagation), a ' + 'real sign-in, status, destroy, nothing left; exit 0',
  async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-demo-cwd-'));
    const r = await runCli(['demo'], {}, cwd);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(demoSteps(r.stdout), DEMO_STEPS);
    // Any length the demo may take on a loaded machine (3.2 s, 42 s, 1 min 05 s).
    assert.match(r.stdout, new RegExp(`│ … propagating: Sign-in probe \\(waited ${DURATION} of 2 min; [^)]*\\)$`, 'm'));
    assert.match(r.stdout, /│ All \d+ checks passed \(waited/);
    assert.match(r.stdout, /signed in as alice@sandbox\.example; the app verified IAP's assertion/);
    assert.match(r.stdout, /"iss": "https:\/\/cloud\.google\.com\/iap"/);
    assert.match(r.stdout, /"aud": "\/projects\/415104041262\/locations\/europe-west1\/services\/hello"/);
    assert.match(r.stdout, /│ Next: iap-auth0 verify/);
    assert.match(r.stdout, /│ Done\. Everything iap-auth0 created is gone\./);
    assert.match(r.stdout, new RegExp(`Demo finished in ${DURATION}\\.`));
    assert.ok(!r.stdout.includes('GOCSPX-'), 'no OAuth credential secret is shown');
    assert.deepEqual(await readdir(cwd), [], 'the demo works in a temporary folder of its own');
  },
);
