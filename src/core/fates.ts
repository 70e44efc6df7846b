// What destroy will do with each recorded resource, read from its live marker: shared by destroy
// (every marker is checked before anything is deleted) and by the stages whose destroy depends on
// another's resource (IAP settings and access are kept while another setup still uses the pool,
// the OAuth client or the service). Here, not in the stages, so no stage imports another.
import { gdata } from './google-call.js';
import { unlessNotFound } from './google-errors.js';
import { withRetry } from './retry.js';
import { Unreachable } from '../lib/net.js';
import { describeAuth0Error } from './auth0-errors.js';
import {
  decideFate,
  either,
  LABEL_MANAGED,
  parseDescription,
  parseLabels,
  parseMetadata,
  TOOL,
  type Fate,
  type Marker,
} from './ownership.js';
import { recordedAs } from './records.js';
import type { CoreContext } from './context.js';
import type { run_v2 } from '@googleapis/run';
import type { iam_v1 } from '@googleapis/iam';

type Service = run_v2.Schema$GoogleCloudRunV2Service;

/**
 * A Cloud Run service's marker: its labels, or its description where the labels were edited away.
 * A managed-by label naming another tool is a claim, not a loss: the service is not ours then.
 */
export const serviceMarker = (s: Service): Marker | undefined => {
  const by = s.labels?.[LABEL_MANAGED];
  return by !== undefined && by !== TOOL
    ? parseLabels(s.labels)
    : either(parseLabels(s.labels), parseDescription(s.description));
};

/** An Auth0 application as iap-auth0 reads it. */
export type Auth0App = {
  client_id?: string;
  name?: string;
  description?: string;
  app_type?: string;
  callbacks?: string[];
  web_origins?: string[];
  grant_types?: string[];
  initiate_login_uri?: string;
  client_metadata?: Record<string, unknown>;
  jwt_configuration?: { alg?: string };
  client_secret?: string;
};

/**
 * An Auth0 app's marker, both carriers read together: the metadata first, the description where
 * the metadata lost its tag. A metadata tag naming another manager is a claim: not ours then.
 */
export const appMarker = (c: Auth0App): Marker | undefined => {
  const by = c.client_metadata?.managed_by;
  if (typeof by === 'string' && by !== TOOL) return undefined;
  return either(parseMetadata(c.client_metadata), parseDescription(c.description));
};

/** Auth0 answers worth retrying: rate limits, server errors and network failures (no status). */
export const isTransientAuth0 = (e: unknown) => {
  if (e instanceof Unreachable) return false; // its endpoint was given up for this run
  const status = (e as { statusCode?: number }).statusCode;
  return status === undefined ? (e as Error)?.name !== 'AbortError' : status === 429 || status >= 500;
};
export const auth0Status = (e: unknown) => (e as { statusCode?: number }).statusCode;
/** Bounded retries of Auth0 rate limits and server errors. */
export const auth0Retry = (ctx: Pick<CoreContext, 'signal'>) => ({
  signal: ctx.signal,
  attempts: 8,
  baseMs: 300,
  retryable: isTransientAuth0,
});

/** What destroy will do with the recorded service, from its live marker (undefined: already gone). */
export async function serviceFate(ctx: CoreContext): Promise<{ service: Service; fate: Fate } | undefined> {
  const st = ctx.state.stage('deploy');
  const name = st.resources.service;
  if (!name) return undefined;
  const s = await unlessNotFound(() =>
    gdata(ctx, () => ctx.google.run.projects.locations.services.get({ name }), 'deploy'),
  );
  if (!s || s.deleteTime) return undefined;
  const fate = decideFate(serviceMarker(s), ctx.inputs.setupId, recordedAs(st, 'service', name));
  // An adopted service's record must name the service whose previous values it holds.
  if (fate.fate === 'release' && st.previous?.of && st.previous?.of !== name)
    return { service: s, fate: { fate: 'mismatch' } };
  return { service: s, fate };
}

/** What destroy will do with the recorded Auth0 app, from its live markers (undefined: already gone). */
export async function auth0AppFate(ctx: CoreContext): Promise<{ app: Auth0App; fate: Fate } | undefined> {
  const st = ctx.state.stage('auth0-app');
  const id = st.resources.clientId;
  if (!id) return undefined;
  const mgmt = await ctx.auth0();
  const app = (await withRetry(() => mgmt.clients.get(id), auth0Retry(ctx)).catch((e) => {
    if (auth0Status(e) === 404) return undefined;
    throw describeAuth0Error(e);
  })) as Auth0App | undefined;
  return app && { app, fate: decideFate(appMarker(app), ctx.inputs.setupId, recordedAs(st, 'clientId', id)) };
}

/** What destroy will do with the pool and provider, from their live markers. */
export async function poolFates(ctx: CoreContext): Promise<{ pool?: Fate; provider?: Fate }> {
  const pools = ctx.google.iam.locations.workforcePools;
  const st = ctx.state.stage('workforce-pool');
  const r = st.resources;
  const fate = async (
    key: 'pool' | 'provider',
    get: () => Promise<{ data: iam_v1.Schema$WorkforcePool | iam_v1.Schema$WorkforcePoolProvider }>,
  ) => {
    if (!r[key]) return undefined;
    const x = await unlessNotFound(() => gdata(ctx, get, 'workforce-pool'));
    if (!x || x.state === 'DELETED') return undefined;
    return decideFate(parseDescription(x.description), ctx.inputs.setupId, recordedAs(st, key, r[key]));
  };
  const [pool, provider] = await Promise.all([
    fate('pool', () => pools.get({ name: r.pool })),
    fate('provider', () => pools.providers.get({ name: r.provider })),
  ]);
  return { pool, provider };
}

/** What destroy will do with the recorded OAuth client, from its live marker (undefined: already gone). */
export async function oauthClientFate(ctx: CoreContext): Promise<Fate | undefined> {
  const st = ctx.state.stage('oauth-client');
  const name = st.resources.oauthClient;
  if (!name) return undefined;
  const c = await unlessNotFound(() =>
    gdata(ctx, () => ctx.google.iam.projects.locations.oauthClients.get({ name }), 'oauth-client'),
  );
  if (!c || c.state === 'DELETED') return undefined;
  return decideFate(parseDescription(c.description), ctx.inputs.setupId, recordedAs(st, 'oauthClient', name));
}
