// The command line: every command, flag and help text (commander). Loaded by main.ts only when a
// fast path does not apply, because commander alone takes about 12 ms to load.
import { Command, InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { parseDuration } from '../lib/duration.js';
import { STAGES } from '../core/stage-graph.js';

export const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export function buildProgram(): Command {
  const program = new Command('iap-auth0')
    .description('Put a Cloud Run app behind Identity-Aware Proxy, signing in with your Auth0 tenant.')
    .version(pkg.version, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .option('--debug', 'trace every API call and retry on stderr (secrets redacted), and show stack traces')
    .exitOverride()
    .hook('preAction', (cmd) => {
      if (cmd.opts().debug) process.env.IAP_AUTH0_DEBUG = '1';
    });

  addInitCommand(program);
  addCheckCommands(program);
  addExportCommand(program);
  addDevCommand(program);
  addSandboxCommand(program);
  return program;
}

/** `init` and its flags. */
function addInitCommand(program: Command): void {
  program
    .command('init')
    .description('set up (or resume setting up) a Cloud Run service behind IAP with Auth0 sign-in')
    .option('--project <id>', 'Google Cloud project id (env GOOGLE_CLOUD_PROJECT, CLOUDSDK_CORE_PROJECT)')
    .option('--region <region>', 'Cloud Run region (env CLOUDSDK_RUN_REGION; default us-central1)')
    .option('--service <name>', 'Cloud Run service name (env IAP_AUTH0_SERVICE)')
    .option(
      '--image <ref>',
      'container image to deploy on this run (env IAP_AUTH0_IMAGE, for a new setup only); without it a new ' +
        "service gets Google's hello sample and an existing one keeps its image",
    )
    .option('--organization <id>', 'organization for the workforce pool, only when the project has none')
    .option(
      '--auth0-domain <domain>',
      'Auth0 tenant domain (env AUTH0_DOMAIN), never a custom domain: the Management API lives there',
    )
    .option(
      '--auth0-issuer-domain <domain>',
      "domain users sign in on (env IAP_AUTH0_ISSUER_DOMAIN): an Auth0 custom domain or the tenant's own; " +
        "default: the tenant's ready custom domain, if any (needs read:custom_domains), else --auth0-domain",
    )
    .option(
      '--pool <id>',
      'workforce pool id (env IAP_AUTH0_POOL; default iap-SERVICE-REGION-PROJECT, shortened with a hash when too ' +
        'long)',
    )
    .option('--provider <id>', 'workforce provider id (env IAP_AUTH0_PROVIDER; default auth0)')
    .option('--oauth-client <id>', 'IAM OAuth client id (env IAP_AUTH0_OAUTH_CLIENT; default iap-auth0-SERVICE-REGION)')
    .option(
      '--allow <member>',
      'who may sign in (exactly these; others iap-auth0 granted are revoked): pool (default), ' +
        'email:<verified address>, role:<auth0 role>, group:<name>, user:<auth0 user id>; repeatable (env ' +
        'IAP_AUTH0_ALLOW: members separated by commas or spaces)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      '--require <cel>',
      "the workforce provider's attribute condition (CEL) instead of the one derived from --allow; " +
        "'' goes back to that one",
    )
    .option(
      '--scope <scope>',
      'IAP settings and access on the service (default) or the whole project',
      choice(['service', 'project']),
    )
    .option('--state <path>', 'state file (default .iap-auth0/state.json)')
    .option('-y, --yes', 'do not ask: take defaults, fail on missing input')
    .option('--json', 'print one JSON document on stdout (implies --yes)')
    .option('--dry-run', 'show the plan and change nothing')
    .option(
      '--adopt',
      "use resources this setup did not create (an existing service, another setup's pool or OAuth client): " +
        'only what IAP needs is changed, and they are never deleted',
    )
    .option('--setup <id>', 'take back setup ID whose state file was lost (its resources carry that id)')
    .option('--no-audience-env', 'do not set IAP_AUDIENCE (the audience your app checks) on the service')
    .option('--verify [duration]', 'when done, run verify --wait DURATION (default 10m); asked on a terminal', duration)
    // --no-audience-env defaults to true; only an explicit flag may override the recorded choice.
    .action(async (opts, cmd: Command) =>
      (await import('./commands/init.js')).initCommand({
        ...opts,
        audienceEnv: cmd.getOptionValueSource('audienceEnv') === 'default' ? undefined : opts.audienceEnv,
      }),
    );
}

/** `demo`, `verify`, `destroy` and `status`. */
function addCheckCommands(program: Command): void {
  program
    .command('demo')
    .description(
      'run the whole story on the embedded sandbox in seconds: init, verify, a real sign-in, status, destroy',
    )
    .action(async () => (await import('./commands/demo.js')).demoCommand());

  program
    .command('verify')
    .description(
      'check, live, that everything init built is there and unchanged, and probe the sign-in chain (exit 3 if ' +
        'something does not hold)',
    )
    .option(
      '--wait [duration]',
      'keep re-checking what may still be propagating, up to DURATION (default 10m when given without a value)',
      duration,
    )
    .option('--json', 'print one JSON document on stdout')
    .option('--state <path>', 'state file (default .iap-auth0/state.json)')
    .option(
      '--report <file>',
      'also write a JSON trace of the checks and of every sign-in hop (names only, no values or secrets; mode ' +
        '0600) to attach to a bug report; replaces an earlier report, never another file',
    )
    .action(async (opts) => (await import('./commands/verify.js')).verifyCommand(opts));

  program
    .command('destroy')
    .description('delete, in reverse order, exactly what iap-auth0 created (as recorded in the state file)')
    .option('--force', 'do not ask for confirmation (required when not in a terminal)')
    .option(
      '--keep <stages>',
      // From the stage graph, as --keep's check (core/destroy.ts parseKeep) takes them: a new stage cannot be left out.
      `leave these stages' resources alone, comma-separated: ${STAGES.join(', ')}`,
    )
    .option('--json', 'print one JSON document on stdout (needs --force)')
    .option('--state <path>', 'state file (default .iap-auth0/state.json)')
    .action(async (opts) => (await import('./commands/destroy.js')).destroyCommand(opts));

  program
    .command('status')
    .description('show, from the state file alone (no network), what is set up and what to run next')
    .option('--json', 'print one JSON document on stdout')
    .option('--state <path>', 'state file (default .iap-auth0/state.json)')
    .action(async (opts) => (await import('./commands/status.js')).statusCommand(opts));
}

/** `export terraform`: the finished setup as a Terraform configuration that imports every resource. */
function addExportCommand(program: Command): void {
  const exp = program
    .command('export')
    .description('describe a finished setup in another tool (export terraform)')
    .exitOverride();
  exp
    .command('terraform')
    .description(
      'write a Terraform configuration of this setup with an import block for every resource, so that ' +
        'terraform plan imports it all and proposes no change',
    )
    .option('--dir <path>', 'folder to write (default iap-auth0-terraform); an existing, non-empty one needs --force')
    .option('--state <path>', 'state file (default .iap-auth0/state.json)')
    .option('--dry-run', 'print the files instead of writing them')
    .option('--force', 'write into a folder that already has files (the files the export writes are replaced)')
    .option('--json', 'print one JSON document on stdout listing the files (with their content under --dry-run)')
    .action(async (opts) => (await import('./commands/export.js')).exportTerraformCommand(opts));
}

/** `dev`: a local front door that signs in and adds the IAP header before your app. */
function addDevCommand(program: Command): void {
  program
    .command('dev')
    .description(
      'run a local front door in front of your app: sign in through Auth0 (or the sandbox) and get the same ' +
        'signed IAP header as in production',
    )
    .option(
      '--route <prefix=url>',
      'send paths starting with PREFIX to the server at URL, e.g. /api/=http://localhost:5000; repeatable, ' +
        'longest prefix wins',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--port <n>', 'port of the front door on localhost (0 = any free one)', integer, 8080)
    .option('--sandbox', "sign in through the embedded sandbox's Auth0 tenant instead of your own")
    .option(
      '--allow <member>',
      'who may pass (default: what init granted; with --sandbox, everyone); repeatable',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--audience <aud>', "audience of the assertions (default: your service's, from the state file)")
    .option('--state <path>', 'state file (default .iap-auth0/state.json)')
    .action(async (opts) => (await import('./commands/dev.js')).devCommand(opts));
}

/** `sandbox`: the local emulation of the Google APIs, an Auth0 tenant and the sign-in chain. */
function addSandboxCommand(program: Command): void {
  program
    .command('sandbox')
    .description(
      'run a local emulation of Google Cloud (IAM, Cloud Run, IAP, Resource Manager, Service Usage), an Auth0 ' +
        'tenant and the browser sign-in chain; prints the environment that points iap-auth0 at it',
    )
    .option('--env-file <path>', 'also write the KEY=VALUE lines to this file (mode 0600)')
    .option(
      '--profile <name>',
      'timing profile: fast (tests) or realistic (benchmarks)',
      choice(['fast', 'realistic']),
      'fast',
    )
    .option(
      '--faults <spec>',
      'answer a share of API calls with an error or a broken connection: API=SHARE[:KIND], KIND 429, 503, ' +
        'reset or hang, e.g. all=0.3, iam=0.5:503,auth0=0.2:429, run=1:hang',
    )
    .option('--seed <n>', 'seed for fault injection and generated values', integer, 1)
    .option(
      '--auth0-custom-domain',
      'give the Auth0 tenant a ready custom domain on its own port: sign-in and tokens there, the Management ' +
        "API on the tenant's domain",
    )
    .option(
      '--propagation <duration>',
      "how long IAM and IAP changes take to reach the sign-in path (default: the profile's, 60ms fast, 6s realistic)",
      duration,
    )
    .option(
      '--consistency-delay <duration>',
      'how long a new service account, OAuth client or credential, or IAP service agent stays unusable after ' +
        "its create (default: the profile's, none fast, 250ms to 3s realistic)",
      duration,
    )
    .option(
      '--org-policy <constraint>',
      'the organization enforces this policy: iam.allowedPolicyMemberDomains (domain-restricted sharing, on ' +
        'by default in organizations created since May 2024)',
      choice(['iam.allowedPolicyMemberDomains']),
    )
    .option(
      '--signin-hops <kind>',
      "what Google's workforce sign-in does after /authorize (unknown live): direct to Auth0, signin-path (a " +
        '/signin/PROVIDER hop first) or chooser (a provider chooser page first)',
      choice(['direct', 'signin-path', 'chooser']),
      'direct',
    )
    .option(
      '--iap-service-settings <mode>',
      'whether workforce IAP settings on a service take effect (unknown live): applied, or ignored (only ' +
        'project-level settings work)',
      choice(['applied', 'ignored']),
      'applied',
    )
    .action(async (opts) => (await import('./commands/sandbox.js')).sandboxCommand(opts));
}

function choice(allowed: string[]) {
  return (value: string) => {
    if (!allowed.includes(value)) throw new InvalidArgumentError(`use one of: ${allowed.join(', ')}.`);
    return value;
  };
}
function duration(value: string) {
  try {
    return parseDuration(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.replace(/^invalid duration "[^"]*": /, '') + '.');
  }
}
function integer(value: string) {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError('use a whole number.');
  return Number(value);
}
