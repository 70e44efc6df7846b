// Entry point. Each command's module (and its heavy dependencies: Google clients, auth0, the
// sandbox) is imported only when that command runs. The most frequent instant answers (--version,
// --help, status) skip even commander: --version reads package.json, --help prints the text the
// build generated from the same program (dist/src/cli/help.txt), status parses its two flags itself.
import { readFileSync } from 'node:fs';
import { EXIT, UserError } from '../lib/exit-codes.js';
import { errorLines, proseWidth } from './wrap.js';

function fastPath(args: string[]): (() => Promise<void>) | undefined {
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
    return async () => {
      process.stdout.write(
        JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version + '\n',
      );
    };
  }
  if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
    let text: string;
    try {
      text = readFileSync(new URL('./help.txt', import.meta.url), 'utf8');
    } catch {
      return undefined;
    }
    return async () => {
      process.stdout.write(text);
    };
  }
  if (args[0] === 'status') {
    const opts: { json?: boolean; state?: string } = {};
    for (let i = 1; i < args.length; i++) {
      if (args[i] === '--json') opts.json = true;
      else if (args[i] === '--state' && args[i + 1] && !args[i + 1].startsWith('-')) opts.state = args[++i];
      else if (args[i].startsWith('--state=') && args[i].length > 8) opts.state = args[i].slice(8);
      else return undefined; // anything else (--help, --debug, a typo): commander handles it
    }
    return async () => (await import('./commands/status.js')).statusCommand(opts);
  }
  return undefined;
}

/**
 * node-fetch (under Google's clients) reports an abort twice: it rejects the request, which the
 * core handles, and it destroys a response body nobody reads any more with the same AbortError,
 * emitted as an 'error' event without a listener. When a deadline or Ctrl-C aborts a request
 * between its headers and its body, that second copy would crash the process: it is dropped.
 */
function ignoreAbandonedBodies(): void {
  process.on('uncaughtException', (err) => {
    const e = err as Error & { type?: string };
    if (e?.name === 'AbortError' && e.type === 'aborted') return;
    process.stderr.write(`iap-auth0: unexpected error: ${e?.stack ?? e}\n`);
    process.exit(EXIT.FAILURE);
  });
}

/**
 * A reader that went away (`iap-auth0 status | head -1`) closes the pipe: the rest of the output
 * has nobody to go to. Like other command-line tools, end quietly then, with the exit code the
 * command had, instead of a stack trace about EPIPE.
 */
function endQuietlyOnBrokenPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.OK);
      throw err; // any other failure to write is unexpected: reported as such
    });
  }
}

export async function main(argv: string[]): Promise<void> {
  ignoreAbandonedBodies();
  endQuietlyOnBrokenPipe();
  try {
    await run(argv);
  } finally {
    // The command is over. A request abandoned on Ctrl-C or a timeout may still hold a library's
    // timer (the Auth0 SDK keeps a 60 s one per request): it must not keep the process alive. The
    // timer is unref'd, so a process with nothing left to do exits at once, as usual.
    setTimeout(() => process.exit(), 500).unref();
  }
}

/** A refusal or failure with its hint, wrapped at word boundaries on a terminal (wrap.ts). */
const printError = (message: string, hint?: string) =>
  process.stderr.write(errorLines(message, hint, proseWidth(process.stderr)).join('\n') + '\n');

async function run(argv: string[]): Promise<void> {
  try {
    const fast = fastPath(argv.slice(2));
    if (fast) {
      await fast();
      return;
    }
    const { buildProgram } = await import('./program.js');
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (
      (err as Error)?.constructor?.name === 'CommanderError' ||
      (err as { code?: string })?.code?.startsWith?.('commander.')
    ) {
      // --help and --version end here too, with exit code 0.
      process.exitCode = (err as { exitCode: number }).exitCode === 0 ? EXIT.OK : EXIT.USAGE;
      return;
    }
    if (err instanceof UserError) {
      printError(err.message, err.hint);
      process.exitCode = err.exitCode;
      return;
    }
    // A network failure that escaped a stage (a preflight read, destroy's marker checks) is the
    // network's, not a bug: said plainly, with the endpoint and what to try.
    const { describeNetworkFailure } = await import('../core/net-errors.js');
    const net = describeNetworkFailure(err);
    if (net) {
      printError(net.message, net.hint);
      process.exitCode = EXIT.FAILURE;
      return;
    }
    const { redact } = await import('../lib/debug.js');
    process.stderr.write(redact(`iap-auth0: unexpected error: ${(err as Error)?.stack ?? err}\n`));
    process.exitCode = EXIT.FAILURE;
  }
}
