// The start-up fast paths (src/cli/main.ts) answer exactly as commander would: --version, --help
// (text generated at build time from the same program), and status with its own two flags; any
// other argument falls through to commander.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from './helpers/cli.js';
import { buildProgram, pkg } from '../src/cli/program.js';

test('fast paths match commander', async () => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-fast-'));
  const version = await runCli(['--version'], {}, cwd);
  assert.equal(
    version.stdout,
    `${JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')).version}\n`,
  );
  assert.equal(version.stdout.trim(), pkg.version);
  const program = buildProgram();
  program.configureOutput({ getOutHelpWidth: () => 80, getErrHelpWidth: () => 80 });
  const help = await runCli(['--help'], {}, cwd);
  assert.equal(help.code, 0);
  assert.equal(help.stdout, program.helpInformation(), "the generated help is the program's own");
  for (const args of [
    ['status'],
    ['status', '--json'],
    ['status', '--state', 'x/state.json'],
    ['status', '--state=x/state.json', '--json'],
  ]) {
    const r = await runCli(args, {}, cwd);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  assert.match(
    (await runCli(['status', '--state', 'x/state.json'], {}, cwd)).stdout,
    /No state file at x\/state\.json/,
  );
  const typo = await runCli(['status', '--jsno'], {}, cwd);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /unknown option '--jsno'/);
  const statusHelp = await runCli(['status', '--help'], {}, cwd);
  assert.match(statusHelp.stdout, /Usage: iap-auth0 status \[options\]/);
});

test('destroy --help names every stage --keep takes, from the stage graph (auth0-action included)', async () => {
  const { STAGES } = await import('../src/core/stage-graph.js');
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-fast-'));
  const r = await runCli(['destroy', '--help'], {}, cwd);
  assert.equal(r.code, 0, r.stderr);
  const keep = r.stdout.slice(r.stdout.indexOf('--keep'), r.stdout.indexOf('--json')).replace(/\s+/g, ' ');
  assert.match(keep, new RegExp(`comma-separated: ${STAGES.join(', ')} $`));
  assert.ok(STAGES.includes('auth0-action'));
});
