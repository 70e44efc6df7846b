// The sign-in chain in a real browser: Debian's Chromium driven by playwright-core. Proves what the
// browser-less walk cannot: real cookie handling (__Host- prefix, SameSite=Lax across the sandbox's
// origins), real redirects, and Auth0's HTML form filled in and submitted by a person's actions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useSandbox, control } from './helpers/sandbox.js';
import { SigninWorld, POOL, PROVIDER } from './helpers/signin-world.js';
import { CHROMIUM, launchChromium } from './helpers/chromium.js';

const MISSING =
  `Chromium is missing: ${CHROMIUM} does not exist. .ci/run installs it (npm run test:setup, i.e. ` +
  'scripts/install-test-tools.sh); ' +
  'set IAP_AUTH0_SKIP_BROWSER=1 to skip this test instead.';
const here = path.dirname(fileURLToPath(import.meta.url));
// dist/test/… → the repository root.
const resultsDir = path.resolve(here, '..', '..', 'test-results');

test('chromium: open the service, sign in at Auth0, land on the app page', async (t) => {
  if (!existsSync(CHROMIUM)) {
    if (process.env.IAP_AUTH0_SKIP_BROWSER === '1') {
      t.skip(MISSING);
      return;
    }
    assert.fail(`\n\n*** ${MISSING} ***\n`);
  }
  const sb = await useSandbox();
  const w = new SigninWorld(sb);
  await w.all('hello');

  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${w.uri('hello')}/welcome`);
    // Auth0's Universal Login form.
    await page.waitForSelector('input[name="username"]', { timeout: 60_000 });
    assert.match(page.url(), new RegExp(`^https://${sb.env.AUTH0_DOMAIN.replace('.', '\\.')}/u/login\\?state=`));
    await page.fill('input[name="username"]', sb.env.IAP_AUTH0_TEST_USER_EMAIL);
    await page.fill('input[name="password"]', sb.env.IAP_AUTH0_TEST_USER_PASSWORD);
    await Promise.all([
      page.waitForURL(`${w.uri('hello')}/welcome`, { timeout: 60_000 }),
      page.click('button[type="submit"]'),
    ]);
    await page.waitForSelector('#verified-email');
    assert.equal(await page.title(), 'Hello from hello');
    assert.equal(await page.textContent('#verified-email'), sb.env.IAP_AUTH0_TEST_USER_EMAIL);
    assert.match(
      (await page.textContent('#principal')) ?? '',
      /^principal:\/\/iam\.googleapis\.com\/locations\/global\/workforcePools\/sandbox-pool\/subject\/auth0\|/,
    );
    // The IAP session cookie as Chromium stored it: __Host- prefix, Secure, HttpOnly, Lax.
    const cookies = await context.cookies(w.uri('hello'));
    const session = cookies.find((c) => c.name.startsWith('__Host-GCP_IAP_AUTH_TOKEN_'));
    assert.ok(session, `cookies: ${cookies.map((c) => c.name).join(', ')}`);
    assert.equal(session.secure, true);
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Lax');
    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: path.join(resultsDir, 'chromium-app.png'), fullPage: true });
    // A second visit goes straight to the app on the session cookie.
    const again = await page.goto(`${w.uri('hello')}/`);
    assert.equal(again?.status(), 200);
    await context.close();

    // The hops Google's workforce sign-in may add before the IdP (not on record; the sandbox plays
    // them): a /signin/{provider} redirect, and a provider chooser a person clicks through.
    for (const hops of ['signin-path', 'chooser'] as const) {
      await control(sb, '/emulation', { signinHops: hops });
      const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
      const p = await ctx.newPage();
      const seen: string[] = [];
      p.on('request', (r) => {
        if (r.isNavigationRequest()) seen.push(new URL(r.url()).pathname);
      });
      await p.goto(`${w.uri('hello')}/welcome`);
      if (hops === 'chooser') {
        const link = p.locator(`a[href*="/signin/locations/global/workforcePools/${POOL}/providers/${PROVIDER}"]`);
        await link.waitFor({ timeout: 60_000 });
        await link.click();
      }
      await p.waitForSelector('input[name="username"]', { timeout: 60_000 });
      await p.fill('input[name="username"]', sb.env.IAP_AUTH0_TEST_USER_EMAIL);
      await p.fill('input[name="password"]', sb.env.IAP_AUTH0_TEST_USER_PASSWORD);
      await Promise.all([
        p.waitForURL(`${w.uri('hello')}/welcome`, { timeout: 60_000 }),
        p.click('button[type="submit"]'),
      ]);
      await p.waitForSelector('#verified-email');
      assert.equal(await p.textContent('#verified-email'), sb.env.IAP_AUTH0_TEST_USER_EMAIL, hops);
      assert.ok(
        seen.includes(`/signin/locations/global/workforcePools/${POOL}/providers/${PROVIDER}`),
        `${hops}: ${seen.join(' → ')}`,
      );
      // Workforce /authorize, Auth0's /authorize, then workforce /authorize again with the session.
      assert.equal(seen.filter((x) => x === '/authorize').length, 3, `${hops}: ${seen.join(' → ')}`);
      await ctx.close();
    }
  } finally {
    await browser.close();
  }
});
