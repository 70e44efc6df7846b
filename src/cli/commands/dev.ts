// `iap-auth0 dev`: a local front door in front of the developer's servers, signing in through the
// same Auth0 application (or the sandbox's tenant with --sandbox) and forwarding requests with an
// IAP-shaped assertion signed by a local key. Prints KEY=VALUE lines on stdout (what the app needs)
// once listening; runs until Ctrl-C or SIGTERM, then removes the callback it added.
import http from 'node:http';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, UserError } from '../../lib/exit-codes.js';
import { onInterrupt } from '../interrupt.js';
import { routeTable, type Route } from '../../dev/routes.js';
import { allowSchema, problem } from '../../inputs/schema.js';
import { DEFAULT_STATE_PATH } from '../../state/store.js';

export interface DevCommandOptions {
  route?: string[];
  port: number;
  sandbox?: boolean;
  state?: string;
  allow?: string[];
  audience?: string;
}

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../bin/iap-auth0.js');
const PLACEHOLDER_AUDIENCE = '/projects/000000000000/locations/local/services/dev';

export async function devCommand(opts: DevCommandOptions): Promise<void> {
  let routes: Route[];
  try {
    routes = routeTable(opts.route ?? []);
  } catch (e) {
    throw new UserError(
      (e as Error).message,
      EXIT.USAGE,
      'e.g. iap-auth0 dev --route /api/=http://localhost:5000 --route /=http://localhost:5173',
    );
  }
  for (const a of opts.allow ?? [])
    if (problem(allowSchema, a))
      throw new UserError(`--allow "${a}" is invalid: use pool, user:<auth0 user id> or group:<name>`);
  // The in-process sandbox serves HTTPS with its own CA, which Node trusts only if told at start-up:
  // make the CA first, then run the real work in a child that trusts it.
  if (opts.sandbox && !process.env.IAP_AUTH0_DEV_CA_DIR) return relaunchTrustingSandboxCa();

  const { IapSigner } = await import('../../lib/iap-signer.js');
  const { devFrontDoor, DEV_PATH } = await import('../../dev/front-door.js');
  const signer = await IapSigner.create();
  const log = (line: string) => process.stderr.write(`iap-auth0 dev: ${line}\n`);
  let handler: http.RequestListener = (_req, res) => {
    res.writeHead(503);
    res.end('starting\n');
  };
  let upgrade: (req: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => void = (_q, socket) =>
    socket.destroy();
  const serve = () =>
    http.createServer((q, s) => handler(q, s)).on('upgrade', (q, socket, head) => upgrade(q, socket, head));
  const servers = [serve()];
  await listen(servers[0], opts.port, '127.0.0.1');
  const port = (servers[0].address() as { port: number }).port;
  // localhost may resolve to ::1 first (browsers): answer there too when the machine has IPv6.
  const v6 = serve();
  if (
    await listen(v6, port, '::1').then(
      () => true,
      () => false,
    )
  )
    servers.push(v6);
  const origin = `http://localhost:${port}`;
  const callback = `${origin}${DEV_PATH}/callback`;
  const cleanups: (() => Promise<void>)[] = [];
  // Ctrl-C or SIGTERM, from now on (during the set-up too): the servers close and every clean-up
  // runs (the callback added to the Auth0 app is removed); a second Ctrl-C leaves at once.
  const ctrlC = onInterrupt({ signals: ['SIGINT', 'SIGTERM'] });
  try {
    const setup = opts.sandbox
      ? await sandboxSetup(callback, cleanups)
      : await stateSetup(opts.state ?? DEFAULT_STATE_PATH, callback, cleanups, log);
    const audience = opts.audience ?? setup.audience;
    const allow = opts.allow?.length ? opts.allow : setup.allow;
    const door = devFrontDoor({ origin, routes, app: setup.app, signer, audience, pool: setup.pool, allow, log });
    handler = door.request;
    upgrade = door.upgrade;
    process.stdout.write(
      [
        `IAP_AUTH0_DEV_URL=${origin}`,
        `IAP_AUDIENCE=${audience}`,
        `IAP_AUTH0_DEV_JWKS_URL=${origin}${DEV_PATH}/jwks`,
        ...setup.extra,
        '',
      ].join('\n'),
    );
    process.stderr.write(
      [
        `iap-auth0 dev is ready at ${origin} ` +
          `(${opts.sandbox ? "the sandbox's Auth0 tenant" : `Auth0 ${setup.app.domain}`}):`,
        ...routes.map((r) => `  ${r.prefix.padEnd(12)} → ${r.target.origin}`),
        'Give your app IAP_AUDIENCE and IAP_AUTH0_DEV_JWKS_URL (above) so iap-auth0-identity accepts the ' +
          'local key. Ctrl-C stops.',
        '',
      ].join('\n'),
    );
    await ctrlC.stopped;
  } finally {
    for (const s of servers) {
      s.close();
      s.closeAllConnections();
    }
    (await import('../../dev/front-door.js')).closeTunnels();
    for (const c of cleanups.reverse()) await c().catch((e) => log(`cleanup: ${(e as Error).message}`));
    ctrlC.dispose();
  }
  process.exitCode = EXIT.OK;
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE' && host === '127.0.0.1'
          ? new UserError(`--port ${port} is in use`, EXIT.USAGE, 'choose another --port, or stop what listens there')
          : e,
      ),
    );
    server.listen(port, host, () => resolve());
  });
}

interface Setup {
  app: import('../../dev/login.js').Auth0App;
  audience: string;
  pool: string;
  allow: string[];
  extra: string[];
}

/** The Auth0 app and facts init recorded; our callback added for as long as dev runs. */
async function stateSetup(
  statePath: string,
  callback: string,
  cleanups: (() => Promise<void>)[],
  log: (l: string) => void,
): Promise<Setup> {
  const { readRecorded } = await import('../../core/recorded-setup.js');
  const { checkCredentials } = await import('../../core/local-checks.js');
  const { auth0Management } = await import('../../core/auth0-client.js');
  const { appFor, addCallback, removeCallback } = await import('../../dev/auth0-side.js');
  const { IAP_AUDIENCE } = await import('../../lib/ids.js');
  const state = await readRecorded(statePath, 'dev');
  const clientId = state.stages['auth0-app']?.resources.clientId;
  const i = state.inputs;
  if (!clientId || !i.projectNumber)
    throw new UserError(
      `${statePath} records no Auth0 app yet`,
      EXIT.USAGE,
      'run iap-auth0 init first (or use --sandbox)',
    );
  const env = process.env;
  checkCredentials(env, {
    purpose: 'the credentials of the Auth0 machine-to-machine app init used',
    hint: 'set them as for init, or run iap-auth0 dev --sandbox',
  });
  const mgmt = await auth0Management(
    {
      domain: i.auth0Domain,
      clientId: env.AUTH0_CLIENT_ID!,
      clientSecret: env.AUTH0_CLIENT_SECRET!,
    },
    env,
  );
  if (await addCallback(mgmt, clientId, callback)) {
    log(`added ${callback} to the Auth0 app's callbacks (removed when dev stops)`);
    cleanups.push(async () => {
      await removeCallback(mgmt, clientId, callback);
      log(`removed ${callback} from the Auth0 app's callbacks`);
    });
  }
  return {
    app: await appFor(mgmt, i.auth0Domain, clientId, env),
    audience: IAP_AUDIENCE(i.projectNumber, i.region, i.service),
    pool: i.pool,
    allow: i.allow,
    extra: [],
  };
}

/** A sandbox in this process and a throwaway app in its Auth0 tenant. */
async function sandboxSetup(callback: string, cleanups: (() => Promise<void>)[]): Promise<Setup> {
  const { startSandbox } = await import('../../sandbox/index.js');
  const { auth0Management } = await import('../../core/auth0-client.js');
  const { sandboxApp } = await import('../../dev/auth0-side.js');
  const sb = await startSandbox({ caDir: process.env.IAP_AUTH0_DEV_CA_DIR });
  cleanups.push(() => sb.stop());
  // The sandbox's tenant, with this process's request timeout (IAP_AUTH0_REQUEST_TIMEOUT).
  const mgmt = await auth0Management(
    {
      domain: sb.env.AUTH0_DOMAIN,
      clientId: sb.env.AUTH0_CLIENT_ID,
      clientSecret: sb.env.AUTH0_CLIENT_SECRET,
    },
    process.env,
  );
  const app = await sandboxApp(mgmt, sb.env.AUTH0_DOMAIN, callback, process.env);
  return {
    app,
    audience: PLACEHOLDER_AUDIENCE,
    pool: 'iap-auth0-dev',
    allow: ['pool'],
    extra: [
      `IAP_AUTH0_TEST_USER_EMAIL=${sb.env.IAP_AUTH0_TEST_USER_EMAIL}`,
      `IAP_AUTH0_TEST_USER_PASSWORD=${sb.env.IAP_AUTH0_TEST_USER_PASSWORD}`,
      `IAP_AUTH0_SANDBOX_URL=${sb.env.IAP_AUTH0_SANDBOX_URL}`,
    ],
  };
}

async function relaunchTrustingSandboxCa(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-dev-'));
  try {
    const { createTls } = await import('../../sandbox/core/tls.js');
    const tls = await createTls(path.join(dir, 'leaf'), dir);
    // Its own process group (interrupt.ts): each Ctrl-C reaches it once, passed on by us.
    const child = spawn(process.execPath, ['--', BIN, ...process.argv.slice(2)], {
      stdio: 'inherit',
      detached: true,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: tls.caFile, IAP_AUTH0_DEV_CA_DIR: dir },
    });
    const ctrlC = onInterrupt({ signals: ['SIGINT', 'SIGTERM', 'SIGHUP'], child: () => child });
    const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? 1)));
    ctrlC.dispose();
    process.exitCode = code;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
