// One Ctrl-C policy for every command. The first Ctrl-C aborts the run's signal: the command stops
// what it is doing, says what was done and how to go on, and ends on its own: exit 130 for a run
// cut short (init, destroy, verify, demo), 0 for sandbox and dev, whose normal end is being
// stopped. A second Ctrl-C leaves at once with 130: a clean-up that hangs must not trap anyone.
//
// A command that runs part of its work in a child process (demo, dev --sandbox) starts the child
// in its own process group (`detached`) and names it here: a Ctrl-C typed in a terminal then
// reaches the child once, passed on by us, instead of twice (the terminal signals its whole
// foreground group, and a second Ctrl-C means "leave now" to the child).
import type { ChildProcess } from 'node:child_process';
import { EXIT } from '../lib/exit-codes.js';

export interface Interrupt {
  /** Aborted by the first Ctrl-C (or another of the signals asked for), with the reason "interrupted". */
  readonly signal: AbortSignal;
  readonly interrupted: boolean;
  /** Resolves at the first Ctrl-C: for commands that run until stopped. */
  readonly stopped: Promise<void>;
  /** The first Ctrl-C by other means: a prompt that saw Ctrl-C as a key press (raw mode) reports it here. */
  interrupt(): void;
  /** Removes the handlers; Ctrl-C then does what Node does by default. */
  dispose(): void;
}

export interface InterruptOptions {
  /** The signals that mean "stop" (default Ctrl-C only; sandbox and dev add SIGTERM). */
  signals?: NodeJS.Signals[];
  /** The child process working for us now, if any: each signal is passed on to it first. */
  child?: () => ChildProcess | undefined;
}

export function onInterrupt(opts: InterruptOptions = {}): Interrupt {
  const signals = opts.signals ?? ['SIGINT'];
  const controller = new AbortController();
  let markStopped!: () => void;
  const stopped = new Promise<void>((resolve) => {
    markStopped = resolve;
  });
  const interrupt = () => {
    if (controller.signal.aborted) return;
    controller.abort(new Error('interrupted'));
    markStopped();
  };
  const handler = (sig: NodeJS.Signals) => {
    const child = opts.child?.();
    if (child && child.exitCode === null && child.signalCode === null) child.kill(sig);
    if (controller.signal.aborted) process.exit(EXIT.INTERRUPTED); // the second one: leave now
    interrupt();
  };
  for (const s of signals) process.on(s, handler);
  return {
    signal: controller.signal,
    stopped,
    interrupt,
    get interrupted() {
      return controller.signal.aborted;
    },
    dispose: () => {
      for (const s of signals) process.off(s, handler);
    },
  };
}
