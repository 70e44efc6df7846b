// Stage 4: IAP's OAuth client in the workforce OAuth server, and its credential.
// The client's redirect URI must contain the clientId Google generates at create (peers P1), so
// the client is created with a placeholder, the generated clientId is recorded at once (a run
// killed here resumes by re-patching), and the real redirect URI is patched in the same run (the
// plan shows that patch, awaiting the generated id).
// The credential's secret is read from the API (create and get return it) into memory only.
// Ownership: the client's description carries the setup marker; a client someone else made may be
// adopted (--adopt; iap-auth0 then only adds IAP's redirect URI and, if it has none, a credential
// of its own, and takes both back on destroy); another setup's client may be shared.
import { createHash } from 'node:crypto';
import { IAP_REDIRECT_URI } from '../../lib/ids.js';
import { gdata, planRead } from '../google-call.js';
import { isConflict, unlessNotFound } from '../google-errors.js';
import { notFoundYet, readAfterConflict, untilSettled } from '../settle.js';
import { CodedError, refusal } from '../coded-error.js';
import { decideUse, markedDescription, parseDescription, purposeOf, type UseDecision } from '../ownership.js';
import { existingChanges, markerToWrite } from '../decide-resource.js';
import { fieldOf, recordedAs, recordUse } from '../records.js';
import { runCheck, ok, failed, firstFailure, type CheckResult } from '../check.js';
import { oauthClientFate } from '../fates.js';
import { CREDENTIAL_ID, oauthCredentialSecret } from '../outputs.js';
import { DependencyFailed, refused, type Change, type Stage, type StageContext } from '../stage.js';
import type { CoreContext } from '../context.js';
import type { iam_v1 } from '@googleapis/iam';

export { CREDENTIAL_ID, oauthCredentialSecret };

// The redirect URI before the generated client id is known. A host Google's own examples use
// (the Terraform provider's tests create OAuth clients with https://www.example.com): a `.invalid`
// host was never shown accepted (real-world-evidence.md row 7). It is replaced in the same run.
export const PLACEHOLDER = 'https://www.example.com/iap-auth0-pending';
/** What earlier versions used; a client left on it by a killed run is patched all the same. */
const OLD_PLACEHOLDER = 'https://placeholder.invalid/iap-auth0-pending';

type Ctx = Pick<CoreContext, 'inputs' | 'state'>;
type OauthClient = iam_v1.Schema$OauthClient;
type Credential = iam_v1.Schema$OauthClientCredential;

const names = (ctx: Pick<CoreContext, 'inputs'>) => {
  const client = `projects/${ctx.inputs.project}/locations/global/oauthClients/${ctx.inputs.oauthClient}`;
  return {
    parent: `projects/${ctx.inputs.project}/locations/global`,
    client,
    credential: `${client}/credentials/${CREDENTIAL_ID}`,
  };
};
const purpose = (ctx: Ctx) => `IAP sign-in client for Cloud Run service ${ctx.inputs.service} in ${ctx.inputs.region}`;
const st = (ctx: Ctx) => ctx.state.stage('oauth-client');
const stage = 'oauth-client' as const;

const clientDecision = (ctx: Ctx, c: OauthClient): UseDecision =>
  decideUse(
    parseDescription(c.description),
    ctx.inputs.setupId,
    recordedAs(st(ctx), 'oauthClient', names(ctx).client),
    ctx.inputs.adopt,
  );

/** The client: created (then its redirect URI patched), or used (undeleted first) with what differs patched. */
export type ClientPlan = { changes: Change[] } & (
  | { do: 'create' }
  | { do: 'refuse'; error: CodedError }
  | { do: 'use'; use: 'created' | 'adopted'; client: OauthClient; undelete: boolean; mask: string[]; body: OauthClient }
);

/** Pure: the client's decision, from the client as read (undefined: absent). */
export function decideClient(ctx: Ctx, c: OauthClient | undefined): ClientPlan {
  const n = names(ctx);
  if (!c) {
    return {
      do: 'create',
      changes: [
        {
          stage,
          action: 'create',
          resource: n.client,
          reason: `no OAuth client with this id yet; created with a placeholder redirect URI (${PLACEHOLDER})`,
        },
        {
          stage,
          action: 'update',
          resource: n.client,
          fields: ['allowedRedirectUris'],
          awaits: 'the client id Google generates at create',
          reason: "IAP's redirect URI contains the generated client id",
        },
      ],
    };
  }
  const d = clientDecision(ctx, c);
  if ('refuse' in d) {
    const error = refusal(d, `the OAuth client ${n.client}`, {
      flag: '--oauth-client',
      stateFile: ctx.state.file,
      field: fieldOf('oauth-client', 'oauthClient'),
      me: ctx.inputs.setupId,
    });
    return { do: 'refuse', error, changes: [refused(stage, n.client, error)] };
  }
  if (c.state === 'DELETED' && d.use === 'adopted') {
    const error = new CodedError(
      'OAUTH_CLIENT_DELETED_BY_OWNER',
      `the OAuth client ${n.client} this setup uses was deleted by its owner`,
      'choose another --oauth-client',
    );
    return { do: 'refuse', error, changes: [refused(stage, n.client, error)] };
  }
  const mask: string[] = [];
  const body: OauthClient = {};
  const redirect = IAP_REDIRECT_URI(c.clientId ?? '');
  const uris = c.allowedRedirectUris ?? [];
  if (!uris.includes(redirect) || uris.includes(PLACEHOLDER) || uris.includes(OLD_PLACEHOLDER)) {
    mask.push('allowedRedirectUris');
    body.allowedRedirectUris = [
      ...uris.filter((u) => u !== PLACEHOLDER && u !== OLD_PLACEHOLDER && u !== redirect),
      redirect,
    ];
  }
  // The marker: an earlier version's upgraded to this setup's, this setup added to another's "shared with".
  const marker = markerToWrite(d.marker, parseDescription(c.description));
  if (marker) {
    mask.push('description');
    body.description = markedDescription(marker, purposeOf(c.description) || purpose(ctx), 256);
  }
  const why = [
    mask.includes('allowedRedirectUris') && "IAP's redirect URI for its client id",
    mask.includes('description') && 'its iap-auth0 marker',
  ]
    .filter(Boolean)
    .join(' and ');
  const deleted = c.state === 'DELETED';
  const changes = existingChanges(
    {
      stage,
      resource: n.client,
      use: d.use,
      marker: d.marker,
      deleted,
      adopting: d.use === 'adopted' && !recordedAs(st(ctx), 'oauthClient', n.client),
      fields: mask,
    },
    {
      undelete: "this setup's client was deleted; deleted ids stay reserved for 30 days",
      adopted: mask.includes('allowedRedirectUris') ? "; IAP's redirect URI added" : '',
      update: `sets ${why}`,
      asIs: `client id ${c.clientId}, IAP's redirect URI set`,
    },
  );
  return { do: 'use', use: d.use, client: c, undelete: deleted, mask, body, changes };
}

/** The credential: created, re-enabled, or used as it is. */
export type CredentialPlan = { change: Change; do: 'create' | 'enable' | 'use'; credential?: Credential };

export function decideCredential(ctx: Ctx, k: Credential | undefined): CredentialPlan {
  const resource = names(ctx).credential;
  if (!k)
    return {
      do: 'create',
      change: { stage, action: 'create', resource, reason: 'IAP redeems sign-in codes with its secret' },
    };
  if (k.disabled)
    return {
      do: 'enable',
      credential: k,
      change: {
        stage,
        action: 'update',
        resource,
        fields: ['disabled'],
        reason: 'it is disabled: IAP could not redeem sign-in codes',
      },
    };
  return { do: 'use', credential: k, change: { stage, action: 'none', resource, reason: 'enabled' } };
}

export interface OauthDecision {
  changes: Change[];
  client: ClientPlan;
  credential: CredentialPlan;
}

export const oauthClientStage: Stage = {
  id: 'oauth-client',
  verify: verifyOauthClient,
  owned: (rec) => {
    const s = rec.stage('oauth-client');
    const r = s.resources;
    const adopted = s.adopted?.includes('oauthClient');
    return [
      r.credential &&
        !s.adopted?.includes('credential') &&
        `OAuth client credential ${r.credential} (disabled, then deleted)`,
      r.oauthClient &&
        'OAuth client ' +
          `${r.oauthClient}${adopted ? " (adopted: kept, IAP's redirect URI taken back if iap-auth0 added it)" : ''}`,
    ].filter((x): x is string => !!x);
  },
  destroy: destroyOauthClient,

  async read(ctx) {
    const n = names(ctx);
    const oc = ctx.google.iam.projects.locations.oauthClients;
    const c = await planRead(ctx, () => oc.get({ name: n.client }));
    const k = c ? await planRead(ctx, () => oc.credentials.get({ name: n.credential })) : undefined;
    return () => {
      const client = decideClient(ctx, c);
      const credential = decideCredential(ctx, client.do === 'create' ? undefined : k);
      const d: OauthDecision = {
        changes: [...client.changes, ...(client.do === 'refuse' ? [] : [credential.change])],
        client,
        credential,
      };
      // What the IAP settings will be given: known when neither the client nor the credential is new.
      const secret = credential.credential?.clientSecret;
      const prospect = {
        clientId: client.do === 'use' ? (client.client.clientId ?? undefined) : undefined,
        secretSha256: secret ? createHash('sha256').update(secret).digest('hex') : undefined,
      };
      return { stage, changes: d.changes, prospects: { oauthClient: prospect }, apply: (x) => applyOauthClient(x, d) };
    };
  },
};

/** Executes the OAuth client decision: the client (created, undeleted, patched) and its credential. */
async function applyOauthClient(ctx: StageContext, d: OauthDecision): Promise<string> {
  if (d.client.do === 'refuse') throw d.client.error;
  await ctx.apisReady();
  const created = d.client.do === 'create' ? await createClient(ctx) : undefined;
  const plan = created ? created.plan : d.client;
  if (plan.do !== 'use') throw new Error(`the OAuth client ${names(ctx).client} was created but cannot be read`);
  const since = created?.since;
  const clientId = await useClient(ctx, plan, since);
  // A client the plan creates gets its credential created too (one a race met already has it: the 409 reads it).
  const secret = await applyCredential(
    ctx,
    d.client.do === 'create' ? decideCredential(ctx, undefined) : d.credential,
    plan.use,
    since,
  );
  ctx.secrets.set('oauthCredentialSecret', secret);
  ctx.provide('oauthClient', { clientId, secret: () => oauthCredentialSecret(ctx) });
  return (
    `OAuth client ${ctx.inputs.oauthClient} (client id ${clientId}) with its ` +
    `credential${plan.use === 'adopted' ? "; the client is someone else's, never deleted by this setup" : ''}`
  );
}

/** Google answers 404 for a client this run created for a few seconds after (`since`: when it was created). */
const newClient = (since: number | undefined) => ({
  stage,
  what: 'the new OAuth client',
  since,
  unsettled: notFoundYet,
});
const step = (ctx: StageContext, text: string) => ctx.emit({ type: 'step', stage, text });

/**
 * Creates the client (after the pool claim) with the placeholder redirect URI. Returns the planned
 * redirect-URI patch, with the generated id filled in (for a client met by a race: the one decision
 * taken on what is there), and when the client was created.
 */
async function createClient(ctx: StageContext): Promise<{ plan: ClientPlan; since: number | undefined }> {
  const n = names(ctx);
  const oc = ctx.google.iam.projects.locations.oauthClients;
  await ctx.claim().catch((e) => {
    throw new DependencyFailed('oauth-client', 'workforce-pool', e);
  });
  step(ctx, `creating OAuth client ${ctx.inputs.oauthClient}`);
  let client: OauthClient;
  let since: number | undefined;
  try {
    client = await gdata(
      ctx,
      () =>
        oc.create({
          parent: n.parent,
          oauthClientId: ctx.inputs.oauthClient,
          requestBody: {
            clientType: 'CONFIDENTIAL_CLIENT',
            allowedGrantTypes: ['AUTHORIZATION_CODE_GRANT'],
            allowedScopes: ['https://www.googleapis.com/auth/cloud-platform'],
            allowedRedirectUris: [PLACEHOLDER],
            displayName: 'iap-auth0',
            description: markedDescription({ owner: ctx.inputs.setupId, shared: [] }, purpose(ctx), 256),
          },
        }),
      'oauth-client',
    );
    since = Date.now();
    await recordUse(ctx, 'oauth-client', 'oauthClient', n.client, 'created');
  } catch (e) {
    // A retried create that had already succeeded, or another run's: read it by its id.
    if (!isConflict(e)) throw e;
    const read = () => gdata(ctx, () => oc.get({ name: n.client }), 'oauth-client');
    ({ value: client, since } = await readAfterConflict(ctx, 'oauth-client', 'the new OAuth client', read));
  }
  const plan = decideClient(ctx, client);
  if (plan.do === 'refuse') throw plan.error;
  return { plan, since };
}

/**
 * Uses the client as planned: undeletes it, records it and its generated id, then patches what the
 * plan names. Returns the generated client id.
 */
async function useClient(
  ctx: StageContext,
  plan: Extract<ClientPlan, { do: 'use' }>,
  since: number | undefined,
): Promise<string> {
  const n = names(ctx);
  const oc = ctx.google.iam.projects.locations.oauthClients;
  let client = plan.client;
  if (plan.undelete) {
    step(ctx, `undeleting OAuth client ${ctx.inputs.oauthClient} (deleted ids stay reserved for 30 days)`);
    client = await gdata(ctx, () => oc.undelete({ name: n.client, requestBody: {} }), 'oauth-client');
  }
  const clientId = client.clientId!;
  // Write-ahead: the generated id is on disk before the patch that depends on it.
  await recordUse(ctx, 'oauth-client', 'oauthClient', n.client, plan.use);
  await ctx.state.recordResource('oauth-client', 'clientId', clientId);
  if (!plan.mask.length) return clientId;
  const mask = plan.mask,
    body = plan.body;
  if (mask.includes('allowedRedirectUris')) {
    step(ctx, "setting the redirect URI to IAP's handler for the generated client id");
    if (plan.use === 'adopted')
      await ctx.state.updateStage('oauth-client', (s) => {
        s.added = [...new Set([...(s.added ?? []), `allowedRedirectUris:${IAP_REDIRECT_URI(clientId)}`])];
      });
  }
  await untilSettled(ctx, newClient(since), () =>
    gdata(ctx, () => oc.patch({ name: n.client, updateMask: mask.join(','), requestBody: body }), 'oauth-client'),
  );
  return clientId;
}

/**
 * Carries out the credential's plan (created, re-enabled, or used as it is) and records it.
 * Returns its secret, read from the API into memory only.
 */
async function applyCredential(
  ctx: StageContext,
  cp: CredentialPlan,
  use: 'created' | 'adopted',
  since: number | undefined,
): Promise<string> {
  const n = names(ctx);
  const oc = ctx.google.iam.projects.locations.oauthClients;
  let cred = cp.credential;
  let credUse: 'created' | 'adopted' =
    use === 'created' || recordedAs(st(ctx), 'credential', n.credential) === 'created' ? 'created' : 'adopted';
  if (cp.do === 'create') {
    step(ctx, 'creating the client credential');
    try {
      cred = await untilSettled(ctx, newClient(since), () =>
        gdata(
          ctx,
          () =>
            oc.credentials.create({
              parent: n.client,
              oauthClientCredentialId: CREDENTIAL_ID,
              requestBody: { displayName: `iap-auth0 ${ctx.inputs.setupId}`.trim() },
            }),
          'oauth-client',
        ),
      );
      credUse = 'created';
    } catch (e) {
      if (!isConflict(e)) throw e;
      const read = () => gdata(ctx, () => oc.credentials.get({ name: n.credential }), 'oauth-client');
      ({ value: cred } = await readAfterConflict(ctx, 'oauth-client', 'the new OAuth client credential', read));
    }
  } else if (cp.do === 'enable') {
    step(ctx, 're-enabling the client credential');
    cred = await gdata(
      ctx,
      () => oc.credentials.patch({ name: n.credential, updateMask: 'disabled', requestBody: { disabled: false } }),
      'oauth-client',
    );
  }
  await recordUse(ctx, 'oauth-client', 'credential', n.credential, credUse);
  if (!cred?.clientSecret)
    throw new Error(
      `the credential ${n.credential} returned no secret; check that you may read OAuth client credentials ` +
        '(roles/iam.oauthClientAdmin)',
    );
  return cred.clientSecret;
}

/** The client is active with the recorded generated id and IAP's redirect URI; its credential is enabled. */
async function verifyOauthClient(ctx: CoreContext): Promise<CheckResult[]> {
  const n = names(ctx);
  const oc = ctx.google.iam.projects.locations.oauthClients;
  const recordedId = ctx.state.stage('oauth-client').resources.clientId;
  const client = runCheck(
    'oauth-client',
    'oauth-client',
    'IAP OAuth client',
    async () => {
      const c = await unlessNotFound(() => gdata(ctx, () => oc.get({ name: n.client })));
      if (!c) return failed(`${n.client} no longer exists`, 'run iap-auth0 init to create it again');
      const redirect = IAP_REDIRECT_URI(c.clientId ?? '');
      const marker = decideUse(
        parseDescription(c.description),
        ctx.inputs.setupId,
        recordedAs(st(ctx), 'oauthClient', n.client),
        false,
      );
      return firstFailure(
        [
          [c.state === 'DELETED', failed(`${n.client} was deleted`, 'run iap-auth0 init: it undeletes the client')],
          [
            c.disabled === true,
            failed(
              `${n.client} is disabled: IAP cannot sign anyone in`,
              'run iap-auth0 init, or enable it with gcloud iam oauth-clients update --no-disabled',
            ),
          ],
          [
            !!recordedId && c.clientId !== recordedId,
            failed(
              `its generated client id is ${c.clientId}, not the recorded ${recordedId}`,
              'run iap-auth0 init to point IAP at the current client',
            ),
          ],
          [
            !c.allowedRedirectUris?.includes(redirect),
            failed(
              `its allowed redirect URIs (${(c.allowedRedirectUris ?? []).join(', ') || 'none'}) lack IAP's ` +
                `handler ${redirect}: Google answers "redirect_uri_mismatch"`,
              'run iap-auth0 init (puts it back)',
            ),
          ],
          [
            'refuse' in marker,
            failed(
              `${n.client} no longer carries this setup's iap-auth0 marker in its description`,
              `put it back: its description must start with "Managed by iap-auth0 (setup ${ctx.inputs.setupId})"`,
            ),
          ],
        ],
        `client id ${c.clientId}, redirect URI set`,
      );
    },
    ctx.inputs.project,
    ctx.signal,
  );
  const credential = runCheck(
    'oauth-client',
    'oauth-credential',
    'OAuth client credential',
    async () => {
      const k = await unlessNotFound(() => gdata(ctx, () => oc.credentials.get({ name: n.credential })));
      if (!k)
        return failed(
          `${n.credential} no longer exists: IAP cannot redeem sign-in codes`,
          'run iap-auth0 init (creates a new credential and updates the IAP settings)',
        );
      return k.disabled
        ? failed(
            `${n.credential} is disabled: IAP cannot redeem sign-in codes ("invalid_client")`,
            'run iap-auth0 init (enables it again)',
          )
        : ok(`${CREDENTIAL_ID}, enabled`);
    },
    ctx.inputs.project,
    ctx.signal,
  );
  return Promise.all([client, credential]);
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
    if (!k.disabled) {
      step('disabling the client credential');
      await unlessNotFound(() =>
        gdata(
          ctx,
          () => oc.credentials.patch({ name: r.credential, updateMask: 'disabled', requestBody: { disabled: true } }),
          'oauth-client',
        ),
      );
    }
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
    await gdata(
      ctx,
      () =>
        oc.patch({
          name: r.oauthClient,
          updateMask: 'description',
          requestBody: { description: markedDescription(fate.marker, purposeOf(c.description) || purpose(ctx), 256) },
        }),
      'oauth-client',
    );
    done.push(
      fate.fate === 'hand-over'
        ? `kept OAuth client ${r.oauthClient}: handed over to iap-auth0 setup ${fate.to}, which still uses it`
        : `kept OAuth client ${r.oauthClient}: another setup's, no longer shared with this one`,
    );
  } else if (fate.fate === 'release' || fate.fate === 'not-ours') {
    if (r.credential && recordedAs(s, 'credential', r.credential) === 'created') await deleteCredential();
    const added = (s.added ?? [])
      .filter((a) => a.startsWith('allowedRedirectUris:'))
      .map((a) => a.slice('allowedRedirectUris:'.length));
    const c = added.length ? await gdata(ctx, () => oc.get({ name: r.oauthClient }), 'oauth-client') : undefined;
    const left = (c?.allowedRedirectUris ?? []).filter((u) => !added.includes(u));
    if (c && left.length !== (c.allowedRedirectUris ?? []).length && left.length) {
      step("taking back IAP's redirect URI");
      await gdata(
        ctx,
        () =>
          oc.patch({
            name: r.oauthClient,
            updateMask: 'allowedRedirectUris',
            requestBody: { allowedRedirectUris: left },
          }),
        'oauth-client',
      );
    }
    done.push(`kept OAuth client ${r.oauthClient}: not created by this setup`);
  } else {
    throw new Error(`the OAuth client ${r.oauthClient} no longer carries this setup's iap-auth0 marker: kept`);
  }
  return done.join('; ');
}
