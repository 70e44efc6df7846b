// `iap-auth0 sandbox`: starts the sandbox, prints its environment (stdout and --env-file) once
// every listener is ready, and runs until Ctrl-C or SIGTERM, then stops it and exits 0.
import { writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { parseFaultSpec } from '../../sandbox/core/faults.js';
import { EXIT, UserError } from '../../lib/exit-codes.js';
import { onInterrupt } from '../interrupt.js';

export interface SandboxCommandOptions {
  envFile?: string;
  profile: 'fast' | 'realistic';
  faults?: string;
  seed: number;
  propagation?: number;
  consistencyDelay?: number;
  orgPolicy?: 'iam.allowedPolicyMemberDomains';
  signinHops?: 'direct' | 'signin-path' | 'chooser';
  iapServiceSettings?: 'applied' | 'ignored';
  auth0CustomDomain?: boolean;
}

export async function sandboxCommand(opts: SandboxCommandOptions): Promise<void> {
  // Judge every input before starting anything.
  try {
    parseFaultSpec(opts.faults);
  } catch (e) {
    throw new UserError(`--faults: ${(e as Error).message}`);
  }
  // From here on, Ctrl-C (even during start-up) stops the sandbox cleanly; a second one leaves at once.
  const ctrlC = onInterrupt({ signals: ['SIGINT', 'SIGTERM'] });
  const { startSandbox, formatEnv } = await import('../../sandbox/index.js');
  const sb = await startSandbox({
    profile: opts.profile,
    faults: opts.faults,
    seed: opts.seed,
    propagationMs: opts.propagation,
    consistencyMs: opts.consistencyDelay,
    orgPolicies: opts.orgPolicy ? [opts.orgPolicy] : [],
    signinHops: opts.signinHops,
    iapServiceSettings: opts.iapServiceSettings,
    auth0CustomDomain: !!opts.auth0CustomDomain,
  });
  const text = formatEnv(sb.env);
  if (opts.envFile) {
    // The file holds the sandbox's own (throwaway) token and M2M secret: private, written atomically.
    const file = path.resolve(opts.envFile);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, text, { mode: 0o600 });
      await rename(tmp, file);
    } catch (e) {
      await sb.stop();
      ctrlC.dispose();
      throw new UserError(
        `--env-file: cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}. ` +
          'Choose a writable path.',
      );
    }
  }
  process.stdout.write(text);
  process.stderr.write(
    [
      `iap-auth0 sandbox is ready (${[
        `profile ${opts.profile}`,
        opts.faults && `faults ${opts.faults}`,
        opts.consistencyDelay !== undefined && `consistency delay ${opts.consistencyDelay} ms`,
        opts.orgPolicy && `org policy ${opts.orgPolicy}`,
        opts.signinHops && opts.signinHops !== 'direct' && `sign-in hops ${opts.signinHops}`,
        opts.iapServiceSettings === 'ignored' && 'service-level IAP workforce settings ignored',
      ]
        .filter(Boolean)
        .join(', ')}).`,
      opts.envFile
        ? `Load it in another shell with:  set -a; . ${opts.envFile}; set +a`
        : 'Tip: --env-file PATH writes these lines to a file you can source.',
      ...(sb.auth0CustomDomain
        ? [
            `The Auth0 tenant has the custom domain ${sb.auth0CustomDomain}: users sign in there, the ` +
              `Management API stays on AUTH0_DOMAIN=${sb.env.AUTH0_DOMAIN}.`,
          ]
        : []),
      `Sign in as ${sb.env.IAP_AUTH0_TEST_USER_EMAIL} (password in IAP_AUTH0_TEST_USER_PASSWORD). Inspect ` +
        `everything at ${sb.controlUrl}/world`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  await ctrlC.stopped;
  await sb.stop();
  ctrlC.dispose();
  process.exitCode = EXIT.OK;
}
