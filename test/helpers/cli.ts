// Runs the real CLI as a user's shell would: a child process through the launcher, with only the
// given environment (plus PATH and the test CA), collecting its output and exit code.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/iap-auth0.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI and returns the child at once (to signal or kill it) and its result. */
export function startCli(
  args: string[],
  env: Record<string, string>,
  cwd: string,
): { child: ChildProcess; done: Promise<CliResult>; stderrHas: (re: RegExp) => Promise<void> } {
  const child = spawn(process.execPath, ['--', BIN, ...args], {
    cwd,
    env: { ...env, PATH: process.env.PATH!, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS! },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '',
    stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((r) => child.on('close', (code, signal) => r({ code, signal, stdout, stderr })));
  // Resolves when stderr matches, checked as output arrives (never on a timer); rejects if the CLI
  // ends first, with what it printed, so a test waiting for a line fails instead of hanging.
  const stderrHas = (re: RegExp) =>
    new Promise<void>((resolve, reject) => {
      if (re.test(stderr)) return resolve();
      const check = () => {
        if (!re.test(stderr)) return;
        child.stderr!.off('data', check);
        resolve();
      };
      child.stderr!.on('data', check);
      void done.then((r) => reject(new Error(`the CLI ended (${r.code}) before printing ${re}:\n${r.stderr}`)));
    });
  return { child, done, stderrHas };
}

export function runCli(args: string[], env: Record<string, string>, cwd: string): Promise<CliResult> {
  return startCli(args, env, cwd).done;
}

/**
 * A plan as printed (src/cli/plan-words.ts) with each wrapped change joined back onto one line: a
 * line indented six spaces continues the one above it, after a space, or directly after a "/"
 * (where an overlong path was cut).
 */
export const unwrapped = (text: string): string =>
  text.replace(/(.)\n {6}(?=\S)/g, (_, c) => (c === '/' ? c : `${c} `));
