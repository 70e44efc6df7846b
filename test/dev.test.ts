// `iap-auth0 dev --sandbox` in front of two tiny local servers (an API and a UI): headless
// Chromium signs in as the sandbox's test user, the UI is served, the API receives an assertion
// that iap-auth0-identity verifies (opted in to the dev key set) with the test user's email, and an
// unauthenticated fetch to the API gets 401 rather than a redirect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startCli } from './helpers/cli.js';
import { verifyIapAssertion } from 'iap-auth0-identity';
import { parseRoute, routeTable, pickRoute } from '../src/dev/routes.js';
import { allowed } from '../src/dev/access.js';
import { CHROMIUM, launchChromium } from './helpers/chromium.js';
import type { Browser } from 'playwright-core';
import type { Sandbox } from '../src/sandbox/index.js';

async function serve(handler: http.RequestListener): Promise<{ url: string; server: http.Server; close(): void }> {
  const s = http.createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    url: `http://localhost:${(s.address() as { port: number }).port}`,
    server: s,
    close: () => {
      s.close();
      s.closeAllConnections();
    },
  };
}

test('routes and access rules', () => {
  const table = routeTable(['/=http://localhost:5173', '/api/=http://localhost:5000']);
  assert.equal(pickRoute(table, '/api/items')?.target.port, '5000');
  assert.equal(pickRoute(table, '/api')?.target.port, '5000');
  assert.equal(pickRoute(table, '/apix')?.target.port, '5173');
  assert.throws(() => parseRoute('api=http://localhost:1'), /must start with \//);
  assert.throws(() => parseRoute('/api/=localhost:5000'), /only http and https|not a URL/);
  assert.throws(() => routeTable(['/=http://a:1', '/=http://b:2']), /given twice/);
  const alice = { sub: 'auth0|alice', email: 'alice@x', groups: ['admins'] };
  assert.equal(allowed(['pool'], 'p', alice), true);
  assert.equal(allowed(['user:auth0|bob'], 'p', alice), false);
  assert.equal(allowed(['user:auth0|alice'], 'p', alice), true);
  assert.equal(allowed(['group:admins'], 'p', alice), true);
});

/** The variables dev prints on stdout, one KEY=VALUE a line. */
const printedVars = (out: string): Record<string, string> =>
  Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

/** Starts `iap-auth0 dev` and waits until it has printed `ready` (its last variable); fails if it exits first. */
async function startDev(args: string[], env: Record<string, string>, cwd: string, ready: RegExp) {
  const dev = startCli(['dev', ...args], env, cwd);
  let out = '';
  dev.child.stdout!.on('data', (d) => (out += d));
  const deadline = Date.now() + 120_000; // start-up on a loaded machine; only a hang reaches it
  while (!ready.test(out)) {
    if (Date.now() > deadline || dev.child.exitCode !== null)
      assert.fail(
        `dev did not start: ${out} ${(await Promise.race([dev.done, Promise.resolve(undefined)]))?.stderr ?? ''}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
  return { dev, vars: printedVars(out) };
}

type Seen = { email?: string; error?: string; unsignedEmail?: string };

/** An API that verifies the assertion as production code would, opted in to the dev key set of `vars()`. */
function verifyingApi(vars: () => Record<string, string>, seen: Seen[]) {
  return serve(async (req, res) => {
    try {
      const id = await verifyIapAssertion(req.headers['x-goog-iap-jwt-assertion'], {
        env: { IAP_AUDIENCE: vars().IAP_AUDIENCE, IAP_AUTH0_DEV_JWKS_URL: vars().IAP_AUTH0_DEV_JWKS_URL },
      });
      seen.push({ email: id.email, unsignedEmail: String(req.headers['x-goog-authenticated-user-email']) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: req.url, email: id.email, principal: id.principal }));
    } catch (e) {
      seen.push({ error: (e as Error).message });
      res.writeHead(401);
      res.end();
    }
  });
}

/**
 * In Chromium: unauthenticated fetch is 401; signing in lands on the UI; the page's own fetch reaches
 * the API with a verifiable assertion; the session cookie is HttpOnly; signing out makes it 401 again.
 */
async function signInWithChromium(browser: Browser, vars: Record<string, string>, seen: Seen[]) {
  const origin = vars.IAP_AUTH0_DEV_URL;
  // Unauthenticated: the API answers 401 to fetch (no redirect a script could not follow).
  const anon = await fetch(`${origin}/api/items`);
  assert.equal(anon.status, 401);
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  await page.goto(`${origin}/dashboard?login=true`);
  await page.waitForSelector('input[name="username"]', { timeout: 60_000 });
  await page.fill('input[name="username"]', vars.IAP_AUTH0_TEST_USER_EMAIL);
  await page.fill('input[name="password"]', vars.IAP_AUTH0_TEST_USER_PASSWORD);
  await Promise.all([page.waitForURL(`${origin}/dashboard`, { timeout: 60_000 }), page.click('button[type="submit"]')]);
  assert.equal(await page.textContent('#ui'), 'Hello UI at /dashboard');
  // The page's own fetch to the API carries the session; the API verified the assertion.
  const body = await page.evaluate(async () => (await fetch('/api/items?x=1')).json());
  assert.deepEqual(
    { path: body.path, email: body.email },
    { path: '/api/items?x=1', email: vars.IAP_AUTH0_TEST_USER_EMAIL },
  );
  assert.match(
    body.principal,
    /^principal:\/\/iam\.googleapis\.com\/locations\/global\/workforcePools\/iap-auth0-dev\/subject\/auth0\|/,
  );
  assert.deepEqual(seen.at(-1), {
    email: vars.IAP_AUTH0_TEST_USER_EMAIL,
    unsignedEmail: `sts.google.com:${vars.IAP_AUTH0_TEST_USER_EMAIL}`,
  });
  // The session cookie is HttpOnly on localhost.
  const cookie = (await context.cookies(origin)).find((c) => c.name === 'IAP_AUTH0_DEV_SESSION');
  assert.equal(cookie?.httpOnly, true);
  // Signing out as on IAP; the API is 401 again for scripts.
  await page.goto(`${origin}/?gcp-iap-mode=CLEAR_LOGIN_COOKIE`);
  assert.equal(await page.evaluate(async () => (await fetch('/api/items')).status), 401);
}

test(
  'dev --sandbox: Chromium signs in, the UI is served, the API gets a verifiable assertion; unauthenticated ' +
    'fetch is 401',
  async (t) => {
    if (!existsSync(CHROMIUM)) {
      if (process.env.IAP_AUTH0_SKIP_BROWSER === '1') {
        t.skip('Chromium is missing');
        return;
      }
      assert.fail('Chromium is missing: run npm run test:setup');
    }
    let vars: Record<string, string> = {};
    const seen: Seen[] = [];
    const api = await verifyingApi(() => vars, seen);
    const ui = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!DOCTYPE html><title>UI</title><h1 id="ui">Hello UI at ${req.url}</h1>`);
    });
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-dev-'));
    const routes = ['--route', `/api/=${api.url}`, '--route', `/=${ui.url}`];
    const started = await startDev(['--sandbox', '--port', '0', ...routes], {}, cwd, /IAP_AUTH0_SANDBOX_URL=/);
    const dev = started.dev;
    vars = started.vars;
    const origin = vars.IAP_AUTH0_DEV_URL;
    assert.match(origin, /^http:\/\/localhost:\d+$/);
    assert.equal(vars.IAP_AUTH0_DEV_JWKS_URL, `${origin}/__iap-auth0/jwks`);
    const browser = await launchChromium();
    try {
      await signInWithChromium(browser, vars, seen);
    } finally {
      await browser.close();
      dev.child.kill('SIGTERM');
      const r = await dev.done;
      api.close();
      ui.close();
      assert.equal(r.code, 0, r.stderr);
    }
  },
);

/** Where the running dev is, as the upstream app checks it: its origin (for the key set) and its audience. */
type DevAt = { origin: string; audience: string };

/** The identity in the request's assertion, checked against the running dev's key set and audience. */
const verifiedBy = (at: DevAt, req: http.IncomingMessage) =>
  verifyIapAssertion(req.headers['x-goog-iap-jwt-assertion'], {
    audience: at.audience,
    env: { IAP_AUTH0_DEV_JWKS_URL: `${at.origin}/__iap-auth0/jwks` },
  });

/** An app that answers the verified email over HTTP, and over a "WebSocket" upgrade (101, then a greeting). */
async function verifyingApp(at: DevAt) {
  const app = await serve(async (req, res) => {
    try {
      const id = await verifiedBy(at, req);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ email: id.email }));
    } catch (e) {
      res.writeHead(401);
      res.end((e as Error).message);
    }
  });
  // The same server speaks "WebSocket" on upgrade: it answers 101, then greets the verified caller.
  app.server.on('upgrade', async (req: http.IncomingMessage, socket: import('node:stream').Duplex) => {
    try {
      const id = await verifiedBy(at, req);
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      socket.write(`hello ${id.email}`);
    } catch {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
    }
  });
  return app;
}

/** A WebSocket upgrade request to `origin`/ws: its status, and the greeting after a 101. */
function upgrade(origin: string, cookie?: string) {
  return new Promise<{ status: number; greeting?: string }>((resolve, reject) => {
    const r = http.request(`${origin}/ws`, {
      headers: { connection: 'Upgrade', upgrade: 'websocket', ...(cookie ? { cookie } : {}) },
    });
    r.on('upgrade', (res, socket, head) => {
      // The greeting may arrive with the 101 (in `head`) or right after it.
      const done = (d: Buffer) => {
        resolve({ status: res.statusCode!, greeting: d.toString() });
        socket.destroy();
      };
      if (head.length) done(head);
      else socket.once('data', done);
    });
    r.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode! });
    });
    r.on('error', reject);
    r.end();
  });
}

/** A WebSocket upgrade goes through with the session and the identity; without it, 401. */
async function assertWebSocket(sb: Sandbox, origin: string) {
  const { Browserless } = await import('./helpers/browserless.js');
  const jar = new Browserless();
  await jar.signIn(`${origin}/whoami`, sb.env.IAP_AUTH0_TEST_USER_EMAIL, sb.env.IAP_AUTH0_TEST_USER_PASSWORD);
  assert.equal((await upgrade(origin)).status, 401);
  const ws = await upgrade(origin, jar.jar.header(new URL(origin)));
  assert.equal(ws.status, 101);
  assert.equal(
    ws.greeting,
    `hello ${sb.env.IAP_AUTH0_TEST_USER_EMAIL}`,
    'the upstream verified the assertion on the upgrade request',
  );
}

/** The callbacks of the Auth0 app `init` made in `cwd`, read through the Management API. */
async function appCallbacks(sb: Sandbox, cwd: string) {
  const { ManagementClient } = await import('auth0');
  const { readFile } = await import('node:fs/promises');
  const mgmt = new ManagementClient({
    domain: sb.env.AUTH0_DOMAIN,
    clientId: sb.env.AUTH0_CLIENT_ID,
    clientSecret: sb.env.AUTH0_CLIENT_SECRET,
  });
  const appId = JSON.parse(await readFile(path.join(cwd, '.iap-auth0', 'state.json'), 'utf8')).stages['auth0-app']
    .resources.clientId;
  return async () => ((await mgmt.clients.get(appId)) as { callbacks: string[] }).callbacks;
}

test(
  'dev with the state file: the real Auth0 app gets a localhost callback while dev runs (merged, then removed); ' +
    'the production audience; access binding enforced',
  async () => {
    const { useSandbox } = await import('./helpers/sandbox.js');
    const { runCli } = await import('./helpers/cli.js');
    const { Browserless } = await import('./helpers/browserless.js');
    const sb = await useSandbox();
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-dev-state-'));
    const init = await runCli(['init', '--yes', '--service', 'hello'], sb.env, cwd);
    assert.equal(init.code, 0, init.stderr);
    const callbacks = await appCallbacks(sb, cwd);
    const before = await callbacks();
    const at: DevAt = { origin: '', audience: '' };
    const app = await verifyingApp(at);
    const start = async (extra: string[] = []) => {
      const { dev, vars } = await startDev(
        ['--port', '0', '--route', `/=${app.url}`, ...extra],
        sb.env,
        cwd,
        /IAP_AUTH0_DEV_JWKS_URL=/,
      );
      at.origin = vars.IAP_AUTH0_DEV_URL;
      at.audience = vars.IAP_AUDIENCE;
      return dev;
    };
    const dev = await start();
    assert.equal(at.audience, '/projects/415104041262/locations/us-central1/services/hello', 'the production audience');
    const added = `${at.origin}/__iap-auth0/callback`;
    assert.deepEqual(await callbacks(), [...before, added], 'merged into the existing callbacks');
    const page = await new Browserless().signIn(
      `${at.origin}/whoami`,
      sb.env.IAP_AUTH0_TEST_USER_EMAIL,
      sb.env.IAP_AUTH0_TEST_USER_PASSWORD,
    );
    assert.equal(page.status, 200, page.text);
    assert.deepEqual(JSON.parse(page.text), { email: sb.env.IAP_AUTH0_TEST_USER_EMAIL });
    await assertWebSocket(sb, at.origin);
    dev.child.kill('SIGTERM');
    assert.equal((await dev.done).code, 0);
    assert.deepEqual(await callbacks(), before, 'removed on exit, the others kept');

    // Someone not in the access binding meets IAP's "You don't have access".
    const strict = await start(['--allow', 'user:auth0|somebody-else']);
    const denied = await new Browserless().signIn(
      `${at.origin}/whoami`,
      sb.env.IAP_AUTH0_TEST_USER_EMAIL,
      sb.env.IAP_AUTH0_TEST_USER_PASSWORD,
    );
    assert.equal(denied.status, 403);
    assert.match(denied.text, /You don't have access/);
    strict.child.kill('SIGTERM');
    await strict.done;
    app.close();
  },
);
