// Notice latency (issue 12): how long after a wait resolves the tool goes on. Three kinds of wait,
// each timed from the moment the sandbox makes the awaited thing true (it knows: the operation's
// end, the end of a new resource's consistency window, the moment IAM and IAP changes reach the
// sign-in path) to the first request of the tool's that sees it:
//   operation  a long-running operation finishing (a deploy, an API enablement, a pool) → the
//              operations.get that reads done:true
//   settling   a new service account, service agent or OAuth client becoming usable → the first
//              success of the request that was failing while it settled
//   propagation  the last IAM/IAP change of init reaching the sign-in path → the first sign-in
//              probe of `verify --wait` after that
// Both ends are read from the sandbox's own request log and world, on its clock, so the figure
// holds whatever the machine's speed. Each run varies the propagation delay so the probes meet the
// ready moment at different points of verify's backoff.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startSandbox } from '../src/sandbox/index.js';
import type { RequestRecord, World } from '../src/sandbox/world.js';
import { cli, log, median } from './lib.js';

export interface NoticeSample {
  kind: 'operation' | 'settling' | 'propagation';
  what: string;
  ms: number;
}

const ok = (r: RequestRecord) => r.status > 0 && r.status < 400;

/** Each operation the tool polled: the first operations.get at or after its end, less the end. */
function operationSamples(world: World): NoticeSample[] {
  const out: NoticeSample[] = [];
  for (const op of world.operations.list()) {
    const id = op.name.split('/').pop()!;
    const polls = world.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${id}`) && ok(r));
    const seen = polls.find((r) => r.at >= op.doneAt);
    // Polled while still running: the tool was waiting on it (an operation done on its first answer is no wait).
    if (seen && polls.some((r) => r.at < op.doneAt))
      out.push({
        kind: 'operation',
        what: `${op.api} ${op.name.includes('/services/') || op.api === 'run' ? 'deploy' : 'operation'}`,
        ms: seen.at - op.doneAt,
      });
  }
  return out;
}

/**
 * Each resource with a consistency window that made a request of the tool's fail: the first success
 * of that same request after the window ends, less the end.
 */
function settlingSamples(world: World): NoticeSample[] {
  // Which failing requests each window explains (the answers settle.ts waits out): Cloud Run
  // refusing to run as the new account, a policy naming the new agent, the new client's 404.
  interface Window {
    what: string;
    from: number;
    usableAt: number;
    explains: (r: RequestRecord) => boolean;
  }
  const windows: Window[] = [];
  const c = world.profile.consistencyMs;
  for (const sa of world.serviceAccounts.values()) {
    windows.push({
      what: 'new service account',
      from: sa.createdAt,
      usableAt: sa.createdAt + c.serviceAccount,
      explains: (r) =>
        (r.api === 'run' &&
          ['POST', 'PATCH'].includes(r.method) &&
          /\/services(\/[^/:]+)?$/.test(r.path) &&
          r.status === 403) ||
        (r.api === 'iam' && r.path.includes(sa.email)),
    });
  }
  for (const at of world.serviceIdentityTimes.values()) {
    windows.push({
      what: 'new service agent',
      from: at,
      usableAt: at + c.serviceAgent,
      explains: (r) => r.path.endsWith(':setIamPolicy') && r.status === 400,
    });
  }
  for (const cl of world.oauthClients.values()) {
    windows.push({
      what: 'new OAuth client',
      from: cl.createdAt,
      usableAt: cl.createdAt + c.oauthClient,
      explains: (r) => r.path.endsWith(`/oauthClients/${cl.oauthClientId}`) && r.status === 404,
    });
  }
  const out: NoticeSample[] = [];
  for (const w of windows) {
    const failed = world.requests.filter((r) => r.at >= w.from && r.at < w.usableAt && w.explains(r));
    for (const key of new Set(failed.map((r) => `${r.method} ${r.path}`))) {
      const success = world.requests.find((r) => `${r.method} ${r.path}` === key && r.at >= w.usableAt && ok(r));
      if (success) out.push({ kind: 'settling', what: w.what, ms: success.at - w.usableAt });
    }
  }
  return out;
}

/** When the last IAM or IAP change of init reaches the sign-in path, on the sandbox clock. */
function propagatedAt(world: World): number {
  const changes = world.requests.filter(
    (r) => r.mutating && ok(r) && (r.api === 'iap' || (r.api === 'run' && r.path.endsWith(':setIamPolicy'))),
  );
  return Math.max(...changes.map((r) => r.at)) + world.profile.iamPropagationMs;
}

export async function noticeLatency(propagationsMs = [2_500, 4_000, 5_500, 7_000, 9_000]) {
  const samples: NoticeSample[] = [];
  for (const [i, propagationMs] of propagationsMs.entries()) {
    log(
      `notice latency, run ${i + 1}/${propagationsMs.length}: init, then verify --wait on the realistic ` +
        `profile (propagation ${propagationMs} ms)`,
    );
    const sb = await startSandbox({ profile: 'realistic', propagationMs, caDir: process.env.IAP_AUTH0_TEST_CA_DIR });
    try {
      const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-bench-notice-'));
      const env = { ...process.env, ...sb.env };
      const init = await cli(['init', '--yes', '--service', 'hello'], { cwd, env });
      if (init.code !== 0) throw new Error(`init failed: ${init.stderr.slice(-500)}`);
      const ready = propagatedAt(sb.world);
      const verify = await cli(['verify', '--wait', '2m'], { cwd, env });
      if (verify.code !== 0) throw new Error(`verify --wait failed: ${verify.stderr.slice(-500)}`);
      const probe = sb.world.requests.find((r) => r.api === 'frontdoor' && r.at >= ready);
      if (!probe) throw new Error('verify made no sign-in probe after the changes propagated');
      // Verify must have been waiting (a probe before the moment), else the run measures nothing.
      if (sb.world.requests.some((r) => r.api === 'frontdoor' && r.at < ready))
        samples.push({ kind: 'propagation', what: 'IAM/IAP changes reach sign-in', ms: probe.at - ready });
      samples.push(...operationSamples(sb.world), ...settlingSamples(sb.world));
    } finally {
      await sb.stop();
    }
  }
  const by = (kind: NoticeSample['kind']) => samples.filter((s) => s.kind === kind).map((s) => s.ms);
  const summary = (xs: number[]) => ({
    n: xs.length,
    medianMs: xs.length ? median(xs) : NaN,
    maxMs: xs.length ? Math.max(...xs) : NaN,
  });
  return {
    operation: summary(by('operation')),
    settling: summary(by('settling')),
    propagation: summary(by('propagation')),
    all: summary(samples.map((s) => s.ms)),
    samples,
  };
}
