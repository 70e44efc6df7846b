// Stage 4: IAP's OAuth client in the workforce OAuth server, and its credential.
// The client's redirect URI must contain the clientId Google generates at create (peers P1), so
// the client is created with a placeholder, the generated clientId is recorded at once (a run
// killed here resumes by re-patching), and the real redirect URI is patched in the same run.
// The credential's secret is read from the API (create and get return it) into memory only.
// Ownership: the client's description carries the setup marker; a client someone else made may be
// adopted (--adopt; iap-auth0 then only adds IAP's redirect URI and, if it has none, a credential
// of its own, and takes both back on destroy); another setup's client may be shared.
import { IAP_REDIRECT_URI } from '../../lib/ids.js';
import { gdata, planRead } from '../google-call.js';
import { isConflict, unlessNotFound } from '../google-errors.js';
import { notFoundYet, readAfterConflict, untilSettled } from '../settle.js';
import { refusal } from '../coded-error.js';
import { adoptedNote, decideFate, decideUse, markedDescription, parseDescription, purposeOf, sameMarker, type Fate, type UseDecision } from '../ownership.js';
import { fieldOf, recordedAs, recordUse } from '../records.js';
import { runCheck, ok, failed, firstFailure, type CheckResult } from '../check.js';
import { DependencyFailed, refusedItem, type PlanItem, type Stage } from '../stage.js';
import type { CoreContext } from '../context.js';
import type { iam_v1 } from '@googleapis/iam';

// The redirect URI before the generated client id is known. A host Google's own examples use
// (the Terraform provider's tests create OAuth clients with https://www.example.com): a `.invalid`
// host was never shown accepted (real-world-evidence.md row 7). It is replaced in the same run.
export const PLACEHOLDER = 'https://www.example.com/iap-auth0-pending';
/** What earlier versions used; a client left on it by a killed run is patched all the same. */
const OLD_PLACEHOLDER = 'https://placeholder.invalid/iap-auth0-pending';
export const CREDENTIAL_ID = 'iap-auth0';

type Ctx = Pick<CoreContext, 'inputs' | 'state' | 'google' | 'signal' | 'emit'>;
type OauthClient = iam_v1.Schema$OauthClient;

const names = (ctx: Pick<CoreContext, 'inputs'>) => {
  const client = `projects/${ctx.inputs.project}/locations/global/oauthClients/${ctx.inputs.oauthClient}`;
  return { parent: `projects/${ctx.inputs.project}/locations/global`, client, credential: `${client}/credentials/${CREDENTIAL_ID}` };
};
const purpose = (ctx: Ctx) => `IAP sign-in client for Cloud Run service ${ctx.inputs.service} in ${ctx.inputs.region}`;
const st = (ctx: Ctx) => ctx.state.stage('oauth-client');

const clientDecision = (ctx: Ctx, c: OauthClient): UseDecision =>
  decideUse(parseDescription(c.description), ctx.inputs.setupId, recordedAs(st(ctx), 'oauthClient', names(ctx).client), ctx.inputs.adopt);
const refuseClient = (ctx: Ctx, d: UseDecision) => refusal(d as Extract<UseDecision, { refuse: unknown }>, `the OAuth client ${names(ctx).client}`,
  { flag: '--oauth-client', stateFile: ctx.state.file, field: fieldOf('oauth-client', 'oauthClient'), me: ctx.inputs.setupId });

export const oauthClientStage: Stage = {
  id: 'oauth-client',
  title: 'IAP OAuth client',
  verify: verifyOauthClient,
  owned: (ctx) => {
    const s = ctx.state.stage('oauth-client');
    const r = s.resources;
    const adopted = s.adopted?.includes('oauthClient');
    return [r.credential && !s.adopted?.includes('credential') && `OAuth client credential ${r.credential} (disabled, then deleted)`,
      r.oauthClient && `OAuth client ${r.oauthClient}${adopted ? ' (adopted: kept, IAP\'s redirect URI taken back if iap-auth0 added it)' : ''}`].filter((x): x is string => !!x);
  },
  destroy: destroyOauthClient,

  async plan(ctx) {
    const n = names(ctx);
    const oc = ctx.google.iam.projects.locations.oauthClients;
    const items: PlanItem[] = [];
    const c = await planRead(ctx, () => oc.get({ name: n.client }));
    if (!c) return [{ stage: 'oauth-client', action: 'create', resource: n.client, detail: 'then set its redirect URI' }, { stage: 'oauth-client', action: 'create', resource: n.credential }];
    const d = clientDecision(ctx, c);
    if ('refuse' in d) return [refusedItem('oauth-client', n.client, refuseClient(ctx, d))];
    const redirectMissing = !c.allowedRedirectUris?.includes(IAP_REDIRECT_URI(c.clientId ?? ''));
    if (c.state === 'DELETED') items.push({ stage: 'oauth-client', action: 'undelete', resource: n.client });
    else if (d.use === 'adopted' && !recordedAs(st(ctx), 'oauthClient', n.client)) items.push({ stage: 'oauth-client', action: 'adopt', resource: n.client, detail: `${adoptedNote(d.marker)}${redirectMissing ? '; IAP\'s redirect URI added' : ''}` });
    else items.push({ stage: 'oauth-client', action: redirectMissing ? 'update' : 'none', resource: n.client, ...(redirectMissing ? { detail: 'redirect URI' } : {}) });
    const k = await planRead(ctx, () => oc.credentials.get({ name: n.credential }));
    items.push({ stage: 'oauth-client', action: !k ? 'create' : k.disabled ? 'update' : 'none', resource: n.credential });
    return items;
  },

  async apply(ctx) {
    await ctx.apisReady();
    const n = names(ctx);
    const oc = ctx.google.iam.projects.locations.oauthClients;
    const step = (text: string) => ctx.emit({ type: 'step', stage: 'oauth-client', text });
    const me = ctx.inputs.setupId;

    let client = await unlessNotFound(() => gdata(ctx, () => oc.get({ name: n.client }), 'oauth-client'));
    // When this run created the client: Google answers 404 for it for a few seconds after.
    let clientSince: number | undefined;
    const newClient = (since: number | undefined) => ({ stage: 'oauth-client' as const, what: 'the new OAuth client', since, unsettled: notFoundYet });
    if (!client) {
      await ctx.claim().catch((e) => { throw new DependencyFailed('oauth-client', 'workforce-pool', e); });
      step(`creating OAuth client ${ctx.inputs.oauthClient}`);
      try {
        client = await gdata(ctx, () => oc.create({ parent: n.parent, oauthClientId: ctx.inputs.oauthClient, requestBody: {
          clientType: 'CONFIDENTIAL_CLIENT', allowedGrantTypes: ['AUTHORIZATION_CODE_GRANT'],
          allowedScopes: ['https://www.googleapis.com/auth/cloud-platform'], allowedRedirectUris: [PLACEHOLDER],
          displayName: 'iap-auth0', description: markedDescription({ owner: me, shared: [] }, purpose(ctx), 256),
        } }), 'oauth-client');
        clientSince = Date.now();
        await recordUse(ctx, 'oauth-client', 'oauthClient', n.client, 'created');
      } catch (e) {
        // A retried create that had already succeeded, or another run's: read it by its id.
        if (!isConflict(e)) throw e;
        const read = () => gdata(ctx, () => oc.get({ name: n.client }), 'oauth-client');
        ({ value: client, since: clientSince } = await readAfterConflict(ctx, 'oauth-client', 'the new OAuth client', read));
      }
    }
    const d = clientDecision(ctx, client);
    if ('refuse' in d) throw refuseClient(ctx, d);
    const use = d.use;
    if (client.state === 'DELETED') {
      if (use === 'adopted') throw new Error(`the OAuth client ${n.client} this setup uses was deleted by its owner; choose another --oauth-client`);
      step(`undeleting OAuth client ${ctx.inputs.oauthClient} (deleted ids stay reserved for 30 days)`);
      client = await gdata(ctx, () => oc.undelete({ name: n.client, requestBody: {} }), 'oauth-client');
    }
    const clientId = client.clientId!;
    // Write-ahead: the generated id is on disk before the patch that depends on it.
    await recordUse(ctx, 'oauth-client', 'oauthClient', n.client, use);
    await ctx.state.recordResource('oauth-client', 'clientId', clientId);

    const mask: string[] = [];
    const body: OauthClient = {};
    const redirect = IAP_REDIRECT_URI(clientId);
    const uris = client.allowedRedirectUris ?? [];
    if (!uris.includes(redirect) || uris.includes(PLACEHOLDER) || uris.includes(OLD_PLACEHOLDER)) {
      step('setting the redirect URI to IAP\'s handler for the generated client id');
      mask.push('allowedRedirectUris');
      body.allowedRedirectUris = [...uris.filter((u) => u !== PLACEHOLDER && u !== OLD_PLACEHOLDER && u !== redirect), redirect];
      if (use === 'adopted') await ctx.state.updateStage('oauth-client', (s) => { s.added = [...new Set([...(s.added ?? []), `allowedRedirectUris:${redirect}`])]; });
    }
    // The marker: an earlier version's upgraded to this setup's, this setup added to another's "shared with".
    const current = parseDescription(client.description);
    if (d.marker && current && !sameMarker(d.marker, current)) {
      mask.push('description');
      body.description = markedDescription(d.marker, purposeOf(client.description) || purpose(ctx), 256);
    }
    const patch = () => gdata(ctx, () => oc.patch({ name: n.client, updateMask: mask.join(','), requestBody: body }), 'oauth-client');
    if (mask.length) await untilSettled(ctx, newClient(clientSince), patch);

    let cred = await unlessNotFound(() => gdata(ctx, () => oc.credentials.get({ name: n.credential }), 'oauth-client'));
    let credUse: 'created' | 'adopted' = use === 'created' || recordedAs(st(ctx), 'credential', n.credential) === 'created' ? 'created' : 'adopted';
    if (!cred) {
      step('creating the client credential');
      try {
        cred = await untilSettled(ctx, newClient(clientSince),
          () => gdata(ctx, () => oc.credentials.create({ parent: n.client, oauthClientCredentialId: CREDENTIAL_ID, requestBody: { displayName: `iap-auth0 ${me}`.trim() } }), 'oauth-client'));
        credUse = 'created';
      } catch (e) {
        if (!isConflict(e)) throw e;
        const read = () => gdata(ctx, () => oc.credentials.get({ name: n.credential }), 'oauth-client');
        ({ value: cred } = await readAfterConflict(ctx, 'oauth-client', 'the new OAuth client credential', read));
      }
    } else if (cred.disabled) {
      step('re-enabling the client credential');
      cred = await gdata(ctx, () => oc.credentials.patch({ name: n.credential, updateMask: 'disabled', requestBody: { disabled: false } }), 'oauth-client');
    }
    await recordUse(ctx, 'oauth-client', 'credential', n.credential, credUse);
    if (!cred.clientSecret) throw new Error(`the credential ${n.credential} returned no secret; check that you may read OAuth client credentials (roles/iam.oauthClientAdmin)`);
    ctx.secrets.set('oauthCredentialSecret', cred.clientSecret);
    return `OAuth client ${ctx.inputs.oauthClient} (client id ${clientId}) with its credential${use === 'adopted' ? '; the client is someone else\'s, never deleted by this setup' : ''}`;
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
    const marker = decideUse(parseDescription(c.description), ctx.inputs.setupId, recordedAs(st(ctx), 'oauthClient', n.client), false);
    return firstFailure([
      [c.state === 'DELETED', failed(`${n.client} was deleted`, 'run iap-auth0 init: it undeletes the client')],
      [c.disabled === true, failed(`${n.client} is disabled: IAP cannot sign anyone in`, 'run iap-auth0 init, or enable it with gcloud iam oauth-clients update --no-disabled')],
      [!!recordedId && c.clientId !== recordedId, failed(`its generated client id is ${c.clientId}, not the recorded ${recordedId}`, 'run iap-auth0 init to point IAP at the current client')],
      [!c.allowedRedirectUris?.includes(redirect), failed(`its allowed redirect URIs (${(c.allowedRedirectUris ?? []).join(', ') || 'none'}) lack IAP's handler ${redirect}: Google answers "redirect_uri_mismatch"`, 'run iap-auth0 init (puts it back)')],
      ['refuse' in marker, failed(`${n.client} no longer carries this setup's iap-auth0 marker in its description`, `put it back: its description must start with "Managed by iap-auth0 (setup ${ctx.inputs.setupId})"`)],
    ], `client id ${c.clientId}, redirect URI set`);
  }, ctx.inputs.project, ctx.signal);
  const credential = runCheck('oauth-client', 'oauth-credential', 'OAuth client credential', async () => {
    const k = await unlessNotFound(() => gdata(ctx, () => oc.credentials.get({ name: n.credential })));
    if (!k) return failed(`${n.credential} no longer exists: IAP cannot redeem sign-in codes`, 'run iap-auth0 init (creates a new credential and updates the IAP settings)');
    return k.disabled ? failed(`${n.credential} is disabled: IAP cannot redeem sign-in codes ("invalid_client")`, 'run iap-auth0 init (enables it again)') : ok(`${CREDENTIAL_ID}, enabled`);
  }, ctx.inputs.project, ctx.signal);
  return Promise.all([client, credential]);
}

/** What destroy will do with the recorded OAuth client, from its live marker (undefined: already gone). */
export async function oauthClientFate(ctx: CoreContext): Promise<Fate | undefined> {
  const name = st(ctx).resources.oauthClient;
  if (!name) return undefined;
  const c = await unlessNotFound(() => gdata(ctx, () => ctx.google.iam.projects.locations.oauthClients.get({ name }), 'oauth-client'));
  if (!c || c.state === 'DELETED') return undefined;
  return decideFate(parseDescription(c.description), ctx.inputs.setupId, recordedAs(st(ctx), 'oauthClient', name));
}

/**
 * This setup's client: the credential disabled then deleted (Google refuses to delete an enabled
 * one), then the client. A client others use: handed over or unshared. An adopted one: the
 * redirect URI and credential iap-auth0 added are taken back.
 */
async function destroyOauthClient(ctx: CoreContext): Promise<string> {
  const s = st(ctx);
  const r = s.resources;
  const oc = ctx.google.iam.projects.locations.oauthClients;
  const step = (text: string) => ctx.emit({ type: 'step', stage: 'oauth-client', text });
  const fate = await oauthClientFate(ctx);
  const done: string[] = [];
  const deleteCredential = async () => {
    const k = await unlessNotFound(() => gdata(ctx, () => oc.credentials.get({ name: r.credential }), 'oauth-client'));
    if (!k) return;
    if (!k.disabled) { step('disabling the client credential'); await unlessNotFound(() => gdata(ctx, () => oc.credentials.patch({ name: r.credential, updateMask: 'disabled', requestBody: { disabled: true } }), 'oauth-client')); }
    step('deleting the client credential');
    await unlessNotFound(() => gdata(ctx, () => oc.credentials.delete({ name: r.credential }), 'oauth-client'));
    done.push(`deleted credential ${r.credential}`);
  };
  if (!fate) return r.oauthClient ? `OAuth client ${r.oauthClient} was already gone` : 'nothing to delete';
  if (fate.fate === 'delete') {
    if (r.credential) await deleteCredential();
    step(`deleting OAuth client ${r.oauthClient}`);
    await unlessNotFound(() => gdata(ctx, () => oc.delete({ name: r.oauthClient }), 'oauth-client'));
    done.push(`deleted OAuth client ${r.oauthClient}`);
  } else if (fate.fate === 'hand-over' || fate.fate === 'unshare') {
    const c = await gdata(ctx, () => oc.get({ name: r.oauthClient }), 'oauth-client');
    await gdata(ctx, () => oc.patch({ name: r.oauthClient, updateMask: 'description', requestBody: { description: markedDescription(fate.marker, purposeOf(c.description) || purpose(ctx), 256) } }), 'oauth-client');
    done.push(fate.fate === 'hand-over' ? `kept OAuth client ${r.oauthClient}: handed over to iap-auth0 setup ${fate.to}, which still uses it` : `kept OAuth client ${r.oauthClient}: another setup's, no longer shared with this one`);
  } else if (fate.fate === 'release' || fate.fate === 'not-ours') {
    if (r.credential && recordedAs(s, 'credential', r.credential) === 'created') await deleteCredential();
    const added = (s.added ?? []).filter((a) => a.startsWith('allowedRedirectUris:')).map((a) => a.slice('allowedRedirectUris:'.length));
    const c = added.length ? await gdata(ctx, () => oc.get({ name: r.oauthClient }), 'oauth-client') : undefined;
    const left = (c?.allowedRedirectUris ?? []).filter((u) => !added.includes(u));
    if (c && left.length !== (c.allowedRedirectUris ?? []).length && left.length) {
      step('taking back IAP\'s redirect URI');
      await gdata(ctx, () => oc.patch({ name: r.oauthClient, updateMask: 'allowedRedirectUris', requestBody: { allowedRedirectUris: left } }), 'oauth-client');
    }
    done.push(`kept OAuth client ${r.oauthClient}: not created by this setup`);
  } else {
    throw new Error(`the OAuth client ${r.oauthClient} no longer carries this setup's iap-auth0 marker: kept`);
  }
  return done.join('; ');
}
