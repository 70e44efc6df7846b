// The export's reads: every resource the state file records, through the clients init, verify and
// destroy use, all at once. Secrets are dropped here, as each answer arrives (the OAuth credential's
// clientSecret, the Auth0 app's client_secret and signing keys). A recorded resource that is gone
// stops the export: a configuration that imports it would fail at `terraform plan`. The post-login
// trigger's bindings are read too, so that an Action no longer bound is caught as drift (drift.ts).
import { gdata } from '../google-call.js';
import { unlessNotFound } from '../google-errors.js';
import { REQUIRED_APIS } from '../apis.js';
import { auth0Retry, auth0Status } from '../fates.js';
import { describeAuth0Error } from '../auth0-errors.js';
import { withRetry } from '../retry.js';
import { readBindings } from '../stages/auth0-action/api.js';
import { UserError, EXIT } from '../../lib/exit-codes.js';
import type { CoreContext } from '../context.js';
import type { Auth0Action, Auth0Client, Live } from './live.js';

const POLICY_V3 = { requestedPolicyVersion: 3 };

/** Reads a recorded resource; undefined (gone) for 404 or a soft-deleted resource. */
async function present<T extends { state?: string | null }>(ctx: CoreContext, f: () => Promise<{ data: T }>) {
  const x = await unlessNotFound(() => gdata(ctx, f));
  return x && x.state !== 'DELETED' ? x : undefined;
}

async function auth0App(ctx: CoreContext, id: string): Promise<Auth0Client | undefined> {
  const mgmt = await ctx.auth0();
  const app = (await withRetry(() => mgmt.clients.get(id), auth0Retry(ctx)).catch((e) => {
    if (auth0Status(e) === 404) return undefined;
    throw describeAuth0Error(e);
  })) as (Auth0Client & { client_secret?: unknown; signing_keys?: unknown }) | undefined;
  if (!app) return undefined;
  const { client_secret: _secret, signing_keys: _keys, ...rest } = app;
  return rest;
}

/** The recorded post-login Action (undefined: none recorded, or gone). */
async function auth0Action(ctx: CoreContext, id: string | undefined): Promise<Auth0Action | undefined> {
  if (!id) return undefined;
  const mgmt = await ctx.auth0();
  const a = await withRetry(() => mgmt.actions.get(id), auth0Retry(ctx)).catch((e) => {
    if (auth0Status(e) === 404) return undefined;
    throw describeAuth0Error(e);
  });
  if (!a?.id || !a.name || a.code === undefined) return undefined;
  const triggers = (a.supported_triggers ?? []).map((t) => ({ id: String(t.id), version: String(t.version) }));
  return { id: a.id, name: a.name, code: a.code, runtime: a.runtime, supported_triggers: triggers };
}

/** Whether the post-login trigger binds the recorded Action (undefined: none recorded). */
async function actionBound(ctx: CoreContext, id: string | undefined): Promise<boolean | undefined> {
  if (!id) return undefined;
  const mgmt = await ctx.auth0();
  const bound = await readBindings(ctx, mgmt).catch((e) => {
    throw describeAuth0Error(e);
  });
  return bound.refs.some((r) => r.actionId === id);
}

/** The Google resources of the deploy stage: the service, its account, its invokers and the APIs. */
function readDeploy(ctx: CoreContext) {
  const r = ctx.state.stage('deploy').resources;
  const services = ctx.google.run.projects.locations.services;
  const parent = `projects/${ctx.inputs.projectNumber}`;
  const ownAccount = r.serviceAccount && !ctx.state.stage('deploy').adopted?.includes('serviceAccount');
  return {
    service: unlessNotFound(() => gdata(ctx, () => services.get({ name: r.service }))).then((s) =>
      s && !s.deleteTime ? s : undefined,
    ),
    serviceAccount: ownAccount
      ? unlessNotFound(() =>
          gdata(ctx, () =>
            ctx.google.iam.projects.serviceAccounts.get({
              name: `projects/${ctx.inputs.project}/serviceAccounts/${r.serviceAccount}`,
            }),
          ),
        )
      : Promise.resolve(undefined),
    invokerPolicy: gdata(ctx, () =>
      services.getIamPolicy({ resource: r.service, 'options.requestedPolicyVersion': 3 }),
    ),
    enabledApis: gdata(ctx, () =>
      ctx.google.serviceusage.services.batchGet({ parent, names: REQUIRED_APIS.map((s) => `${parent}/services/${s}`) }),
    ).then((b) =>
      REQUIRED_APIS.filter((s) => (b.services ?? []).some((v) => v.name?.endsWith(`/${s}`) && v.state === 'ENABLED')),
    ),
  };
}

/** The identity side: pool, provider, OAuth client and credential, IAP settings and access policy. */
function readIdentity(ctx: CoreContext) {
  const st = (id: Parameters<CoreContext['state']['stage']>[0]) => ctx.state.stage(id).resources;
  const pools = ctx.google.iam.locations.workforcePools;
  const clients = ctx.google.iam.projects.locations.oauthClients;
  return {
    pool: present(ctx, () => pools.get({ name: st('workforce-pool').pool })),
    provider: present(ctx, () => pools.providers.get({ name: st('workforce-pool').provider })),
    oauthClient: present(ctx, () => clients.get({ name: st('oauth-client').oauthClient })),
    credential: unlessNotFound(() =>
      gdata(ctx, () => clients.credentials.get({ name: st('oauth-client').credential })),
    ).then((c) => {
      if (!c) return undefined;
      const { clientSecret: _secret, ...rest } = c;
      return rest;
    }),
    iapSettings: gdata(ctx, () => ctx.google.iap.getIapSettings({ name: st('iap-settings').iapResource })),
    accessPolicy: gdata(ctx, () =>
      ctx.google.iap.getIamPolicy({ resource: st('access').iapResource, requestBody: { options: POLICY_V3 } }),
    ),
    auth0Client: auth0App(ctx, st('auth0-app').clientId),
    action: auth0Action(ctx, st('auth0-action').actionId),
    actionBound: actionBound(ctx, st('auth0-action').actionId),
  };
}

/** Everything at once; a recorded resource that no longer exists is a usage error naming it. */
export async function readLive(ctx: CoreContext): Promise<Live> {
  const reads = { ...readDeploy(ctx), ...readIdentity(ctx) };
  const entries = await Promise.all(Object.entries(reads).map(async ([k, p]) => [k, await p] as const));
  const got = Object.fromEntries(entries) as { [K in keyof typeof reads]: Awaited<(typeof reads)[K]> };
  const r = (id: Parameters<CoreContext['state']['stage']>[0]) => ctx.state.stage(id).resources;
  const gone = [
    !got.service && `the Cloud Run service ${r('deploy').service}`,
    r('deploy').serviceAccount && !got.serviceAccount && !ctx.state.stage('deploy').adopted?.includes('serviceAccount')
      ? `the service account ${r('deploy').serviceAccount}`
      : '',
    !got.pool && `the workforce pool ${r('workforce-pool').pool}`,
    !got.provider && `the workforce provider ${r('workforce-pool').provider}`,
    !got.oauthClient && `the OAuth client ${r('oauth-client').oauthClient}`,
    !got.credential && `the OAuth credential ${r('oauth-client').credential}`,
    !got.auth0Client && `the Auth0 application ${r('auth0-app').clientId}`,
    r('auth0-action').actionId && !got.action ? `the Auth0 post-login Action ${r('auth0-action').actionId}` : '',
  ].filter((x): x is string => !!x);
  if (gone.length)
    throw new UserError(
      `the state file records ${gone.join(', ')}, which no longer exist${gone.length === 1 ? 's' : ''}; ` +
        'nothing was written.',
      EXIT.USAGE,
      'run iap-auth0 init to put the setup right (iap-auth0 verify says what is wrong), then export again',
    );
  return got as Live;
}
