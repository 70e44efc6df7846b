// A person's terminal for tests: a tmux session (installed by `npm run test:setup`) running a command in a shell,
// whose screen a test reads and types into, so prompts, in-place progress and Ctrl-C behave as they do for people
// (never the case in a pipe).
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import type { Sandbox } from '../../src/sandbox/index.js';

export const hasTmux = spawnSync('tmux', ['-V']).status === 0;
export const NO_TMUX = 'tmux is not installed (npm run test:setup installs it)';

/** Variables a CI runner sets that tell a CLI nobody is at the keyboard; a person's terminal has none of them. */
const PIPELINE_VARS = ['CI', 'CONTINUOUS_INTEGRATION', 'GITHUB_ACTIONS', 'BUILD_NUMBER', 'RUN_ID'];

/**
 * A tmux pane `width` columns wide running `command`. `text()` is the screen with its scrollback; with `joined`
 * (the default given here) rows the terminal wrapped are put back together, without it the rows as shown.
 */
export function pane(name: string, command: string, o: { width: number; joined: boolean }) {
  // The shell drops CI (and the like) from what the runner passed down: CI systems set CI=true, which the CLI
  // rightly reads as "no person here" and answers without asking, so the pane would not be a person's terminal.
  const shell = ['env', ...PIPELINE_VARS.flatMap((v) => ['-u', v]), 'bash', '--norc'];
  execFileSync('tmux', ['new-session', '-d', '-s', name, '-x', String(o.width), '-y', '50', ...shell]);
  execFileSync('tmux', ['send-keys', '-t', name, command, 'Enter']);
  const text = (joined = o.joined) =>
    execFileSync('tmux', ['capture-pane', '-p', ...(joined ? ['-J'] : []), '-S', '-500', '-t', name])
      .toString()
      .replace(/\n+$/, '');
  return {
    text,
    /** The screen once it matches `re`; after 2 minutes, an error naming `what` with the screen. */
    async until(re: RegExp, what: string): Promise<string> {
      for (let i = 0; i < 2400; i++) {
        const t = text();
        if (re.test(t)) return t;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${what}; the pane shows:\n${text()}`);
    },
    keys: (...keys: string[]) => execFileSync('tmux', ['send-keys', '-t', name, ...keys]),
    ctrlC: () => execFileSync('tmux', ['send-keys', '-t', name, 'C-c']),
    kill: () => spawnSync('tmux', ['kill-session', '-t', name]),
  };
}

/** A shell file exporting the sandbox's variables (and the test CA), for a pane to source. */
export async function envFile(sb: Sandbox, file: string): Promise<string> {
  const env = { ...sb.env, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS!, TERM: 'xterm-256color' };
  await writeFile(
    file,
    `${Object.entries(env)
      .map(([k, v]) => `${k}='${v}'`)
      .join('\n')}\n`,
  );
  return file;
}
