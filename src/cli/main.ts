// Entry point. Only commander is loaded up front; each command's module (and its heavy
// dependencies: Google clients, auth0, the sandbox) is imported when that command runs, so
// `--help` and `--version` stay close to node's own start-up time.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { createRequire } from 'node:module';
import { EXIT, UserError } from './exit-codes.js';

const pkg = createRequire(import.meta.url)('../../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('iap-auth0')
    .description('Put a Cloud Run app behind Identity-Aware Proxy, signing in with your Auth0 tenant.')
    .version(pkg.version, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .exitOverride();

  program.command('sandbox')
    .description('run a local emulation of Google Cloud (IAM, Cloud Run, IAP, Resource Manager, Service Usage), an Auth0 tenant and the browser sign-in chain; prints the environment that points iap-auth0 at it')
    .option('--env-file <path>', 'also write the KEY=VALUE lines to this file (mode 0600)')
    .option('--profile <name>', 'timing profile: fast (tests) or realistic (benchmarks)', choice(['fast', 'realistic']), 'fast')
    .option('--faults <spec>', 'answer a share of API calls with 429/503, e.g. all=0.3 or iam=0.5:503,auth0=0.2:429')
    .option('--seed <n>', 'seed for fault injection and generated values', integer, 1)
    .action(async (opts) => (await import('./commands/sandbox.js')).sandboxCommand(opts));

  return program;
}

function choice(allowed: string[]) {
  return (value: string) => {
    if (!allowed.includes(value)) throw new InvalidArgumentError(`use one of: ${allowed.join(', ')}.`);
    return value;
  };
}
function integer(value: string) {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError('use a whole number.');
  return Number(value);
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      process.exitCode = err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
      return;
    }
    if (err instanceof UserError) {
      process.stderr.write(`iap-auth0: ${err.message}\n${err.hint ? `  hint: ${err.hint}\n` : ''}`);
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`iap-auth0: unexpected error: ${(err as Error)?.stack ?? err}\n`);
    process.exitCode = EXIT.FAILURE;
  }
}
