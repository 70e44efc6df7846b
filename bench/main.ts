// The benchmark suite (issue 7): install footprint, start-up, init against its critical path,
// request economy, verify against its slowest check, how soon a resolved wait is noticed, the
// demo. Medians of repeated runs, ratios to a baseline measured in the same run. Prints a table
// and writes bench/results.json.
// `node dist/bench/run.js startup init` runs only the named parts; results.json keeps the other parts' last figures.
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { footprint } from './footprint.js';
import { startup } from './startup.js';
import { initWallTime, requestEconomy, verifyWallTime, demoWallTime } from './flows.js';
import { noticeLatency } from './notice.js';
import { ROOT, round, table } from './lib.js';

const only = process.argv.slice(2);
const want = (name: string) => only.length === 0 || only.includes(name);
const results: Record<string, unknown> = {
  machine: {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    memoryGb: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  },
  date: new Date().toISOString(),
};
const rows: (string | number)[][] = [['benchmark', 'measured', 'baseline', 'ratio', 'goal', 'met']];
const row = (name: string, measured: string, baseline: string, ratio: string, goal: string, met: boolean) =>
  rows.push([name, measured, baseline, ratio, goal, met ? 'yes' : 'NO']);

if (want('footprint')) {
  const f = await footprint();
  results.footprint = f;
  row(
    'install size (npm pack, --omit=dev)',
    `${round(f.installedMb, 1)} MB, ${f.packages} packages`,
    `monolith: ${round(f.monolithMb, 1)} MB`,
    '',
    '≤ 80 MB',
    f.installedMb <= 80,
  );
  row(
    'identity package install size (iap-auth0-identity)',
    `${f.identity.installedKb} KB, ${f.identity.packages} packages`,
    `tarball: ${f.identity.tarballKb} KB`,
    '',
    '< 1 MB, jose only',
    f.identity.installedKb < 1024 && f.identity.names.join() === 'iap-auth0-identity,jose',
  );
}
if (want('startup')) {
  const s = await startup();
  results.startup = s;
  const base = s[0].medianMs;
  for (const x of s.slice(1))
    row(
      `start-up: ${x.name}`,
      `${round(x.medianMs)} ms`,
      `node -e 0: ${round(base)} ms`,
      `${round(x.ratio, 2)}×`,
      '≤ 2.0×',
      x.ratio <= 2,
    );
}
if (want('init')) {
  const i = await initWallTime();
  results.init = i;
  row(
    'init wall time (realistic)',
    `${round(i.initMs)} ms`,
    `critical path: ${i.criticalPathMs} ms`,
    `${round(i.ratio, 2)}×`,
    '≤ 1.15×',
    i.ratio <= 1.15,
  );
  row(
    'init, strictly sequential (contrast)',
    `${round(i.sequentialMs)} ms`,
    `critical path: ${i.criticalPathMs} ms`,
    `${round(i.sequentialRatio, 2)}×`,
    '',
    true,
  );
}
if (want('requests')) {
  const r = await requestEconomy();
  results.requests = r;
  row(
    'init: writes = changes (fast)',
    `${r.writes} writes`,
    `${r.expectedChanges} changes`,
    r.matches ? 'equal' : 'differ',
    'no redundant write',
    r.matches,
  );
  row(
    'init re-run on a finished state (fast)',
    `${round(r.rerunMedianMs)} ms, ${r.rerunWrites} writes`,
    '',
    '',
    '< 1500 ms, 0 writes',
    r.rerunMedianMs < 1500 && r.rerunWrites === 0,
  );
}
if (want('verify')) {
  const v = await verifyWallTime();
  results.verify = v;
  row(
    'verify wall time (realistic)',
    `${round(v.verifyMs)} ms`,
    `slowest check (${v.slowestCheck}): ${round(v.slowestCheckMs)} ms`,
    `${round(v.ratio, 2)}×`,
    '≤ 1.2×',
    v.ratio <= 1.2,
  );
}
if (want('notice')) {
  const n = await noticeLatency();
  results.notice = n;
  const fmt = (x: { n: number; medianMs: number; maxMs: number }) =>
    `${round(x.medianMs)} ms (max ${round(x.maxMs)}, n=${x.n})`;
  row(
    'notice latency: operation done → seen',
    fmt(n.operation),
    'ready (sandbox clock)',
    '',
    '≤ 2000 ms median',
    n.operation.medianMs <= 2000,
  );
  row(
    'notice latency: new resource usable → used',
    fmt(n.settling),
    'ready (sandbox clock)',
    '',
    '≤ 2000 ms median',
    n.settling.medianMs <= 2000,
  );
  row(
    'notice latency: propagated → verify sees it',
    fmt(n.propagation),
    'ready (sandbox clock)',
    '',
    '≤ 2000 ms median',
    n.propagation.medianMs <= 2000,
  );
}
if (want('demo')) {
  const d = await demoWallTime();
  results.demo = d;
  row('demo (fast)', `${round(d.demoMs)} ms`, '', '', 'reported', true);
}
process.stdout.write(table(rows) + '\n');
if (results.requests) {
  const r = results.requests as Awaited<ReturnType<typeof requestEconomy>>;
  process.stdout.write(
    '\nrequests per API in a clean init (fast profile):\n' +
      table([['API', 'reads', 'writes'], ...Object.entries(r.perApi).map(([k, v]) => [k, v.reads, v.writes])]) +
      '\n',
  );
}
if (results.footprint) {
  const f = results.footprint as Awaited<ReturnType<typeof footprint>>;
  process.stdout.write(
    '\nlargest installed packages:\n' +
      table([['package', 'MB'], ...f.top.slice(0, 15).map((t) => [t.name, round(t.mb, 1)])]) +
      '\n',
  );
}
const file = path.join(ROOT, 'bench', 'results.json');
// A run of some parts keeps the other parts' last figures, and says which parts it measured when.
const written = only.length
  ? {
      ...JSON.parse(await readFile(file, 'utf8').catch(() => '{}')),
      ...Object.fromEntries(Object.entries(results).filter(([k]) => k !== 'date' && k !== 'machine')),
      partialRun: { parts: only, date: results.date, machine: results.machine },
    }
  : results;
await writeFile(file, JSON.stringify(written, null, 2) + '\n');
process.stdout.write(`\nwritten: ${path.relative(process.cwd(), file)}\n`);
