// Stage 2: the Auth0 application Google's workforce provider signs users in with. A confidential
// regular_web app (code flow only, RS256), owned through two markers: client_metadata
// (managed_by, iap_auth0_setup, iap_auth0_shared, iap_auth0_provider) and the description, so one
// edited away is put back from the other. Names are not unique and an app nobody tagged is someone
// else's: it is never taken over, even with --adopt. Creates run without automatic retry (a retried
// create could duplicate the app); a create waits for the setup's claim on its pool, so two setups
// racing for one provider never both create, and after creating, extra apps of this setup (a lost
// answer, a race) are deleted so exactly one remains. Lists are merged, never replaced: callbacks
// and web origins others added stay.
import type { ManagementClient } from 'auth0';
import { PROVIDER_RESOURCE, SIGNIN_CALLBACK_PATH } from '../../lib/ids.js';
import { withRetry } from '../retry.js';
import { describeAuth0Error } from '../auth0-errors.js';
import { refusal, type CodedError } from '../coded-error.js';
import {
  adoptedNote,
  decideUse,
  markedDescription,
  markerMetadata,
  parseDescription,
  parseMetadata,
  sameMarker,
  TOOL,
  type Marker,
  type Recorded as RecordedUse,
} from '../ownership.js';
import { fieldOf, recordedAs, recordUse } from '../records.js';
import { runCheck, ok, failed, firstFailure, type CheckResult, type Outcome } from '../check.js';
import { appMarker, auth0AppFate, auth0Retry, auth0Status, isTransientAuth0, type Auth0App } from '../fates.js';
import { auth0ClientSecret } from '../outputs.js';
import { DependencyFailed, refused, type Change, type Stage, type StageContext } from '../stage.js';
import type { Prospects } from '../outputs.js';
import type { CoreContext } from '../context.js';

type Client = Auth0App;
export { auth0ClientSecret };

export const TAG = TOOL;
export const callbackUrl = (ctx: Pick<CoreContext, 'inputs' | 'signinOrigin'>) =>
  `${ctx.signinOrigin}${SIGNIN_CALLBACK_PATH(ctx.inputs.pool, ctx.inputs.provider)}`;
const purpose = (ctx: Pick<CoreContext, 'inputs'>) => `workforce sign-in for Cloud Run service ${ctx.inputs.service}`;
// Auth0 descriptions hold 140 characters: the owner only; the shared list lives in the metadata.
const describeApp = (ctx: Pick<CoreContext, 'inputs'>, m: Marker) =>
  markedDescription({ owner: m.owner, shared: [] }, purpose(ctx), 140);
const stage = 'auth0-app' as const;

/** Every app tagged by iap-auth0 for this provider, whichever setup made it (all pages). */
async function findTagged(mgmt: ManagementClient, provider: string): Promise<Client[]> {
  const found: Client[] = [];
  let page = await mgmt.clients.list({
    per_page: 100,
    fields: 'client_id,name,description,client_metadata,callbacks,app_type',
    include_fields: true,
  });
  for (;;) {
    for (const c of page.data as Client[])
      if (c.client_metadata?.managed_by === TAG && c.client_metadata?.iap_auth0_provider === provider) found.push(c);
    if (!page.hasNextPage()) break;
    page = await page.getNextPage();
  }
  return found;
}

/** The app this setup would use, as read: how the state recorded it, and duplicates of this setup's to delete. */
interface Found {
  app: Client;
  recorded: RecordedUse;
  extras: Client[];
}

/**
 * The app this setup uses, read only: the recorded one (its marker checked: an edited state must
 * not point iap-auth0 at someone's app), else one tagged for this provider: this setup's own
 * (`extras` are duplicates to delete), one shared with it, or another setup's (adopt or refuse).
 */
async function findApp(ctx: CoreContext, mgmt: ManagementClient): Promise<Found | undefined> {
  const me = ctx.inputs.setupId;
  const st = ctx.state.stage('auth0-app');
  const recorded = st.resources.clientId;
  if (recorded) {
    const app = (await withRetry(() => mgmt.clients.get(recorded), auth0Retry(ctx)).catch((e) => {
      if (auth0Status(e) === 404) return undefined;
      throw e;
    })) as Client | undefined;
    if (app) return { app, recorded: recordedAs(st, 'clientId', recorded), extras: [] };
  }
  const tagged = (await findTagged(mgmt, PROVIDER_RESOURCE(ctx.inputs.pool, ctx.inputs.provider))).sort((a, b) =>
    a.client_id!.localeCompare(b.client_id!),
  );
  const mine = tagged.filter((c) => parseMetadata(c.client_metadata)?.owner === me);
  const pick = mine[0] ?? tagged.find((c) => parseMetadata(c.client_metadata)?.shared.includes(me)) ?? tagged[0];
  if (!pick) return undefined;
  const app = (await withRetry(() => mgmt.clients.get(pick.client_id!), auth0Retry(ctx))) as Client;
  return { app, recorded: undefined, extras: mine.slice(1) };
}

/** An Application Login URI Auth0 accepts: https, not a loopback host (the sandbox's URLs are). */
export function loginUriFor(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const u = new URL(url);
  return u.protocol === 'https:' && !/^(localhost|127\.|\[::1\])/.test(u.hostname) ? u.origin : undefined;
}

/** The app: created, or used with a patch of what it lacks (callback, grant, RS256, markers). */
export type AppPlan = { change: Change } & (
  | { do: 'create' }
  | { do: 'refuse'; error: CodedError }
  | { do: 'use'; use: 'created' | 'adopted'; app: Client; patch: Record<string, unknown> }
);

/**
 * The service URL as Application Login URI and web origin: known now, known once deployed, or not this setup's to set.
 */
export type UrlsPlan = { change?: Change } & (
  | { do: 'skip' }
  | { do: 'patch'; patch: Record<string, unknown> }
  | { do: 'when-deployed' }
);

export interface Auth0Decision {
  changes: Change[];
  app: AppPlan;
  extras: Client[];
  urls: UrlsPlan;
}

/** Pure: the app's decision, from what was found (undefined: none). */
export function decideApp(
  ctx: Pick<CoreContext, 'inputs' | 'state' | 'signinOrigin'>,
  found: Found | undefined,
): AppPlan {
  const cb = callbackUrl(ctx);
  const me = ctx.inputs.setupId;
  if (!found)
    return {
      do: 'create',
      change: {
        stage,
        action: 'create',
        resource: `Auth0 app "IAP ${ctx.inputs.service} (iap-auth0)"`,
        reason: `callback ${cb}`,
      },
    };
  const { app } = found;
  const resource = `Auth0 app ${app.client_id}`;
  const d = decideUse(appMarker(app), me, found.recorded, ctx.inputs.adopt, false);
  if ('refuse' in d) {
    const error = refusal(d, `the Auth0 app ${app.client_id} ("${app.name}")`, {
      flag: '--provider',
      stateFile: ctx.state.file,
      field: fieldOf('auth0-app', 'clientId'),
      me,
      adoptable: d.refuse === 'other-setup',
    });
    return { do: 'refuse', error, change: refused(stage, resource, error) };
  }
  const patch: Record<string, unknown> = {};
  if (!app.callbacks?.includes(cb)) patch.callbacks = [...(app.callbacks ?? []), cb];
  if (!app.grant_types?.includes('authorization_code'))
    patch.grant_types = [...(app.grant_types ?? []), 'authorization_code'];
  if (app.jwt_configuration?.alg !== 'RS256') patch.jwt_configuration = { alg: 'RS256' };
  // The markers: both put back for this setup's app (one may have been edited away), this
  // setup added to the "shared" list of another setup's.
  if (d.marker && !sameMarker(parseMetadata(app.client_metadata), d.marker)) {
    patch.client_metadata = {
      ...markerMetadata(d.marker),
      iap_auth0_provider: PROVIDER_RESOURCE(ctx.inputs.pool, ctx.inputs.provider),
    };
  }
  if (d.use === 'created' && parseDescription(app.description)?.owner !== me)
    patch.description = describeApp(ctx, d.marker!);
  const fields = Object.keys(patch);
  const adopting = d.use === 'adopted' && !ctx.state.stage('auth0-app').adopted?.includes('clientId');
  const action = adopting ? 'adopt' : fields.length ? 'update' : 'none';
  const reason =
    d.use === 'adopted'
      ? adoptedNote(d.marker)
      : fields.length
        ? `this setup's app lacks ${fields.join(', ')}`
        : "this setup's app, with the workforce callback";
  return {
    do: 'use',
    use: d.use,
    app,
    patch,
    change: { stage, action, resource, reason, ...(fields.length ? { fields } : {}) },
  };
}

/**
 * Pure: the login URI and web origin to set, given the service's URL when it is known (an app this setup shares: none).
 */
export function decideUrls(
  app: Client | undefined,
  use: 'created' | 'adopted',
  uri: string | undefined,
  known: boolean,
): UrlsPlan {
  if (use === 'adopted') return { do: 'skip' };
  const resource = `Auth0 app ${app?.client_id ?? '(new)'}: Application Login URI and web origin`;
  if (!known) {
    return {
      do: 'when-deployed',
      change: {
        stage,
        action: 'update',
        resource,
        fields: ['initiate_login_uri', 'web_origins'],
        awaits: 'the service URL (deploy)',
        conditional: true,
        reason: 'the service URL, once it is deployed, if it is a public https URL (the only kind Auth0 accepts)',
      },
    };
  }
  const patch = urlPatch(app, loginUriFor(uri));
  const fields = Object.keys(patch);
  return {
    do: 'patch',
    patch,
    change: fields.length
      ? { stage, action: 'update', resource, fields, reason: `the service URL ${uri}` }
      : {
          stage,
          action: 'none',
          resource,
          reason:
            uri && !loginUriFor(uri) ? 'Auth0 accepts only public https URLs: not set' : 'already the service URL',
        },
  };
}

function urlPatch(app: Client | undefined, origin: string | undefined): Record<string, unknown> {
  const urls: Record<string, unknown> = {};
  if (origin && app?.initiate_login_uri !== origin) urls.initiate_login_uri = origin;
  if (origin && !app?.web_origins?.includes(origin)) urls.web_origins = [...(app?.web_origins ?? []), origin];
  return urls;
}

/** Pure: everything the Auth0 stage will do. */
export function decideAuth0(
  ctx: Pick<CoreContext, 'inputs' | 'state' | 'signinOrigin'>,
  found: Found | undefined,
  service: Prospects['service'] | undefined,
): Auth0Decision {
  const app = decideApp(ctx, found);
  const extras = app.do === 'refuse' ? [] : (found?.extras ?? []);
  const urls =
    app.do === 'refuse'
      ? { do: 'skip' as const }
      : decideUrls(
          app.do === 'use' ? app.app : undefined,
          app.do === 'use' ? app.use : 'created',
          service?.uri,
          service?.uri !== undefined,
        );
  const changes = [
    app.change,
    ...extras.map(
      (x): Change => ({
        stage,
        action: 'delete',
        resource: `Auth0 app ${x.client_id}`,
        reason: "a duplicate of this setup's app (a create whose answer was lost, or a race): exactly one remains",
      }),
    ),
    ...(urls.change ? [urls.change] : []),
  ];
  return { changes, app, extras, urls };
}

export const auth0AppStage: Stage = {
  id: 'auth0-app',
  verify: verifyAuth0App,
  owned: (recorded) => {
    const st = recorded.stage('auth0-app');
    const id = st.resources.clientId;
    return id
      ? [
          `Auth0 application ${id} ` +
            '(' +
            (st.adopted?.includes('clientId')
              ? 'shared with another setup: kept'
              : "only if it still carries this setup's tag") +
            ')',
        ]
      : [];
  },
  destroy: destroyAuth0App,

  async read(ctx) {
    const mgmt = await ctx.auth0();
    const found = await withRetry(() => findApp(ctx, mgmt), auth0Retry(ctx)).catch((e) => {
      throw describeAuth0Error(e);
    });
    return (ahead) => {
      const d = decideAuth0(ctx, found, ahead.service);
      return {
        stage,
        changes: d.changes,
        prospects: { auth0Client: { clientId: d.app.do === 'use' ? d.app.app.client_id : undefined } },
        apply: (c) => applyAuth0(c, d),
      };
    };
  },
};

/** Executes the Auth0 decision: the app created or patched, duplicates deleted, the service URL set. */
async function applyAuth0(ctx: StageContext, d: Auth0Decision): Promise<string> {
  const mgmt = await ctx.auth0();
  try {
    let plan = d.app;
    let extras = d.extras;
    if (plan.do === 'create') {
      const found = await createApp(ctx, mgmt);
      // What is there now (ours, unless a race): the one decision taken on it.
      plan = decideApp(ctx, found);
      extras = found.extras;
    }
    if (plan.do === 'refuse') throw plan.error;
    if (plan.do === 'create') throw new Error('the Auth0 app was created but cannot be found');
    await deleteExtras(ctx, mgmt, extras);
    const app = await useApp(ctx, mgmt, plan);
    // The provider needs only this much: the app, its callback and grant. The login URI below
    // waits for the deploy; the pool stage need not wait with it.
    ctx.provide('auth0Client', { clientId: app.client_id!, secret: () => auth0ClientSecret(ctx) });
    if (plan.use === 'adopted') {
      const owner = parseMetadata(app.client_metadata)?.owner;
      const of = owner ? `setup ${owner}` : 'another setup';
      return `Auth0 app ${app.client_id} of ${of} (shared, never deleted by this one)`;
    }
    await setServiceUrls(ctx, mgmt, d, app);
    return `Auth0 app ${app.client_id} (regular web, code flow)`;
  } catch (e) {
    throw describeAuth0Error(e);
  }
}

/** The app iap-auth0 creates: a confidential regular web app, code flow only, RS256, this setup's markers. */
function newApp(
  ctx: Pick<CoreContext, 'inputs' | 'signinOrigin'>,
): Parameters<ManagementClient['clients']['create']>[0] {
  const me = ctx.inputs.setupId;
  return {
    name: `IAP ${ctx.inputs.service} (iap-auth0)`,
    description: describeApp(ctx, { owner: me, shared: [] }),
    app_type: 'regular_web',
    is_first_party: true,
    oidc_conformant: true,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code'],
    jwt_configuration: { alg: 'RS256' },
    callbacks: [callbackUrl(ctx)],
    client_metadata: {
      managed_by: TAG,
      iap_auth0_setup: me,
      iap_auth0_provider: PROVIDER_RESOURCE(ctx.inputs.pool, ctx.inputs.provider),
      iap_auth0_project: ctx.inputs.project,
    },
  };
}

/**
 * Creates the app once the setup's claim holds, and returns what is there then. A retry (the create may have failed
 * after Auth0 stored the app) looks for the app first and creates only when there is none, so a lost answer is
 * found, never duplicated; the create itself runs without the SDK's retries.
 */
async function createApp(ctx: StageContext, mgmt: ManagementClient): Promise<Found> {
  let first = true;
  return withRetry(
    async () => {
      if (!first) {
        const existing = await findApp(ctx, mgmt);
        if (existing) return existing;
      }
      first = false;
      await ctx.claim().catch((e) => {
        throw new DependencyFailed('auth0-app', 'workforce-pool', e);
      });
      ctx.emit({ type: 'step', stage, text: 'creating the Auth0 application' });
      const app = (await mgmt.clients.create(newApp(ctx), { maxRetries: 0 })) as Client;
      // Another run of this setup may have created one at the same moment (or a lost answer made
      // this a second): look again, keep the first by id, delete the rest.
      const again = await findApp(ctx, mgmt);
      return again ?? { app, recorded: undefined, extras: [] };
    },
    { ...auth0Retry(ctx), retryable: (e) => !(e instanceof DependencyFailed) && isTransientAuth0(e) },
  );
}

/** Duplicates of this setup's app (a create whose answer was lost, or a race): deleted, so exactly one remains. */
async function deleteExtras(ctx: StageContext, mgmt: ManagementClient, extras: Client[]): Promise<void> {
  for (const extra of extras) {
    ctx.emit({ type: 'step', stage, text: `deleting the duplicate Auth0 app ${extra.client_id} of this setup` });
    await withRetry(() => mgmt.clients.delete(extra.client_id!), auth0Retry(ctx)).catch((e) => {
      if (auth0Status(e) !== 404) throw e;
    });
  }
}

/** The app, recorded with the issuer users sign in on and its secret kept for this run, patched as planned. */
async function useApp(
  ctx: StageContext,
  mgmt: ManagementClient,
  plan: Extract<AppPlan, { do: 'use' }>,
): Promise<Client> {
  const app = plan.app;
  await recordUse(ctx, 'auth0-app', 'clientId', app.client_id!, plan.use);
  // The issuer users sign in with (the tenant's domain or its custom domain), so verify's
  // sign-in probe knows where Google should send them without waiting for Auth0.
  const signInIssuer = await ctx.auth0Issuer();
  if (ctx.state.stage('auth0-app').resources.signInIssuer !== signInIssuer)
    await ctx.state.recordResource('auth0-app', 'signInIssuer', signInIssuer);
  if (app.client_secret) ctx.secrets.set('auth0ClientSecret', app.client_secret);
  const patch = plan.patch;
  if (!Object.keys(patch).length) return app;
  if (patch.callbacks) ctx.emit({ type: 'step', stage, text: 'adding the workforce sign-in callback' });
  else if (patch.client_metadata && plan.use === 'created')
    ctx.emit({ type: 'step', stage, text: 'restoring the iap-auth0 tag of the Auth0 app' });
  const id = app.client_id!;
  return { ...app, ...((await withRetry(() => mgmt.clients.update(id, patch), auth0Retry(ctx))) as Client) };
}

/**
 * The service URL as Application Login URI and web origin, once the deploy knows it (the plan's, or, for a service
 * this run deploys, the URL it provides).
 */
async function setServiceUrls(ctx: StageContext, mgmt: ManagementClient, d: Auth0Decision, app: Client): Promise<void> {
  const { uri } = await ctx.need('service');
  const urls = d.urls.do === 'patch' && d.app.do !== 'create' ? d.urls.patch : urlPatch(app, loginUriFor(uri));
  if (!loginUriFor(uri) && uri)
    ctx.emit({
      type: 'step',
      stage,
      text: 'not setting the Application Login URI: Auth0 accepts only public https URLs',
    });
  if (Object.keys(urls).length) await withRetry(() => mgmt.clients.update(app.client_id!, urls), auth0Retry(ctx));
}

/** Discovery answers; the app is ours, a regular web app with the code grant and our callback, and has a connection. */
async function verifyAuth0App(ctx: CoreContext): Promise<CheckResult[]> {
  const id = ctx.state.stage('auth0-app').resources.clientId;
  const discovery = checkDiscovery(ctx);
  const mgmt = ctx.auth0();
  mgmt.catch(() => undefined);
  // One read of the app for the two checks on it.
  const app = (async () =>
    id ? ((await withRetry(async () => (await mgmt).clients.get(id), auth0Retry(ctx))) as Client) : undefined)();
  app.catch(() => undefined);
  return Promise.all([discovery, checkApp(ctx, app), checkConnections(ctx, mgmt, app)]);
}

/** The tenant users sign in on offers the code flow and RS256 ID tokens, as Google's workforce provider needs. */
function checkDiscovery(ctx: CoreContext): Promise<CheckResult> {
  return runCheck(
    'auth0-app',
    'auth0-discovery',
    'Auth0 discovery',
    async () => {
      // The discovery of the domain users sign in on: the tenant's, or its custom domain.
      const signIn = await ctx.auth0SignIn();
      const d = signIn.discovery;
      const has = (list: unknown, v: string) => !Array.isArray(list) || list.includes(v);
      return firstFailure(
        [
          [
            !has(d.response_types_supported, 'code'),
            failed(
              'the tenant does not offer the code response type',
              "Google signs in with the authorization code flow; check the tenant's settings",
            ),
          ],
          [
            !has(d.id_token_signing_alg_values_supported, 'RS256'),
            failed('the tenant does not sign ID tokens with RS256', 'Google verifies RS256 ID tokens'),
          ],
        ],
        `issuer ${d.issuer}` +
          (signIn.via === 'tenant'
            ? ''
            : ' (sign-in on ' +
              (signIn.via === 'custom-domain' ? "the tenant's custom domain" : '--auth0-issuer-domain') +
              ` ${signIn.domain}; Management API on ${ctx.inputs.auth0Domain})`),
      );
    },
    undefined,
    ctx.signal,
  );
}

/** The recorded app is there, fit for Google's sign-in, and this setup's. */
function checkApp(ctx: CoreContext, app: Promise<Client | undefined>): Promise<CheckResult> {
  const id = ctx.state.stage('auth0-app').resources.clientId;
  return runCheck(
    'auth0-app',
    'auth0-app',
    'Auth0 application',
    async () => {
      if (!id) return failed('no Auth0 app is recorded in the state file', 'run iap-auth0 init');
      const a = await app.catch((e) => {
        if (auth0Status(e) === 404) return undefined;
        throw e;
      });
      if (!a)
        return failed(
          `the Auth0 app ${id} no longer exists`,
          'run iap-auth0 init: it creates a new one and points the provider at it',
        );
      return judgeApp(ctx, id, a);
    },
    undefined,
    ctx.signal,
  );
}

/** What verify says of the recorded app as read: the first thing wrong with it, else that it is fit for sign-in. */
function judgeApp(ctx: Pick<CoreContext, 'inputs' | 'state' | 'signinOrigin'>, id: string, a: Client): Outcome {
  const cb = callbackUrl(ctx);
  const tag = decideUse(
    appMarker(a),
    ctx.inputs.setupId,
    recordedAs(ctx.state.stage('auth0-app'), 'clientId', id),
    false,
    false,
  );
  const tagComplete =
    !('use' in tag && tag.use === 'created') ||
    (parseMetadata(a.client_metadata)?.owner === ctx.inputs.setupId &&
      parseDescription(a.description)?.owner === ctx.inputs.setupId);
  return firstFailure(
    [
      [
        a.app_type !== 'regular_web',
        failed(
          `the app is a ${a.app_type ?? 'typeless'} app, not a regular web app`,
          'set Application Type to Regular Web Application in the Auth0 dashboard',
        ),
      ],
      [
        !a.grant_types?.includes('authorization_code'),
        failed(
          'the app may not use the authorization code grant',
          'run iap-auth0 init (adds it), or tick Authorization Code under Advanced Settings > Grant Types',
        ),
      ],
      [
        !a.callbacks?.includes(cb),
        failed(
          `the callback ${cb} is not in the app's Allowed Callback URLs: Auth0 stops sign-in with ` +
            '"Callback URL mismatch"',
          'run iap-auth0 init (adds it back), or paste it into Allowed Callback URLs',
        ),
      ],
      [
        'refuse' in tag,
        failed(
          'the app carries no iap-auth0 tag of this setup (client_metadata and description)',
          'the state file may have been edited: restore it; iap-auth0 init will not use an app it cannot ' +
            "prove is this setup's",
        ),
      ],
      [
        !tagComplete,
        failed(
          "the app no longer carries this setup's iap-auth0 tag in its metadata or description",
          'run iap-auth0 init to tag it again',
        ),
      ],
    ],
    `${id}: regular web app, code flow, callback registered`,
  );
}

/** At least one connection is enabled for the app: without one, nobody can sign in at Auth0. */
function checkConnections(
  ctx: CoreContext,
  mgmt: Promise<ManagementClient>,
  app: Promise<Client | undefined>,
): Promise<CheckResult> {
  const id = ctx.state.stage('auth0-app').resources.clientId;
  return runCheck(
    'auth0-app',
    'auth0-connections',
    'Auth0 connections',
    async () => {
      if (!id) return failed('no Auth0 app is recorded in the state file', 'run iap-auth0 init');
      if (!(await app.catch(() => undefined))) return failed('the app does not exist', 'run iap-auth0 init');
      const page = await withRetry(async () => (await mgmt).clients.connections.get(id), auth0Retry(ctx));
      const names = (page.data as { name?: string }[]).map((c) => c.name).filter(Boolean);
      return names.length
        ? ok(`enabled: ${names.join(', ')}`)
        : failed(
            'no connection is enabled for the app: nobody can sign in at Auth0',
            "enable a connection (e.g. Username-Password-Authentication) under the app's Connections tab",
          );
    },
    undefined,
    ctx.signal,
  );
}

/** Deletes the recorded app while it carries this setup's tag; hands it over or unshares it when others use it. */
async function destroyAuth0App(ctx: CoreContext): Promise<string> {
  const id = ctx.state.stage('auth0-app').resources.clientId;
  if (!id) return 'nothing to delete';
  const mgmt = await ctx.auth0();
  const retry = auth0Retry(ctx);
  try {
    const found = await auth0AppFate(ctx);
    if (!found) return `Auth0 app ${id} was already gone`;
    const { app, fate } = found;
    const label = `Auth0 app ${id} ("${app.name}")`;
    switch (fate.fate) {
      case 'delete':
        ctx.emit({ type: 'step', stage: 'auth0-app', text: `deleting Auth0 app ${id}` });
        await withRetry(() => mgmt.clients.delete(id), retry).catch((e) => {
          if (auth0Status(e) !== 404) throw e;
        });
        return `deleted ${label}`;
      case 'hand-over':
      case 'unshare': {
        const md = {
          ...markerMetadata(fate.marker),
          iap_auth0_provider: (app.client_metadata?.iap_auth0_provider as string) ?? null,
        };
        await withRetry(
          () =>
            mgmt.clients.update(id, {
              client_metadata: md,
              ...(fate.fate === 'hand-over' ? { description: describeApp(ctx, fate.marker) } : {}),
            }),
          retry,
        );
        return fate.fate === 'hand-over'
          ? `kept ${label}: handed over to iap-auth0 setup ${fate.to}, which still uses it`
          : `kept ${label}: another setup's, no longer shared with this one`;
      }
      case 'mismatch':
      case 'not-ours':
      case 'release':
        return `kept ${label}: it does not carry this setup's iap-auth0 tag`;
    }
  } catch (e) {
    throw describeAuth0Error(e);
  }
}
