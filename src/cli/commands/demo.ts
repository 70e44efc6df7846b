// `iap-auth0 demo`: the whole story on the embedded sandbox, with the real commands. The sandbox
// runs in this process; init, verify, status and destroy run as child processes exactly as a user
// would type them (fed the sandbox's environment), and between verify and status the demo signs
// in as the sandbox's test user through the front door and shows what the app received.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, UserError } from '../../lib/exit-codes.js';
import { colorsFor, type Paint } from '../ansi.js';
import { onInterrupt } from '../interrupt.js';
import { formatDuration } from '../../lib/duration.js';
import type { Sandbox } from '../../sandbox/index.js';
import type * as Leftovers from '../../sandbox/leftovers.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../bin/iap-auth0.js');

// IAP changes take a minute of the sandbox's clock to apply (minutes on Google), so verify --wait
// has something to wait for; the demo moves that clock once verify says it is waiting, so the
// wait is shown whatever the machine's speed, and lasts about a second.
const PROPAGATION_MS = 60_000;

export async function demoCommand(): Promise<void> {
  const { c, out, say } = demoOutput();
  const started = Date.now();
  // Ctrl-C: the step running now is interrupted (passed on to its process, which says what it did),
  // the sandbox stops, its files go, exit 130.
  let current: ChildProcess | undefined;
  const ctrlC = onInterrupt({ child: () => current });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-demo-'));
  const { startSandbox } = await import('../../sandbox/index.js');
  const { leftovers } = await import('../../sandbox/leftovers.js');
  say(
    'Starting the sandbox',
    'A local stand-in for Google Cloud (Resource Manager, Service Usage, IAM, Cloud Run, IAP), an Auth0 tenant',
    'and the browser sign-in chain, each on its own loopback port with its own TLS certificate. Nothing ' +
      'leaves this machine.',
  );
  const sb = await startSandbox({ dir: path.join(dir, 'sandbox'), propagationMs: PROPAGATION_MS });
  const env = { ...process.env, ...sb.env, NO_COLOR: process.env.NO_COLOR ?? '' };
  const onSpawn = (child: ChildProcess) => {
    current = child;
  };
  const step = stepRunner({ dir, env, out, c, signal: ctrlC.signal, onSpawn });
  const demo: Demo = { c, out, say, step, sb, dir, signal: ctrlC.signal };
  try {
    await initAndVerify(demo);
    await signInAsTestUser(demo);
    await statusAndDestroy(demo, leftovers);
    out();
    out(
      c.green(c.bold(`Demo finished in ${formatDuration(Date.now() - started)}.`)) +
        ' Next: point iap-auth0 init at your own project (see README, "Before you start").',
    );
    process.exitCode = EXIT.OK;
  } catch (e) {
    out();
    if (ctrlC.interrupted)
      throw new UserError('interrupted; the sandbox was stopped and its files removed.', EXIT.INTERRUPTED);
    throw new UserError(
      `demo failed: ${(e as Error).message}`,
      EXIT.FAILURE,
      'this is a bug in iap-auth0 or its sandbox; please report it with the output above',
    );
  } finally {
    await sb.stop();
    await rm(dir, { recursive: true, force: true });
    ctrlC.dispose();
  }
}

/** Runs `iap-auth0 ARGS` as a child process; rejects unless it exits 0. */
type Step = (args: string[], onOutput?: (text: string) => void) => Promise<void>;

/** What every step of the demo uses: the output, the step runner, the sandbox and its folder. */
interface Demo {
  c: Paint;
  out: (t?: string) => void;
  say: (title: string, ...lines: string[]) => void;
  step: Step;
  sb: Sandbox;
  dir: string;
  signal: AbortSignal;
}

/** stdout, with colour when it is a terminal: plain lines, and a step's title with its explanation. */
function demoOutput(): Pick<Demo, 'c' | 'out' | 'say'> {
  const c = colorsFor(process.stdout);
  const out = (t = '') => process.stdout.write(t + '\n');
  const say = (title: string, ...lines: string[]) => {
    out();
    out(c.bold(c.cyan(`▶ ${title}`)));
    for (const l of lines) out(c.dim(`  ${l}`));
  };
  return { c, out, say };
}

/** The real launcher as a child process in the demo's folder, its output indented under the command line. */
function stepRunner(o: {
  dir: string;
  env: NodeJS.ProcessEnv;
  out: (t?: string) => void;
  c: Paint;
  signal: AbortSignal;
  onSpawn: (child: ChildProcess) => void;
}): Step {
  const { out, c } = o;
  const run = (args: string[], onOutput?: (text: string) => void) =>
    new Promise<number>((resolve) => {
      out(c.dim(`  $ iap-auth0 ${args.join(' ')}`));
      // Its own process group (interrupt.ts): a Ctrl-C reaches it once, passed on by us.
      const child = spawn(process.execPath, ['--', BIN, ...args], {
        cwd: o.dir,
        env: o.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      o.onSpawn(child);
      const indent = (d: Buffer) => {
        process.stdout.write(d.toString().replace(/^(?=.)/gm, '  │ '));
        onOutput?.(d.toString());
      };
      child.stdout.on('data', indent);
      child.stderr.on('data', indent);
      child.on('exit', (code) => resolve(code ?? 1));
    });
  return async (args, onOutput) => {
    o.signal.throwIfAborted();
    const code = await run(args, onOutput);
    if (code !== 0) throw new Error(`iap-auth0 ${args[0]} exited ${code}`);
  };
}

/** Steps 1 and 2: init, then verify --wait, moving the sandbox's clock once verify waits. */
async function initAndVerify({ say, step, sb }: Demo): Promise<void> {
  say(
    '1. iap-auth0 init',
    "Deploys a Cloud Run service with IAP on, creates the Auth0 app, the workforce pool and provider, IAP's " +
      'OAuth client,',
    'points IAP at the pool and lets everyone in it in. Progress goes to a state file, so an interrupted ' +
      'init resumes.',
  );
  await step(['init', '--yes', '--service', 'hello', '--region', 'europe-west1']);

  say(
    '2. iap-auth0 verify --wait 2m',
    'Checks every piece live and probes the sign-in chain without a browser. Right after init, IAP changes ' +
      'take a while',
    "to apply (2 to 7 minutes on Google; a minute of the sandbox's clock here, which the demo moves forward " +
      'once verify waits):',
    '--wait keeps re-checking until they do.',
  );
  let moved = false;
  await step(['verify', '--wait', '2m'], (text) => {
    if (!moved && /propagating: .*\(waited /.test(text)) {
      moved = true;
      sb.world.clock.advance(PROPAGATION_MS);
    }
  });
}

/** Step 3: a real sign-in as the sandbox's test user, and what the app verified. */
async function signInAsTestUser({ c, out, say, sb, dir, signal }: Demo): Promise<void> {
  say(
    '3. A real sign-in',
    `As the sandbox's test user ${sb.env.IAP_AUTH0_TEST_USER_EMAIL}, through the front door: IAP → Google's ` +
      'workforce sign-in →',
    "Auth0's login form → back through IAP to the app, which verifies the x-goog-iap-jwt-assertion header " +
      'it receives.',
  );
  const identity = await signIn(sb, dir, signal);
  out(
    `  signed in as ${c.bold(identity.email ?? '(no email)')}; the app verified IAP's assertion (ES256, iss ` +
      'https://cloud.google.com/iap)',
  );
  out(`  IAM principal     ${identity.principal}`);
  out(`  workforce pool    ${identity.pool}`);
  out(`  audience          ${identity.audience}`);
  out('  verified claims   ' + JSON.stringify(identity.claims, null, 2).replace(/\n/g, '\n                    '));
}

/** Steps 4 to 6: status, destroy --force, and a look through the sandbox for anything left. */
async function statusAndDestroy({ out, say, step, sb }: Demo, leftovers: typeof Leftovers.leftovers): Promise<void> {
  say('4. iap-auth0 status', 'What the state file records, and what to run next. No network needed.');
  await step(['status']);

  say(
    '5. iap-auth0 destroy --force',
    'Removes exactly what iap-auth0 created, in reverse order. Members and settings others added stay.',
  );
  await step(['destroy', '--force']);

  say('6. Nothing left', "Looking through the sandbox's inspection endpoint for anything of iap-auth0's.");
  const left = leftovers(sb.world.snapshot());
  if (left.length) throw new Error(`destroy left: ${left.join('; ')}`);
  out(
    '  no Cloud Run service, service account, pool, provider, OAuth client, credential, Auth0 app, IAP ' +
      "setting or binding of iap-auth0's remains",
  );
}

interface AppIdentity {
  verified: boolean;
  email?: string;
  principal?: string;
  pool?: string;
  audience: string;
  reason?: string;
  claims?: Record<string, unknown>;
}

/** Signs in through the front door with a browser-less client trusting the sandbox's CA. */
async function signIn(sb: { env: Record<string, string> }, dir: string, signal: AbortSignal): Promise<AppIdentity> {
  const { Browserless } = await import('../../lib/browserless.js');
  const { caFetch } = await import('../../lib/ca-fetch.js');
  const { requestTimeoutMs } = await import('../../lib/net.js');
  const state = JSON.parse(await readFile(path.join(dir, '.iap-auth0', 'state.json'), 'utf8'));
  const uri: string = state.stages.deploy.resources.uri;
  const fetch = caFetch(await readFile(sb.env.NODE_EXTRA_CA_CERTS, 'utf8'));
  // The access binding propagates like the settings did; give it the same grace.
  for (let attempt = 0; ; attempt++) {
    signal.throwIfAborted();
    const page = await new Browserless({ fetch, signal, timeoutMs: requestTimeoutMs(process.env) }).signIn(
      `${uri}/__app/whoami`,
      sb.env.IAP_AUTH0_TEST_USER_EMAIL,
      sb.env.IAP_AUTH0_TEST_USER_PASSWORD,
    );
    if (page.status === 200) {
      const v = JSON.parse(page.text) as AppIdentity;
      if (!v.verified) throw new Error(`the app did not verify the assertion: ${v.reason}`);
      if (v.email !== sb.env.IAP_AUTH0_TEST_USER_EMAIL)
        throw new Error(`the app saw ${v.email}, not ${sb.env.IAP_AUTH0_TEST_USER_EMAIL}`);
      const { iat, exp, iss, aud, sub, email, identity_source, workforce_identity } = v.claims ?? {};
      return { ...v, claims: { iss, aud, sub, email, iat, exp, identity_source, workforce_identity } };
    }
    if (attempt >= 20) throw new Error(`sign-in ended at ${page.url} with ${page.status}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
