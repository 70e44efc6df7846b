// 3-6: init against its critical path (and a strictly sequential run), request economy, verify
// against its slowest check, and the demo. Each run gets its own in-process sandbox; the CLI runs
// as a child process, as a user runs it.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startSandbox } from '../src/sandbox/index.js';
import { PROFILES } from '../src/sandbox/core/profile.js';
import { runVerify } from '../src/core/verify.js';
import { criticalPath } from './critical-path.js';
import { cli, median, log } from './lib.js';

const caDir = () => process.env.IAP_AUTH0_TEST_CA_DIR;
const INIT = ['init', '--yes', '--service', 'hello'];

async function initOnce(profile: 'fast' | 'realistic', extraEnv: Record<string, string> = {}) {
  const sb = await startSandbox({ profile, caDir: caDir() });
  try {
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-bench-'));
    const r = await cli(INIT, { cwd, env: { ...process.env, ...sb.env, ...extraEnv } });
    if (r.code !== 0) throw new Error(`init failed: ${r.stderr.slice(-500)}`);
    return {
      ms: r.ms,
      sb,
      cwd,
      requests: sb.world.requests.filter((x) => x.api !== 'frontdoor' && x.api !== 'signin'),
    };
  } catch (e) {
    await sb.stop();
    throw e;
  }
}

export async function initWallTime(runs = 3) {
  const bound = criticalPath(PROFILES.realistic);
  const par: number[] = [],
    seq: number[] = [];
  for (let i = 0; i < runs; i++) {
    log(`init on the realistic profile, run ${i + 1}/${runs} (concurrent, then sequential)`);
    const a = await initOnce('realistic');
    par.push(a.ms);
    await a.sb.stop();
    const b = await initOnce('realistic', { IAP_AUTH0_SEQUENTIAL: '1' });
    seq.push(b.ms);
    await b.sb.stop();
  }
  // Node's own start-up is part of what the user waits for, and so of the wall time.
  return {
    criticalPathMs: bound.totalMs,
    chains: bound.chains,
    path: bound.path,
    initMs: median(par),
    sequentialMs: median(seq),
    ratio: median(par) / bound.totalMs,
    sequentialRatio: median(seq) / bound.totalMs,
  };
}

/** The changes a clean init must make, one request each. */
export const EXPECTED_CHANGES = [
  'serviceusage POST batchEnable',
  'serviceusage POST generateServiceIdentity',
  'iam POST serviceAccounts',
  'run POST services',
  'run POST setIamPolicy',
  'auth0 POST clients',
  'iam POST workforcePools',
  'iam POST providers',
  'iam POST oauthClients',
  'iam PATCH oauthClients',
  'iam POST credentials',
  'iap PATCH iapSettings',
  'iap POST setIamPolicy',
];
const changeKey = (r: { api: string; method: string; path: string }) => {
  const last = r.path.split('/').pop()!;
  const verb = last.includes(':')
    ? last.split(':')[1]
    : (r.path
        .split('/')
        .slice(-2)
        .find((s) => /^[a-zA-Z]+s$/.test(s)) ?? last);
  return `${r.api} ${r.method} ${r.method === 'PATCH' && !last.includes(':') ? r.path.split('/').slice(-2)[0] : verb}`;
};

export async function requestEconomy(reruns = 5) {
  log('request economy on the fast profile');
  const a = await initOnce('fast');
  try {
    const mutating = a.requests.filter((r) => r.mutating);
    const perApi: Record<string, { reads: number; writes: number }> = {};
    for (const r of a.requests) {
      perApi[r.api] ??= { reads: 0, writes: 0 };
      const x = perApi[r.api];
      if (r.mutating) x.writes++;
      else x.reads++;
    }
    const keys = mutating.map(changeKey).sort();
    const redundant = keys.length - EXPECTED_CHANGES.length;
    const rerunMs: number[] = [];
    let rerunWrites = 0;
    for (let i = 0; i < reruns; i++) {
      const since = a.sb.world.requests.at(-1)!.seq;
      const r = await cli(['init', '--yes'], { cwd: a.cwd, env: { ...process.env, ...a.sb.env } });
      if (r.code !== 0) throw new Error(`re-run failed: ${r.stderr.slice(-300)}`);
      rerunMs.push(r.ms);
      rerunWrites += a.sb.world.requests.filter((x) => x.seq > since && x.mutating).length;
    }
    return {
      writes: mutating.length,
      expectedChanges: EXPECTED_CHANGES.length,
      redundantWrites: redundant,
      matches: JSON.stringify(keys) === JSON.stringify([...EXPECTED_CHANGES].sort()),
      writeList: keys,
      reads: a.requests.length - mutating.length,
      perApi,
      rerunMedianMs: median(rerunMs),
      rerunWrites,
    };
  } finally {
    await a.sb.stop();
  }
}

export async function verifyWallTime(runs = 5) {
  log('verify on the realistic profile');
  const a = await initOnce('realistic');
  try {
    // Skip the propagation wait: verify's own speed is measured here, not IAM's.
    a.sb.world.clock.advance(PROFILES.realistic.iamPropagationMs + 1000);
    const walls: number[] = [],
      slowest: number[] = [];
    let slowestName = '';
    for (let i = 0; i < runs; i++) {
      const r = await runVerify({
        env: { ...process.env, ...a.sb.env },
        statePath: path.join(a.cwd, '.iap-auth0', 'state.json'),
        waitMs: 0,
        emit: () => undefined,
        signal: new AbortController().signal,
      });
      if (!r.ok) throw new Error(`verify failed: ${JSON.stringify(r.checks.filter((c) => !c.ok))}`);
      walls.push(r.elapsedMs);
      const [name, ms] = Object.entries(r.timings).sort((x, y) => y[1] - x[1])[0];
      slowest.push(ms);
      slowestName = name;
    }
    return {
      verifyMs: median(walls),
      slowestCheckMs: median(slowest),
      slowestCheck: slowestName,
      ratio: median(walls) / median(slowest),
    };
  } finally {
    await a.sb.stop();
  }
}

export async function demoWallTime(runs = 3) {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    log(`demo, run ${i + 1}/${runs}`);
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-bench-demo-'));
    const r = await cli(['demo'], { cwd });
    if (r.code !== 0) throw new Error(`demo failed: ${r.stdout.slice(-500)}`);
    times.push(r.ms);
  }
  return { demoMs: median(times) };
}
