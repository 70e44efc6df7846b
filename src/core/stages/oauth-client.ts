// Stage 4: IAP's OAuth client in the workforce OAuth server, and its credential.
// The client's redirect URI must contain the clientId Google generates at create (peers P1), so
// the client is created with a placeholder, the generated clientId is recorded at once (a run
// killed here resumes by re-patching), and the real redirect URI is patched in the same run.
// The credential's secret is read from the API (create and get return it) into memory only.
import { IAP_REDIRECT_URI } from '../../lib/ids.js';
import { gdata, planRead } from '../google-call.js';
import { isConflict, unlessNotFound } from '../google-errors.js';
import { notOurs } from '../coded-error.js';
import { runCheck, ok, failed, firstFailure, type CheckResult } from '../check.js';
import type { CoreContext } from '../context.js';
import type { PlanItem, Stage } from '../stage.js';

const PLACEHOLDER = 'https://placeholder.invalid/iap-auth0-pending';
const MARKER = 'Managed by iap-auth0';
export const CREDENTIAL_ID = 'iap-auth0';

const names = (ctx: Pick<CoreContext, 'inputs'>) => {
  const client = `projects/${ctx.inputs.project}/locations/global/oauthClients/${ctx.inputs.oauthClient}`;
  return { parent: `projects/${ctx.inputs.project}/locations/global`, client, credential: `${client}/credentials/${CREDENTIAL_ID}` };
};

type OauthClient = { clientId?: string | null; state?: string | null; description?: string | null; allowedRedirectUris?: string[] | null };


/** Ours = recorded in this state, or carrying our marker; anything else needs --adopt. */
function ensureOurs(ctx: CoreContext, c: OauthClient, name: string): void {
  const recorded = ctx.state.stage('oauth-client').resources.oauthClient === name;
  if (recorded || c.description?.startsWith(MARKER) || ctx.inputs.adopt) return;
  throw notOurs(`the OAuth client ${name}`, '--oauth-client');
}

export const oauthClientStage: Stage = {
  id: 'oauth-client',
  title: 'IAP OAuth client',
  verify: verifyOauthClient,
  owned: (ctx) => {
    const r = ctx.state.stage('oauth-client').resources;
    return [r.credential && `OAuth client credential ${r.credential} (disabled, then deleted)`, r.oauthClient && `OAuth client ${r.oauthClient}`].filter((x): x is string => !!x);
  },
  destroy: destroyOauthClient,

  async plan(ctx) {
    const n = names(ctx);
    const oc = ctx.google.iam.projects.locations.oauthClients;
    const items: PlanItem[] = [];
    const c = await planRead(ctx, () => oc.get({ name: n.client }));
    if (!c) return [{ stage: 'oauth-client', action: 'create', resource: n.client, detail: 'then set its redirect URI' }, { stage: 'oauth-client', action: 'create', resource: n.credential }];
    if (c.state === 'DELETED') items.push({ stage: 'oauth-client', action: 'undelete', resource: n.client });
    else if (!c.allowedRedirectUris?.includes(IAP_REDIRECT_URI(c.clientId ?? ''))) items.push({ stage: 'oauth-client', action: 'update', resource: n.client, detail: 'redirect URI' });
    else items.push({ stage: 'oauth-client', action: ctx.state.stage('oauth-client').resources.oauthClient ? 'none' : 'adopt', resource: n.client });
    const k = await planRead(ctx, () => oc.credentials.get({ name: n.credential }));
    items.push({ stage: 'oauth-client', action: !k ? 'create' : k.disabled ? 'update' : 'none', resource: n.credential });
    return items;
  },

  async apply(ctx) {
    await ctx.apisReady();
    const n = names(ctx);
    const oc = ctx.google.iam.projects.locations.oauthClients;
    const step = (text: string) => ctx.emit({ type: 'step', stage: 'oauth-client', text });

    let client = await unlessNotFound(() => gdata(ctx, () => oc.get({ name: n.client }), 'oauth-client'));
    if (!client) {
      step(`creating OAuth client ${ctx.inputs.oauthClient}`);
      try {
        client = await gdata(ctx, () => oc.create({ parent: n.parent, oauthClientId: ctx.inputs.oauthClient, requestBody: {
          clientType: 'CONFIDENTIAL_CLIENT', allowedGrantTypes: ['AUTHORIZATION_CODE_GRANT'],
          allowedScopes: ['https://www.googleapis.com/auth/cloud-platform'], allowedRedirectUris: [PLACEHOLDER],
          displayName: 'iap-auth0', description: `${MARKER} for Cloud Run service ${ctx.inputs.service}`,
        } }), 'oauth-client');
      } catch (e) {
        // A retried create that had already succeeded: read it by its id.
        if (!isConflict(e)) throw e;
        client = await gdata(ctx, () => oc.get({ name: n.client }), 'oauth-client');
      }
    } else {
      ensureOurs(ctx, client, n.client);
    }
    if (client.state === 'DELETED') {
      step(`undeleting OAuth client ${ctx.inputs.oauthClient} (deleted ids stay reserved for 30 days)`);
      client = await gdata(ctx, () => oc.undelete({ name: n.client, requestBody: {} }), 'oauth-client');
    }
    const clientId = client.clientId!;
    // Write-ahead: the generated id is on disk before the patch that depends on it.
    await ctx.state.recordResource('oauth-client', 'oauthClient', n.client);
    await ctx.state.recordResource('oauth-client', 'clientId', clientId);

    const redirect = IAP_REDIRECT_URI(clientId);
    const uris = client.allowedRedirectUris ?? [];
    if (!uris.includes(redirect) || uris.includes(PLACEHOLDER)) {
      step('setting the redirect URI to IAP\'s handler for the generated client id');
      const next = [...uris.filter((u) => u !== PLACEHOLDER), redirect];
      await gdata(ctx, () => oc.patch({ name: n.client, updateMask: 'allowedRedirectUris', requestBody: { allowedRedirectUris: next } }), 'oauth-client');
    }

    let cred = await unlessNotFound(() => gdata(ctx, () => oc.credentials.get({ name: n.credential }), 'oauth-client'));
    if (!cred) {
      step('creating the client credential');
      try {
        cred = await gdata(ctx, () => oc.credentials.create({ parent: n.client, oauthClientCredentialId: CREDENTIAL_ID, requestBody: { displayName: 'iap-auth0' } }), 'oauth-client');
      } catch (e) {
        if (!isConflict(e)) throw e;
        cred = await gdata(ctx, () => oc.credentials.get({ name: n.credential }), 'oauth-client');
      }
    } else if (cred.disabled) {
      step('re-enabling the client credential');
      cred = await gdata(ctx, () => oc.credentials.patch({ name: n.credential, updateMask: 'disabled', requestBody: { disabled: false } }), 'oauth-client');
    }
    await ctx.state.recordResource('oauth-client', 'credential', n.credential);
    if (!cred.clientSecret) throw new Error(`the credential ${n.credential} returned no secret; check that you may read OAuth client credentials (roles/iam.oauthClientAdmin)`);
    ctx.secrets.set('oauthCredentialSecret', cred.clientSecret);
    return `OAuth client ${ctx.inputs.oauthClient} (client id ${clientId}) with its credential`;
  },
};

/** The credential secret for a later stage: from memory, or re-read from the API on resume. */
export async function oauthCredentialSecret(ctx: CoreContext): Promise<string> {
  const held = ctx.secrets.get('oauthCredentialSecret');
  if (held) return held;
  const cred = await gdata(ctx, () => ctx.google.iam.projects.locations.oauthClients.credentials.get({ name: names(ctx).credential }));
  if (!cred.clientSecret) throw new Error(`the credential ${names(ctx).credential} returned no secret`);
  ctx.secrets.set('oauthCredentialSecret', cred.clientSecret);
  return cred.clientSecret;
}

/** The client is active with the recorded generated id and IAP's redirect URI; its credential is enabled. */
async function verifyOauthClient(ctx: CoreContext): Promise<CheckResult[]> {
  const n = names(ctx);
  const oc = ctx.google.iam.projects.locations.oauthClients;
  const recordedId = ctx.state.stage('oauth-client').resources.clientId;
  const client = runCheck('oauth-client', 'oauth-client', 'IAP OAuth client', async () => {
    const c = await unlessNotFound(() => gdata(ctx, () => oc.get({ name: n.client })));
    if (!c) return failed(`${n.client} no longer exists`, 'run iap-auth0 init to create it again');
    const redirect = IAP_REDIRECT_URI(c.clientId ?? '');
    return firstFailure([
      [c.state === 'DELETED', failed(`${n.client} was deleted`, 'run iap-auth0 init: it undeletes the client')],
      [c.disabled === true, failed(`${n.client} is disabled: IAP cannot sign anyone in`, 'run iap-auth0 init, or enable it with gcloud iam oauth-clients update --no-disabled')],
      [!!recordedId && c.clientId !== recordedId, failed(`its generated client id is ${c.clientId}, not the recorded ${recordedId}`, 'run iap-auth0 init to point IAP at the current client')],
      [!c.allowedRedirectUris?.includes(redirect), failed(`its allowed redirect URIs (${(c.allowedRedirectUris ?? []).join(', ') || 'none'}) lack IAP's handler ${redirect}: Google answers "redirect_uri_mismatch"`, 'run iap-auth0 init (puts it back)')],
    ], `client id ${c.clientId}, redirect URI set`);
  }, ctx.inputs.project);
  const credential = runCheck('oauth-client', 'oauth-credential', 'OAuth client credential', async () => {
    const k = await unlessNotFound(() => gdata(ctx, () => oc.credentials.get({ name: n.credential })));
    if (!k) return failed(`${n.credential} no longer exists: IAP cannot redeem sign-in codes`, 'run iap-auth0 init (creates a new credential and updates the IAP settings)');
    return k.disabled ? failed(`${n.credential} is disabled: IAP cannot redeem sign-in codes ("invalid_client")`, 'run iap-auth0 init (enables it again)') : ok(`${CREDENTIAL_ID}, enabled`);
  }, ctx.inputs.project);
  return Promise.all([client, credential]);
}

/** Disables then deletes the credential (Google refuses to delete an enabled one), then deletes the client. */
async function destroyOauthClient(ctx: CoreContext): Promise<string> {
  const r = ctx.state.stage('oauth-client').resources;
  const oc = ctx.google.iam.projects.locations.oauthClients;
  const step = (text: string) => ctx.emit({ type: 'step', stage: 'oauth-client', text });
  const done: string[] = [];
  if (r.credential) {
    const k = await unlessNotFound(() => gdata(ctx, () => oc.credentials.get({ name: r.credential }), 'oauth-client'));
    if (k) {
      if (!k.disabled) { step('disabling the client credential'); await unlessNotFound(() => gdata(ctx, () => oc.credentials.patch({ name: r.credential, updateMask: 'disabled', requestBody: { disabled: true } }), 'oauth-client')); }
      step('deleting the client credential');
      await unlessNotFound(() => gdata(ctx, () => oc.credentials.delete({ name: r.credential }), 'oauth-client'));
    }
    done.push('its credential');
  }
  if (r.oauthClient) {
    const c = await unlessNotFound(() => gdata(ctx, () => oc.get({ name: r.oauthClient }), 'oauth-client'));
    if (c && c.state !== 'DELETED') { step(`deleting OAuth client ${r.oauthClient}`); await unlessNotFound(() => gdata(ctx, () => oc.delete({ name: r.oauthClient }), 'oauth-client')); }
    done.unshift(`OAuth client ${ctx.inputs.oauthClient}`);
  }
  return done.length ? `deleted ${done.join(' and ')}` : 'nothing to delete';
}
