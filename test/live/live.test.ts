// `npm run test:live`: the whole story against a REAL Google Cloud project and Auth0 tenant, what a
// maintainer runs before a release. init → verify --wait (with --report) → a real Chromium sign-in
// as a test user of the tenant → destroy (always attempted) → nothing carrying this run's setup id
// left, read through the real APIs. A unique service name per run (iap-live-<random>).
// Skipped, saying which variables to set, unless they are set. Never part of `npm test`
// (test/run.ts leaves test/live/ out unless given --live).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/cli.js';
import { liveLeftovers } from './leftovers.js';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';

/**
 * What a live run needs; Google credentials come from ADC, GOOGLE_APPLICATION_CREDENTIALS or
 * CLOUDSDK_AUTH_ACCESS_TOKEN.
 */
export const LIVE_VARIABLES = [
  'IAP_AUTH0_LIVE_PROJECT',
  'IAP_AUTH0_LIVE_REGION',
  'AUTH0_DOMAIN',
  'AUTH0_CLIENT_ID',
  'AUTH0_CLIENT_SECRET',
  'IAP_AUTH0_LIVE_USER_EMAIL',
  'IAP_AUTH0_LIVE_USER_PASSWORD',
] as const;
/** Variables that point iap-auth0 at a sandbox: a live run refuses to start with any of them set. */
const SANDBOX_VARIABLES = [
  'CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM',
  'CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN',
  'CLOUDSDK_API_ENDPOINT_OVERRIDES_IAP',
  'CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER',
  'CLOUDSDK_API_ENDPOINT_OVERRIDES_SERVICEUSAGE',
  'IAP_AUTH0_SIGNIN_ORIGIN',
  'IAP_AUTH0_IAP_JWKS_URL',
  'IAP_AUTH0_SANDBOX_URL',
];
const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.resolve(here, '..', '..', '..', 'test-results');

function googleCredentials(env: NodeJS.ProcessEnv): string | undefined {
  if (env.CLOUDSDK_AUTH_ACCESS_TOKEN || env.GOOGLE_OAUTH_ACCESS_TOKEN) return 'an access token';
  if (env.GOOGLE_APPLICATION_CREDENTIALS && existsSync(env.GOOGLE_APPLICATION_CREDENTIALS))
    return 'GOOGLE_APPLICATION_CREDENTIALS';
  const adc = path.join(
    env.CLOUDSDK_CONFIG ?? path.join(os.homedir(), '.config', 'gcloud'),
    'application_default_credentials.json',
  );
  return existsSync(adc) ? 'application default credentials' : undefined;
}

export function liveSkipReason(env: NodeJS.ProcessEnv): string | undefined {
  const missing: string[] = LIVE_VARIABLES.filter((k) => !env[k]?.trim());
  if (!googleCredentials(env))
    missing.push(
      'Google credentials (gcloud auth application-default login, GOOGLE_APPLICATION_CREDENTIALS or ' +
        'CLOUDSDK_AUTH_ACCESS_TOKEN)',
    );
  if (!missing.length) return undefined;
  return (
    `live test skipped: set ${missing.join(', ')} to run init, verify, a Chromium sign-in and destroy against a ` +
    'real project and Auth0 tenant (see README, "Testing against a real project")'
  );
}

test('live: init, verify --wait, a real Chromium sign-in, destroy, no leftovers', {
  timeout: 60 * 60_000,
  // biome-ignore lint/complexity/noExcessiveLinesPerFunction: one live run on one real project, its steps in order
}, async (t) => {
  const skip = liveSkipReason(process.env);
  if (skip) {
    t.skip(skip);
    return;
  }
  const sandboxVars = SANDBOX_VARIABLES.filter((k) => process.env[k]);
  assert.deepEqual(
    sandboxVars,
    [],
    `these variables point iap-auth0 at a sandbox; unset them for a live run: ${sandboxVars.join(', ')}`,
  );

  const project = process.env.IAP_AUTH0_LIVE_PROJECT!;
  const region = process.env.IAP_AUTH0_LIVE_REGION!;
  const service = `iap-live-${randomBytes(3).toString('hex')}`;
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-live-'));
  const env: Record<string, string> = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const statePath = path.join(cwd, '.iap-auth0', 'state.json');
  const cli = (...args: string[]) => runCli(args, env, cwd);
  t.diagnostic(`service ${service} in ${project}/${region}; working folder ${cwd}`);
  const outputs: string[] = [];

  let setupId: string | undefined;
  let organization: string | undefined;
  let failure: unknown;
  try {
    const init = await cli(
      'init',
      '--yes',
      '--service',
      service,
      '--project',
      project,
      '--region',
      region,
      ...(process.env.IAP_AUTH0_LIVE_ORGANIZATION ? ['--organization', process.env.IAP_AUTH0_LIVE_ORGANIZATION] : []),
      ...(process.env.IAP_AUTH0_LIVE_IMAGE ? ['--image', process.env.IAP_AUTH0_LIVE_IMAGE] : []),
    );
    outputs.push(init.stdout, init.stderr);
    const recorded = existsSync(statePath) ? JSON.parse(await readFile(statePath, 'utf8')) : undefined;
    setupId = recorded?.setupId;
    organization = recorded?.inputs?.organization;
    assert.equal(init.code, 0, `init failed:\n${init.stderr}`);

    const report = path.join(cwd, 'verify-report.json');
    const verify = await cli(
      'verify',
      '--wait',
      process.env.IAP_AUTH0_LIVE_WAIT ?? '15m',
      '--json',
      '--report',
      report,
    );
    outputs.push(verify.stdout, verify.stderr);
    const doc = JSON.parse(verify.stdout) as {
      ok: boolean;
      serviceUrl: string;
      checks: { id: string; ok: boolean; detail: string; hint?: string }[];
    };
    assert.equal(
      verify.code,
      0,
      `verify failed (report: ${report}):\n${JSON.stringify(
        doc.checks.filter((c) => !c.ok),
        null,
        2,
      )}`,
    );
    const reportText = await readFile(report, 'utf8');
    for (const secret of [env.AUTH0_CLIENT_SECRET, env.IAP_AUTH0_LIVE_USER_PASSWORD])
      assert.ok(!reportText.includes(secret!), 'no secret in the report');
    assert.doesNotMatch(reportText, /\b(code|state|nonce)=(?!\[redacted\])/);

    await t.test("a real Chromium sign-in as the tenant's test user lands on the service", async (st) => {
      if (!existsSync(CHROMIUM)) {
        if (process.env.IAP_AUTH0_SKIP_BROWSER === '1') {
          st.skip(`${CHROMIUM} is missing`);
          return;
        }
        assert.fail(`${CHROMIUM} is missing: npm run test:setup installs it (or set IAP_AUTH0_SKIP_BROWSER=1)`);
      }
      await browserSignIn(
        doc.serviceUrl,
        recorded.inputs,
        env.IAP_AUTH0_LIVE_USER_EMAIL!,
        env.IAP_AUTH0_LIVE_USER_PASSWORD!,
        env.AUTH0_DOMAIN!,
      );
    });
  } catch (e) {
    failure = e;
  } finally {
    // Always attempt destroy, whatever failed above, as long as init recorded anything.
    if (existsSync(statePath)) {
      const destroy = await cli('destroy', '--force');
      outputs.push(destroy.stdout, destroy.stderr);
      if (destroy.code !== 0)
        failure ??= new Error(`destroy failed (exit ${destroy.code}); remove ${service} by hand:\n${destroy.stderr}`);
    }
  }
  if (setupId) {
    const { googleClients } = await import('../../src/google/clients.js');
    const { auth0Management } = await import('../../src/core/auth0-client.js');
    const g = googleClients(env, { quotaProject: project });
    const mgmt = await auth0Management(
      {
        domain: env.AUTH0_DOMAIN!,
        clientId: env.AUTH0_CLIENT_ID!,
        clientSecret: env.AUTH0_CLIENT_SECRET!,
      },
      env,
    );
    const left = await liveLeftovers(g, mgmt, { project, region, organization, setupId });
    if (left.length)
      failure ??= new Error(`setup ${setupId} left these behind (delete them by hand):\n  ${left.join('\n  ')}`);
    t.diagnostic(`leftovers of setup ${setupId}: ${left.length ? left.join(', ') : 'none'}`);
  }
  for (const s of [env.AUTH0_CLIENT_SECRET, env.IAP_AUTH0_LIVE_USER_PASSWORD])
    assert.ok(!outputs.join('\n').includes(s!), 'no secret printed');
  if (failure) throw failure;
});

/**
 * Opens the service in Chromium, picks our provider if Google shows a chooser, signs in at Auth0 (identifier-first or
 * not), and must land on the service.
 */
async function browserSignIn(
  serviceUrl: string,
  inputs: { pool: string; provider: string },
  email: string,
  password: string,
  auth0Domain: string,
): Promise<void> {
  const browser = await launchChromium();
  const page = await (await browser.newContext()).newPage();
  const shot = async (name: string) => {
    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: path.join(resultsDir, `live-${name}.png`), fullPage: true }).catch(() => undefined);
  };
  try {
    await page.goto(serviceUrl);
    const providerLink = page.locator(
      `a[href*="/signin/locations/global/workforcePools/${inputs.pool}/providers/${inputs.provider}"]`,
    );
    const username = page.locator('input[name="username"], input#username');
    // Google may show a provider chooser before Auth0 (not on record): click ours if it does.
    await Promise.race([
      username.first().waitFor({ timeout: 60_000 }),
      providerLink
        .first()
        .waitFor({ timeout: 60_000 })
        .then(() => providerLink.first().click()),
    ]);
    await username.first().waitFor({ timeout: 60_000 });
    if (!new URL(page.url()).host.endsWith(auth0Domain.split(':')[0])) await shot('login-elsewhere');
    await username.first().fill(email);
    const pw = page.locator('input[name="password"]');
    if (!(await pw.isVisible())) {
      // Identifier-first Universal Login: the password comes on the next page.
      await page.locator('button[type="submit"][name="action"], button[type="submit"]').first().click();
      await pw.waitFor({ timeout: 30_000 });
    }
    await pw.fill(password);
    await page.locator('button[type="submit"][name="action"], button[type="submit"]').first().click();
    const origin = new URL(serviceUrl).origin;
    await page.waitForURL((u) => u.origin === origin, { timeout: 120_000 });
    const again = await page.goto(serviceUrl);
    if (again?.status() !== 200) await shot('landed');
    assert.equal(
      again?.status(),
      200,
      `the service answered ${again?.status()} after sign-in (screenshot in test-results/live-landed.png)`,
    );
    assert.doesNotMatch(await page.content(), /You don't have access/);
  } catch (e) {
    await shot('failure');
    throw e;
  } finally {
    await browser.close();
  }
}
