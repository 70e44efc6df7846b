// `iap-auth0 verify` against the sandbox, as a user runs it. The sandbox's IAP/IAM propagation is
// set to a minute and completed by moving its clock, so "still propagating" and --wait are
// deterministic. Each drift verify knows (test/helpers/drifts.ts, shared with plan-equals-writes)
// is made behind iap-auth0's back with Google's clients and the Auth0 SDK (as another admin
// would), must fail its own check with exit 3, and init must repair it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useSandbox, control, requestLog } from './helpers/sandbox.js';
import { runCli, startCli } from './helpers/cli.js';
import { DURATION, until } from './helpers/wait.js';
import { DRIFTS, driftTools } from './helpers/drifts.js';

/** A request of the sign-in probe (verify's check that waits for propagation). */
const probeRequest = (r: { api: string }) => r.api === 'frontdoor';

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
test('verify', async (t) => {
  const sb = await useSandbox({ propagationMs: 60_000 });
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-verify-'));
  const verify = async (...args: string[]) => {
    const r = await runCli(['verify', '--json', ...args], sb.env, cwd);
    return {
      ...r,
      doc: JSON.parse(r.stdout) as {
        ok: boolean;
        waitedMs: number;
        checks: { id: string; stage: string; ok: boolean; status: string; detail: string; hint?: string }[];
      },
    };
  };
  const init = await runCli(['init', '--yes', '--service', 'hello'], sb.env, cwd);
  assert.equal(init.code, 0, init.stderr);

  await t.test('usage: no state file, a bad --wait, missing Auth0 credentials: exit 2, no request', async () => {
    const since = (await requestLog(sb)).at(-1)?.seq ?? 0;
    const empty = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-verify-empty-'));
    const none = await runCli(['verify'], sb.env, empty);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no state file at \.iap-auth0\/state\.json.*\n.*iap-auth0 init first/);
    const bad = await runCli(['verify', '--wait', 'soon'], sb.env, cwd);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--wait.*use a number with ms, s, m, h or d/);
    const noCreds = await runCli(['verify'], { ...sb.env, AUTH0_CLIENT_SECRET: '' }, cwd);
    assert.equal(noCreds.code, 2);
    assert.match(noCreds.stderr, /AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET must be set/);
    assert.deepEqual(await requestLog(sb, since), []);
  });

  await t.test(
    'right after init: every configuration check passes, the sign-in probe is still propagating, exit 3',
    async () => {
      const r = await verify();
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.doc.ok, false);
      const notOk = r.doc.checks.filter((c) => c.status !== 'ok');
      assert.deepEqual(
        notOk.map((c) => [c.id, c.status]),
        [['signin-probe', 'propagating']],
      );
      assert.match(notOk[0].detail, /Google sign-in \(accounts\.google\.com\)/);
      assert.match(notOk[0].hint!, /verify --wait/);
      assert.ok(r.doc.checks.length >= 14, 'one check per resource and rule');
      for (const c of r.doc.checks)
        assert.deepEqual(
          Object.keys(c).filter((k) => !['id', 'stage', 'ok', 'status', 'detail', 'hint'].includes(k)),
          [],
        );
    },
  );

  await t.test(
    '--wait keeps checking until propagation completes, then passes and reports the time it waited',
    async () => {
      const run = startCli(['verify', '--wait', '60s'], sb.env, cwd);
      // Once verify says it is waiting (not after a guessed sleep), and has checked again a few
      // times, propagation completes.
      let seen = '';
      run.child.stderr!.on('data', (d) => (seen += d));
      await until(() => /propagating: .*\(waited /.test(seen), 'verify to say it waits');
      const since = (await requestLog(sb)).at(-1)?.seq ?? 0;
      await until(
        async () => (await requestLog(sb, since)).filter(probeRequest).length >= 4,
        'verify to check again four times',
      );
      await control(sb, '/clock', { advance: '61s' });
      const r = await run.done;
      assert.equal(r.code, 0, r.stderr);
      // Through a pipe: the wait is said once (then once every 30 s), not once per check.
      const waits = r.stderr.split('\n').filter((l) => /propagating: .*\(waited /.test(l));
      assert.equal(waits.length, 1, r.stderr);
      assert.match(
        waits[0],
        new RegExp(
          `^… propagating: Sign-in probe \\(waited ${DURATION} of 1 min; ` +
            '(next check in \\d s|checking again now)\\)$',
        ),
      );
      assert.match(
        r.stderr,
        /✓ Sign-in probe\s+unauthenticated GET → Google workforce sign-in → Auth0 \/authorize → Auth0 login page/,
      );
      assert.match(r.stderr, new RegExp(`All \\d+ checks passed \\(waited ${DURATION} for propagation\\)`));
      const again = await verify();
      assert.equal(again.code, 0, JSON.stringify(again.doc.checks.filter((c) => !c.ok)));
      assert.equal(again.doc.ok, true);
    },
  );

  const tools = await driftTools(sb, cwd);
  for (const d of DRIFTS) {
    const v = d.verify;
    await t.test(`drift: ${d.name} fails check ${v.check} with exit 3; init repairs it`, async () => {
      await d.cause(tools);
      const r = await verify();
      assert.equal(r.code, 3, r.stderr);
      const c = r.doc.checks.find((x) => x.id === v.check)!;
      assert.equal(c.status, 'failed', JSON.stringify(c));
      assert.match(c.detail, v.detail);
      assert.ok(c.hint && c.hint.length > 10, 'a hint says what to do');
      if (v.probe) {
        const p = r.doc.checks.find((x) => x.id === 'signin-probe')!;
        assert.equal(p.status, 'failed');
        assert.match(p.detail, v.probe);
      }
      const human = await runCli(['verify'], sb.env, cwd);
      assert.equal(human.code, 3);
      assert.match(human.stderr, new RegExp(`✗ .*${v.detail.source}`));
      assert.match(human.stderr, /hint: /);
      const repair = await runCli(['init', '--yes'], sb.env, cwd);
      assert.equal(repair.code, 0, repair.stderr);
      const after = await verify();
      assert.equal(after.code, 0, JSON.stringify(after.doc.checks.filter((x) => !x.ok)));
    });
  }
});
