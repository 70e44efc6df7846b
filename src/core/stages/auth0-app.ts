// Stage 2: the Auth0 application Google's workforce provider signs users in with. A confidential
// regular_web app (code flow only, RS256), found by its tag in client_metadata (names are not
// unique and an untagged app with our name is someone else's), created without automatic retry
// (a retried create could duplicate it; after any failure we look it up by tag again), and
// merged, never replaced: callbacks and web origins others added stay.
import type { ManagementClient } from 'auth0';
import { PROVIDER_RESOURCE, SIGNIN_CALLBACK_PATH } from '../../lib/ids.js';
import { withRetry } from '../retry.js';
import { describeAuth0Error } from '../auth0-errors.js';
import { runCheck, ok, failed, firstFailure, type CheckResult } from '../check.js';
import { auth0Discovery } from '../auth0-client.js';
import type { CoreContext } from '../context.js';
import type { Stage } from '../stage.js';

type Client = { client_id?: string; name?: string; app_type?: string; callbacks?: string[]; web_origins?: string[]; grant_types?: string[];
  initiate_login_uri?: string; client_metadata?: Record<string, unknown>; jwt_configuration?: { alg?: string }; client_secret?: string };

export const TAG = 'iap-auth0';
export const callbackUrl = (ctx: Pick<CoreContext, 'inputs' | 'signinOrigin'>) => `${ctx.signinOrigin}${SIGNIN_CALLBACK_PATH(ctx.inputs.pool, ctx.inputs.provider)}`;

/** Auth0 answers worth retrying: rate limits, server errors and network failures (no status). */
const isTransientAuth0 = (e: unknown) => {
  const status = (e as { statusCode?: number }).statusCode;
  return status === undefined ? (e as Error)?.name !== 'AbortError' : status === 429 || status >= 500;
};

const statusOf = (e: unknown) => (e as { statusCode?: number }).statusCode;

/** Bounded retries of Auth0 rate limits and server errors (a create only behind a fresh look for our tagged app). */
const auth0Retry = (ctx: Pick<CoreContext, 'signal'>) => ({ signal: ctx.signal, attempts: 8, baseMs: 300, retryable: isTransientAuth0 });

/** Every app tagged as ours for this provider (all pages). */
async function findTagged(mgmt: ManagementClient, provider: string): Promise<Client[]> {
  const found: Client[] = [];
  let page = await mgmt.clients.list({ per_page: 100, fields: 'client_id,name,client_metadata,callbacks,app_type', include_fields: true });
  for (;;) {
    for (const c of page.data as Client[]) if (c.client_metadata?.managed_by === TAG && c.client_metadata?.iap_auth0_provider === provider) found.push(c);
    if (!page.hasNextPage()) break;
    page = await page.getNextPage();
  }
  return found;
}

async function findOurs(ctx: CoreContext, mgmt: ManagementClient): Promise<Client | undefined> {
  const recorded = ctx.state.stage('auth0-app').resources.clientId;
  if (recorded) {
    try { return (await mgmt.clients.get(recorded)) as Client; } catch (e) { if (statusOf(e) !== 404) throw e; }
  }
  const tagged = await findTagged(mgmt, PROVIDER_RESOURCE(ctx.inputs.pool, ctx.inputs.provider));
  if (tagged.length > 1) throw new Error(`several Auth0 apps are tagged for this provider (${tagged.map((c) => c.client_id).join(', ')}); delete the extra ones in the Auth0 dashboard and re-run`);
  return tagged[0] && ((await mgmt.clients.get(tagged[0].client_id!)) as Client);
}

/** An Application Login URI Auth0 accepts: https, not a loopback host (the sandbox's URLs are). */
export function loginUriFor(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const u = new URL(url);
  return u.protocol === 'https:' && !/^(localhost|127\.|\[::1\])/.test(u.hostname) ? u.origin : undefined;
}

export const auth0AppStage: Stage = {
  id: 'auth0-app',
  title: 'Auth0 application',
  verify: verifyAuth0App,
  owned: (ctx) => {
    const id = ctx.state.stage('auth0-app').resources.clientId;
    return id ? [`Auth0 application ${id} (only if still tagged as iap-auth0's)`] : [];
  },
  destroy: destroyAuth0App,

  async plan(ctx) {
    const app = await findOurs(ctx, await ctx.auth0()).catch((e) => { throw describeAuth0Error(e); });
    const cb = callbackUrl(ctx);
    if (!app) return [{ stage: 'auth0-app', action: 'create', resource: `Auth0 app "IAP ${ctx.inputs.service} (iap-auth0)"`, detail: `callback ${cb}` }];
    return [{ stage: 'auth0-app', action: app.callbacks?.includes(cb) ? 'none' : 'update', resource: `Auth0 app ${app.client_id}` }];
  },

  async apply(ctx) {
    const mgmt = await ctx.auth0();
    const step = (text: string) => ctx.emit({ type: 'step', stage: 'auth0-app', text });
    const cb = callbackUrl(ctx);
    const provider = PROVIDER_RESOURCE(ctx.inputs.pool, ctx.inputs.provider);
    try {
      // Each attempt looks for our tagged app first and creates only when there is none, so a
      // create that failed after Auth0 stored it is found, never duplicated; the create itself
      // runs without the SDK's retries.
      const retry = auth0Retry(ctx);
      let app = await withRetry(async () => {
        const found = await findOurs(ctx, mgmt);
        if (found) return found;
        step('creating the Auth0 application');
        return (await mgmt.clients.create({
          name: `IAP ${ctx.inputs.service} (iap-auth0)`, description: 'Managed by iap-auth0: Google Workforce Identity Federation for Cloud Run IAP',
          app_type: 'regular_web', is_first_party: true, oidc_conformant: true, token_endpoint_auth_method: 'client_secret_basic',
          grant_types: ['authorization_code'], jwt_configuration: { alg: 'RS256' }, callbacks: [cb],
          client_metadata: { managed_by: TAG, iap_auth0_provider: provider, iap_auth0_project: ctx.inputs.project },
        } as never, { maxRetries: 0 })) as Client;
      }, retry);
      await ctx.state.recordResource('auth0-app', 'clientId', app.client_id!);
      if (app.client_secret) ctx.secrets.set('auth0ClientSecret', app.client_secret);

      const patch: Record<string, unknown> = {};
      if (!app.callbacks?.includes(cb)) patch.callbacks = [...(app.callbacks ?? []), cb];
      if (!app.grant_types?.includes('authorization_code')) patch.grant_types = [...(app.grant_types ?? []), 'authorization_code'];
      if (app.jwt_configuration?.alg !== 'RS256') patch.jwt_configuration = { alg: 'RS256' };
      if (Object.keys(patch).length) {
        step('adding the workforce sign-in callback');
        const id = app.client_id!;
        app = { ...app, ...(await withRetry(() => mgmt.clients.update(id, patch), retry)) as Client };
      }
      // The provider needs only this much: the app, its callback and grant. The login URI below
      // waits for the deploy; the pool stage need not wait with it.
      ctx.reach('client');

      // The service URL as Application Login URI and web origin, once the deploy knows it.
      await ctx.after('deploy');
      const origin = loginUriFor(ctx.state.stage('deploy').resources.uri);
      const urls: Record<string, unknown> = {};
      if (origin && app.initiate_login_uri !== origin) urls.initiate_login_uri = origin;
      if (origin && !app.web_origins?.includes(origin)) urls.web_origins = [...(app.web_origins ?? []), origin];
      if (!origin && ctx.state.stage('deploy').resources.uri) step('not setting the Application Login URI: Auth0 accepts only public https URLs');
      if (Object.keys(urls).length) { const id = app.client_id!; await withRetry(() => mgmt.clients.update(id, urls), retry); }
      return `Auth0 app ${app.client_id} (regular web, code flow)`;
    } catch (e) {
      throw describeAuth0Error(e);
    }
  },
};

/** The Auth0 app's secret: from memory, or re-read (needs read:client_keys) on a resumed run. */
export async function auth0ClientSecret(ctx: CoreContext): Promise<string> {
  const held = ctx.secrets.get('auth0ClientSecret');
  if (held) return held;
  const id = ctx.state.stage('auth0-app').resources.clientId;
  if (!id) throw new Error('the Auth0 app is not recorded yet; run iap-auth0 init again');
  let app: Client;
  try { app = (await (await ctx.auth0()).clients.get(id)) as Client; } catch (e) { throw describeAuth0Error(e); }
  if (!app.client_secret) throw new Error('Auth0 did not return the app\'s client secret: give the M2M app the read:client_keys scope (Applications > APIs > Auth0 Management API), then re-run');
  ctx.secrets.set('auth0ClientSecret', app.client_secret);
  return app.client_secret;
}


/** Discovery answers; the app is ours, a regular web app with the code grant and our callback, and has a connection. */
async function verifyAuth0App(ctx: CoreContext): Promise<CheckResult[]> {
  const id = ctx.state.stage('auth0-app').resources.clientId;
  const cb = callbackUrl(ctx);
  const discovery = runCheck('auth0-app', 'auth0-discovery', 'Auth0 discovery', async () => {
    const d = await auth0Discovery(ctx.inputs.auth0Domain, ctx.signal);
    const has = (list: unknown, v: string) => !Array.isArray(list) || list.includes(v);
    return firstFailure([
      [!has(d.response_types_supported, 'code'), failed('the tenant does not offer the code response type', 'Google signs in with the authorization code flow; check the tenant\'s settings')],
      [!has(d.id_token_signing_alg_values_supported, 'RS256'), failed('the tenant does not sign ID tokens with RS256', 'Google verifies RS256 ID tokens')],
    ], `issuer ${d.issuer}`);
  });
  const mgmt = ctx.auth0();
  mgmt.catch(() => undefined);
  const retry = auth0Retry(ctx);
  const app = (async () => (id ? (await withRetry(async () => (await mgmt).clients.get(id), retry)) as Client : undefined))();
  app.catch(() => undefined);
  const appCheck = runCheck('auth0-app', 'auth0-app', 'Auth0 application', async () => {
    if (!id) return failed('no Auth0 app is recorded in the state file', 'run iap-auth0 init');
    const a = await app.catch((e) => { if (statusOf(e) === 404) return undefined; throw e; });
    if (!a) return failed(`the Auth0 app ${id} no longer exists`, 'run iap-auth0 init: it creates a new one and points the provider at it');
    return firstFailure([
      [a.app_type !== 'regular_web', failed(`the app is a ${a.app_type ?? 'typeless'} app, not a regular web app`, 'set Application Type to Regular Web Application in the Auth0 dashboard')],
      [!a.grant_types?.includes('authorization_code'), failed('the app may not use the authorization code grant', 'run iap-auth0 init (adds it), or tick Authorization Code under Advanced Settings > Grant Types')],
      [!a.callbacks?.includes(cb), failed(`the callback ${cb} is not in the app's Allowed Callback URLs: Auth0 stops sign-in with "Callback URL mismatch"`, 'run iap-auth0 init (adds it back), or paste it into Allowed Callback URLs')],
      [a.client_metadata?.managed_by !== TAG, failed('the app no longer carries the iap-auth0 tag in its metadata', 'run iap-auth0 init to tag it again')],
    ], `${id}: regular web app, code flow, callback registered`);
  });
  const connections = runCheck('auth0-app', 'auth0-connections', 'Auth0 connections', async () => {
    if (!id) return failed('no Auth0 app is recorded in the state file', 'run iap-auth0 init');
    if (!(await app.catch(() => undefined))) return failed('the app does not exist', 'run iap-auth0 init');
    const page = await withRetry(async () => (await mgmt).clients.connections.get(id), retry);
    const names = (page.data as { name?: string }[]).map((c) => c.name).filter(Boolean);
    return names.length ? ok(`enabled: ${names.join(', ')}`)
      : failed('no connection is enabled for the app: nobody can sign in at Auth0', 'enable a connection (e.g. Username-Password-Authentication) under the app\'s Connections tab');
  });
  return Promise.all([discovery, appCheck, connections]);
}

/** Deletes the recorded app, only while it still carries our tag. */
async function destroyAuth0App(ctx: CoreContext): Promise<string> {
  const id = ctx.state.stage('auth0-app').resources.clientId;
  if (!id) return 'nothing to delete';
  const mgmt = await ctx.auth0();
  const retry = auth0Retry(ctx);
  try {
    const app = await withRetry(() => mgmt.clients.get(id), retry).catch((e) => { if (statusOf(e) === 404) return undefined; throw e; }) as Client | undefined;
    if (!app) return `Auth0 app ${id} was already gone`;
    if (app.client_metadata?.managed_by !== TAG) return `kept Auth0 app ${id}: it is not tagged as created by iap-auth0`;
    ctx.emit({ type: 'step', stage: 'auth0-app', text: `deleting Auth0 app ${id}` });
    await withRetry(() => mgmt.clients.delete(id), retry).catch((e) => { if (statusOf(e) !== 404) throw e; });
    return `deleted Auth0 app ${id}`;
  } catch (e) {
    throw describeAuth0Error(e);
  }
}
