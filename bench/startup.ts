// 2. Start-up: `--help`, `--version` and `status` (no state file) against `node -e 0`, measured in
// the same run, interleaved so drift in machine load hits all of them alike.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cli, median, timed, log } from './lib.js';

export async function startup(runs = 21) {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-startup-'));
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, CI: '1' };
  const cases: [string, () => Promise<{ ms: number; code: number | null }>][] = [
    ['node -e 0', () => timed(process.execPath, ['-e', '0'], { cwd, env })],
    ['iap-auth0 --help', () => cli(['--help'], { cwd, env })],
    ['iap-auth0 --version', () => cli(['--version'], { cwd, env })],
    ['iap-auth0 status (no state)', () => cli(['status'], { cwd, env })],
  ];
  log(`start-up: ${runs} runs of each`);
  const times = new Map<string, number[]>(cases.map(([n]) => [n, []]));
  for (const [, f] of cases) await f(); // warm the file cache
  for (let i = 0; i < runs; i++) {
    for (const [name, f] of cases) {
      const r = await f();
      if (r.code !== 0) throw new Error(`${name} exited ${r.code}`);
      times.get(name)!.push(r.ms);
    }
  }
  const base = median(times.get('node -e 0')!);
  return cases.map(([name]) => ({ name, medianMs: median(times.get(name)!), ratio: median(times.get(name)!) / base }));
}
