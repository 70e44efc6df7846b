// Who may sign in, for real (issue 14): `init --allow email:` / `role:` / `group:` run as the CLI,
// then people sign in with Debian's Chromium through the sandbox's IAP, Google sign-in and Auth0.
// email: admits the verified owner of the address and nobody else (not another user, not an
// unverified sign-up with the same address); role: admits a role holder through the post-login
// Action iap-auth0 installs, and nobody without the role; people not listed are refused at sign-in
// by the attribute condition init derives from the list; each re-run with another list changes
// who gets in once IAM has propagated (the sandbox's clock), leaving no member of the old list;
// destroy removes the Action and its binding and leaves a foreign Action bound. The tests share one
// sandbox and one setup and run in order.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { useSandbox, clientsFor, moveClock } from './helpers/sandbox.js';
import { runCli } from './helpers/cli.js';
import { mgmtFor } from './helpers/auth0-mgmt.js';
import { CHROMIUM, launchChromium } from './helpers/chromium.js';

const sb = await useSandbox();
const mgmt = mgmtFor(sb);
const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-allow-'));
const SERVICE = ['--service', 'hello', '--region', 'europe-west1'];
const POOL_BASE = 'iam.googleapis.com/locations/global/workforcePools/';
const noBrowser = !existsSync(CHROMIUM) && process.env.IAP_AUTH0_SKIP_BROWSER === '1';
let browser: Browser | undefined;
after(() => browser?.close());

/** An account of the sandbox's tenant: by address and connection (docs/SANDBOX.md, "Auth0 test users"). */
const account = (email: string, connection = 'Username-Password-Authentication') => {
  const u = sb.world.auth0Users.find((x) => x.email === email && x.connection === connection);
  assert.ok(u, `${email} in ${connection}`);
  return { email: u.email, password: u.password };
};
const ALICE = account('alice@sandbox.example');
const ALICE_TWIN = account('alice@sandbox.example', 'sandbox-signups'); // the same address, never verified
const BOB = account('bob@sandbox.example');
const ERIN = account('erin@sandbox.example', 'sandbox-entra'); // groups engineering, iap-users; no role

const state = async () => JSON.parse(await readFile(path.join(cwd, '.iap-auth0', 'state.json'), 'utf8'));

async function init(...allow: string[]): Promise<void> {
  const r = await runCli(['init', '--yes', ...SERVICE, ...allow.flatMap((a) => ['--allow', a])], sb.env, cwd);
  assert.equal(r.code, 0, r.stderr);
  await moveClock(sb, sb.world.profile.iamPropagationMs + 20); // IAM and the provider's mapping have propagated
}

/**
 * Signs in with Chromium (a fresh profile each time): 'app' when the app answered, 'refused' when
 * Google's sign-in rejected the credential by the provider's attribute condition, 'denied' for IAP's
 * "You don't have access".
 */
async function signIn(who: { email: string; password: string }): Promise<'app' | 'denied' | 'refused'> {
  browser ??= await launchChromium();
  const uri = (await state()).stages.deploy.resources.uri as string;
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    await page.goto(`${uri}/`);
    await page.waitForSelector('input[name="username"]', { timeout: 60_000 });
    await page.fill('input[name="username"]', who.email);
    await page.fill('input[name="password"]', who.password);
    await page.click('button[type="submit"]');
    await page.waitForFunction(
      () =>
        !!document.querySelector('#verified-email') ||
        /You don't have access|rejected by the attribute condition/.test(document.body?.textContent ?? ''),
      undefined,
      { timeout: 60_000 },
    );
    const text = (await page.textContent('body')) ?? '';
    if (/rejected by the attribute condition/.test(text)) return 'refused';
    if (/You don't have access/.test(text)) return 'denied';
    assert.ok(page.url().startsWith(uri), page.url());
    assert.equal(await page.textContent('#verified-email'), who.email, text.slice(0, 300));
    return 'app';
  } finally {
    await context.close();
  }
}

/** The accessor role's members on the service, as Google has them. */
async function accessMembers(): Promise<string[]> {
  const st = await state();
  const policy = (
    await clientsFor(sb).iap.getIamPolicy({ resource: st.stages.access.resources.iapResource, requestBody: {} })
  ).data;
  return policy.bindings?.find((b) => b.role === 'roles/iap.httpsResourceAccessor')?.members ?? [];
}

test('--allow email: admits the verified owner only: not another user, not an unverified sign-up', async (t) => {
  if (noBrowser) return t.skip('Chromium is missing (IAP_AUTH0_SKIP_BROWSER=1)');
  await init('email:Alice@Sandbox.example');
  const pool = (await state()).inputs.pool;
  assert.deepEqual(await accessMembers(), [`principalSet://${POOL_BASE}${pool}/attribute.email/alice@sandbox.example`]);
  assert.equal(await signIn(ALICE), 'app');
  // The derived attribute condition refuses them at sign-in, before IAM is asked.
  assert.equal(await signIn(BOB), 'refused');
  assert.equal(await signIn(ALICE_TWIN), 'refused', 'an unverified account with the same address');
});

test('the condition follows the list: with pool it is removed, and IAM alone decides', async (t) => {
  if (noBrowser) return t.skip('Chromium is missing (IAP_AUTH0_SKIP_BROWSER=1)');
  const st = await state();
  const provider = sb.world.providers.get(`${st.inputs.pool}/${st.inputs.provider}`)!;
  assert.equal(
    provider.attributeCondition,
    '(has(attribute.email) && attribute.email in ["alice@sandbox.example"])',
    'the condition admits exactly the listed address',
  );
  await init('pool');
  assert.equal(provider.attributeCondition ?? '', '');
  assert.equal((await state()).stages['workforce-pool'].resources.providerCondition, undefined);
  assert.equal(await signIn(BOB), 'app', 'everyone in the pool');
});

/** A post-login Action someone else installed and bound before iap-auth0's. */
let foreign: string;

test('--allow role:admin: the Action is bound after a foreign one; a role holder gets in, others not', async (t) => {
  if (noBrowser) return t.skip('Chromium is missing (IAP_AUTH0_SKIP_BROWSER=1)');
  const made = await mgmt.actions.create({
    name: 'someone else: audit',
    supported_triggers: [{ id: 'post-login', version: 'v3' }],
    code:
      'exports.onExecutePostLogin = async (event, api) => ' +
      "{ api.idToken.setCustomClaim('https://example.com/seen', true); };",
  });
  foreign = made.id!;
  await mgmt.actions.deploy(foreign);
  await mgmt.actions.triggers.bindings.updateMany('post-login', {
    bindings: [{ ref: { type: 'action_id', value: foreign } }],
  });
  await init('role:admin');
  const ours = (await state()).stages['auth0-action'].resources.actionId;
  const bound = (await mgmt.actions.triggers.bindings.list('post-login')).data.map((b) => b.action?.id);
  assert.deepEqual(bound, [foreign, ours], "iap-auth0's Action is appended; the foreign one stays first");
  const pool = (await state()).inputs.pool;
  assert.deepEqual(await accessMembers(), [`principalSet://${POOL_BASE}${pool}/group/admin`], 'no email member left');
  assert.equal(await signIn(ALICE), 'app', 'Alice holds admin');
  assert.equal(await signIn(BOB), 'refused', 'Bob holds no role');
  assert.equal(await signIn(ERIN), 'refused', "Erin's groups are not the admin role");
});

test('a re-run with group:engineering: the Entra user gets in, the admin no longer does', async (t) => {
  if (noBrowser) return t.skip('Chromium is missing (IAP_AUTH0_SKIP_BROWSER=1)');
  await init('group:engineering');
  const pool = (await state()).inputs.pool;
  assert.deepEqual(await accessMembers(), [`principalSet://${POOL_BASE}${pool}/group/engineering`]);
  assert.equal(await signIn(ERIN), 'app');
  assert.equal(await signIn(ALICE), 'refused');
});

test('destroy removes the Action and its binding; the foreign Action stays bound', async (t) => {
  if (noBrowser) return t.skip('Chromium is missing (IAP_AUTH0_SKIP_BROWSER=1)');
  const ours = (await state()).stages['auth0-action'].resources.actionId;
  const r = await runCli(['destroy', '--force'], sb.env, cwd);
  assert.equal(r.code, 0, r.stderr);
  const bound = (await mgmt.actions.triggers.bindings.list('post-login')).data.map((b) => b.action?.id);
  assert.deepEqual(bound, [foreign]);
  assert.equal(sb.world.auth0Actions.actions.has(ours), false, 'our Action is deleted');
  assert.equal(sb.world.auth0Actions.actions.has(foreign), true, 'the foreign Action is kept');
});
