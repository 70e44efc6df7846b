// What stages hand each other, typed: the outputs declared in stage-graph.ts. While init runs, a
// stage gets another's output from the runner (ctx.need), the moment that stage provides it; when
// the providing stage is not part of the run (it was done earlier), from what the state file
// recorded, read here and only here. Secrets are never recorded: they are held in memory for the
// run, or re-read from their source (the Auth0 app, the OAuth credential) on a resumed run.
import { POOL_RESOURCE } from '../lib/ids.js';
import { gdata } from './google-call.js';
import { describeAuth0Error } from './auth0-errors.js';
import { recordedAs } from './records.js';
import type { OutputName } from './stage-graph.js';
import type { CoreContext } from './context.js';

export interface Outputs {
  /** The Cloud Run service, Ready, and its URL. */
  service: { name: string; uri?: string };
  /** The Auth0 app the workforce provider signs in with (its secret is read on demand, never recorded). */
  auth0Client: { clientId: string; secret(): Promise<string> };
  /** The workforce pool, its provider ready; `ours`: this setup created the pool (so members naming it are ours). */
  pool: { pool: string; ours: boolean };
  /** IAP's OAuth client, with its credential's secret. */
  oauthClient: { clientId: string; secret(): Promise<string> };
}

/**
 * What a stage will provide, as far as it is known before anything runs, so the stages that need
 * it can plan: a value is undefined when this run makes it (a new Auth0 app's id, a new service's
 * URL, a new credential's secret), and apply fills it in once the providing stage provides it.
 */
export interface Prospects {
  service: { uri?: string };
  auth0Client: { clientId?: string };
  pool: { ours: boolean };
  /** The secret as a SHA-256 hex digest only: a plan holds no secret. */
  oauthClient: { clientId?: string; secretSha256?: string };
}

type Ctx = Pick<CoreContext, 'inputs' | 'state' | 'google' | 'signal' | 'emit' | 'env' | 'auth0' | 'secrets'>;

/** An output as the state file recorded it (undefined when the providing stage recorded nothing). */
export function recorded<K extends OutputName>(ctx: Ctx, name: K): Outputs[K] | undefined {
  return (READERS[name] as (c: Ctx) => Outputs[K] | undefined)(ctx);
}

const READERS: { [K in OutputName]: (ctx: Ctx) => Outputs[K] | undefined } = {
  // A service not recorded (deploy not run in this state): its name as the inputs make it, no URL.
  service: (ctx) => {
    const r = ctx.state.stage('deploy').resources;
    return {
      name: r.service ?? `projects/${ctx.inputs.project}/locations/${ctx.inputs.region}/services/${ctx.inputs.service}`,
      uri: r.uri,
    };
  },
  auth0Client: (ctx) => {
    const clientId = ctx.state.stage('auth0-app').resources.clientId;
    return clientId ? { clientId, secret: () => auth0ClientSecret(ctx) } : undefined;
  },
  pool: (ctx) => {
    const pool = POOL_RESOURCE(ctx.inputs.pool);
    return { pool, ours: recordedAs(ctx.state.stage('workforce-pool'), 'pool', pool) === 'created' };
  },
  oauthClient: (ctx) => {
    const clientId = ctx.state.stage('oauth-client').resources.clientId;
    return clientId ? { clientId, secret: () => oauthCredentialSecret(ctx) } : undefined;
  },
};

/** The Auth0 app's secret: from memory, or re-read (needs read:client_keys) on a resumed run. */
export async function auth0ClientSecret(ctx: Ctx): Promise<string> {
  const held = ctx.secrets.get('auth0ClientSecret');
  if (held) return held;
  const id = ctx.state.stage('auth0-app').resources.clientId;
  if (!id) throw new Error('the Auth0 app is not recorded yet; run iap-auth0 init again');
  let app: { client_secret?: string };
  try {
    app = await (await ctx.auth0()).clients.get(id);
  } catch (e) {
    throw describeAuth0Error(e);
  }
  if (!app.client_secret)
    throw new Error(
      "Auth0 did not return the app's client secret: give the M2M app the read:client_keys scope " +
        '(Applications > APIs > Auth0 Management API), then re-run',
    );
  ctx.secrets.set('auth0ClientSecret', app.client_secret);
  return app.client_secret;
}

/** The OAuth credential's name, from the inputs (its id is fixed). */
export const CREDENTIAL_ID = 'iap-auth0';
export const credentialName = (ctx: Pick<CoreContext, 'inputs'>) =>
  `projects/${ctx.inputs.project}/locations/global/oauthClients/${ctx.inputs.oauthClient}/credentials/${CREDENTIAL_ID}`;

/** The OAuth credential's secret: from memory, or re-read from the API on resume. */
export async function oauthCredentialSecret(ctx: Ctx): Promise<string> {
  const held = ctx.secrets.get('oauthCredentialSecret');
  if (held) return held;
  const cred = await gdata(ctx, () =>
    ctx.google.iam.projects.locations.oauthClients.credentials.get({ name: credentialName(ctx) }),
  );
  if (!cred.clientSecret) throw new Error(`the credential ${credentialName(ctx)} returned no secret`);
  ctx.secrets.set('oauthCredentialSecret', cred.clientSecret);
  return cred.clientSecret;
}
