// Stage 5: point the service's IAP resource at the workforce pool with the OAuth client.
// The resource name uses the project NUMBER and `cloud_run-` with an underscore (peers P9): a
// project id or `cloud-run-` is accepted by the API and silently never read. The update carries a
// mask, so IAP settings iap-auth0 does not own (reauth, access-denied page, …) survive; nothing is
// written when the pool, client id and secret hash already match (peers P12).
// IAP settings carry no marker of their own: they are this setup's when they name its pool (or
// nothing yet). Settings that name another pool belong to someone else (with --scope project, to
// the setup whose pool every service of the project signs in with) and are never repointed.
import { createHash } from 'node:crypto';
import { IAP_RUN_RESOURCE, POOL_RESOURCE } from '../../lib/ids.js';
import { gdata, planRead } from '../google-call.js';
import { oauthClientFate, poolFates, serviceFate } from '../fates.js';
import { oauthCredentialSecret, recorded, type Prospects } from '../outputs.js';
import { CodedError } from '../coded-error.js';
import { parseDescription, setupName } from '../ownership.js';
import { runCheck, ok, failed, type CheckResult } from '../check.js';
import { unlessNotFound } from '../google-errors.js';
import type { CoreContext } from '../context.js';
import type { IapSettings } from '../../google/iap-client.js';
import { refused, type Change, type Stage, type StageContext } from '../stage.js';

const stage = 'iap-settings' as const;

export const IAP_SETTINGS_MASK = [
  'iapSettings.accessSettings.identitySources',
  'iapSettings.accessSettings.workforceIdentitySettings',
];

export function iapSettingsResource(ctx: Pick<CoreContext, 'inputs'>): string {
  const i = ctx.inputs;
  return i.scope === 'project' ? `projects/${i.projectNumber}` : IAP_RUN_RESOURCE(i.projectNumber, i.region, i.service);
}

/** True when the stored settings already say what we would write. */
export function settingsMatch(
  s: IapSettings | undefined,
  pool: string,
  clientId: string,
  secretSha256?: string,
): boolean {
  const a = s?.accessSettings;
  const w = a?.workforceIdentitySettings;
  return (
    JSON.stringify(a?.identitySources ?? []) === JSON.stringify(['WORKFORCE_IDENTITY_FEDERATION']) &&
    JSON.stringify(w?.workforcePools ?? []) === JSON.stringify([POOL_RESOURCE(pool)]) &&
    w?.oauth2?.clientId === clientId &&
    (secretSha256 === undefined || w?.oauth2?.clientSecretSha256 === secretSha256)
  );
}

/** The pool the settings name when it is not this setup's (they are someone else's then). */
const otherPool = (ctx: Pick<CoreContext, 'inputs'>, s: IapSettings | undefined) =>
  (s?.accessSettings?.workforceIdentitySettings?.workforcePools ?? []).find(
    (p) => p !== POOL_RESOURCE(ctx.inputs.pool),
  );

/** Refuses settings that point at another pool, naming whose they are and how to share them. */
async function foreignSettings(
  ctx: CoreContext,
  name: string,
  s: IapSettings | undefined,
): Promise<CodedError | undefined> {
  const pool = otherPool(ctx, s);
  if (!pool) return undefined;
  const live = await unlessNotFound(() =>
    gdata(ctx, () => ctx.google.iam.locations.workforcePools.get({ name: pool })),
  ).catch(() => undefined);
  const owner = parseDescription(live?.description)?.owner;
  const clientId = s?.accessSettings?.workforceIdentitySettings?.oauth2?.clientId;
  const list = await gdata(ctx, () =>
    ctx.google.iam.projects.locations.oauthClients.list({ parent: `projects/${ctx.inputs.project}/locations/global` }),
  ).catch(() => undefined);
  const client = list?.oauthClients
    ?.find((c) => c.clientId === clientId)
    ?.name?.split('/')
    .pop();
  const id = pool.split('/').pop();
  return new CodedError(
    'IAP_SETTINGS_IN_USE',
    `the IAP settings of ${name} already sign people in with workforce pool ` +
      `${id}${owner !== undefined ? ` of ${setupName(owner)}` : ''}` +
      `${clientId ? ` and OAuth client ${client ?? clientId}` : ''}; iap-auth0 does not repoint settings ` +
      'another setup relies on',
    ctx.inputs.scope === 'project'
      ? 'with --scope project every IAP app of the project shares one pool and OAuth client: pass --pool ' +
          `${id}${client ? ` --oauth-client ${client}` : ''} --adopt to share them, or use --scope service`
      : 'clear them first if they are stale (gcloud iap settings set with an empty workforce configuration), or ' +
          `pass --pool ${id}${client ? ` --oauth-client ${client}` : ''} --adopt to share them`,
  );
}

/**
 * The settings: someone else's (refused), already as they should be, or written (masked) with the OAuth client's id and
 * secret.
 */
export type SettingsPlan = { change: Change } & (
  | { do: 'refuse'; error: CodedError }
  | { do: 'none' }
  | { do: 'write' }
);

/**
 * Pure: the settings' decision, from the settings as read and the OAuth client as the oauth-client
 * stage will provide it (a client id or secret unknown yet: made by this run, so the settings change).
 */
export function decideSettings(
  ctx: Pick<CoreContext, 'inputs'>,
  name: string,
  current: IapSettings | undefined,
  foreign: CodedError | undefined,
  client: Prospects['oauthClient'] | undefined,
): SettingsPlan {
  if (foreign) return { do: 'refuse', error: foreign, change: refused(stage, name, foreign) };
  const fields = IAP_SETTINGS_MASK.map((f) => f.split('.').pop()!);
  const known = client?.clientId !== undefined && client.secretSha256 !== undefined;
  if (known && settingsMatch(current, ctx.inputs.pool, client.clientId!, client.secretSha256)) {
    return {
      do: 'none',
      change: {
        stage,
        action: 'none',
        resource: name,
        reason: `pool ${ctx.inputs.pool} and OAuth client ${client.clientId} with its current secret`,
      },
    };
  }
  return {
    do: 'write',
    change: {
      stage,
      action: 'update',
      resource: name,
      fields,
      reason: `workforce pool ${ctx.inputs.pool} and the OAuth client`,
      ...(known ? {} : { awaits: "the OAuth client's id and secret (oauth-client)" }),
    },
  };
}

export const iapSettingsStage: Stage = {
  id: 'iap-settings',
  verify: verifyIapSettings,
  owned: (rec) => {
    const st = rec.stage('iap-settings');
    return st.resources.iapResource
      ? [
          `IAP settings on ${st.resources.iapResource}: ` +
            `${(st.added ?? IAP_SETTINGS_MASK).map((f) => f.split('.').pop()).join(', ')} (other settings kept; ` +
            'kept while another setup uses them)',
        ]
      : [];
  },
  destroy: destroyIapSettings,

  async read(ctx) {
    const name = iapSettingsResource(ctx);
    const current = await planRead(ctx, () => ctx.google.iap.getIapSettings({ name }));
    const foreign = await foreignSettings(ctx, name, current);
    return (ahead) => {
      const d = decideSettings(ctx, name, current, foreign, ahead.oauthClient);
      return { stage, changes: [d.change], prospects: {}, apply: (c) => applySettings(c, name, d) };
    };
  },
};

/** Executes the settings decision, once the service, the pool and the OAuth client are there. */
async function applySettings(ctx: StageContext, name: string, d: SettingsPlan): Promise<string> {
  if (d.do === 'refuse') throw d.error;
  const [, , client] = await Promise.all([ctx.need('service'), ctx.need('pool'), ctx.need('oauthClient')]);
  await ctx.apisReady();
  if (d.do === 'write') {
    const secret = await client.secret();
    ctx.emit({ type: 'step', stage, text: `pointing ${name} at pool ${ctx.inputs.pool}` });
    await gdata(
      ctx,
      () =>
        ctx.google.iap.updateIapSettings({
          name,
          updateMask: IAP_SETTINGS_MASK.join(','),
          requestBody: {
            name,
            accessSettings: {
              identitySources: ['WORKFORCE_IDENTITY_FEDERATION'],
              workforceIdentitySettings: {
                workforcePools: [POOL_RESOURCE(ctx.inputs.pool)],
                oauth2: { clientId: client.clientId, clientSecret: secret },
              },
            },
          },
        }),
      'iap-settings',
    );
  }
  await ctx.state.updateStage('iap-settings', (st) => {
    st.resources.iapResource = name;
    st.added = IAP_SETTINGS_MASK;
  });
  return `${name} uses pool ${ctx.inputs.pool}`;
}

/** The settings name our pool and OAuth client, and the stored secret hash is our credential's. */
async function verifyIapSettings(ctx: CoreContext): Promise<CheckResult[]> {
  const name = iapSettingsResource(ctx);
  return [
    await runCheck(
      'iap-settings',
      'iap-settings',
      'IAP settings',
      async () => {
        const clientId = recorded(ctx, 'oauthClient')?.clientId;
        const current = await gdata(ctx, () => ctx.google.iap.getIapSettings({ name }));
        const a = current.accessSettings;
        const w = a?.workforceIdentitySettings;
        if (!a?.identitySources?.includes('WORKFORCE_IDENTITY_FEDERATION'))
          return failed(
            `${name} does not use workforce identity (identitySources is ` +
              `${JSON.stringify(a?.identitySources ?? [])}): IAP sends people to Google sign-in`,
            'run iap-auth0 init (sets it back)',
          );
        if (!w?.workforcePools?.includes(POOL_RESOURCE(ctx.inputs.pool))) {
          return failed(
            `${name} names pool ${w?.workforcePools?.join(', ') || '(none)'}, not ${POOL_RESOURCE(ctx.inputs.pool)}`,
            w?.workforcePools?.length
              ? 'someone pointed them at another pool; iap-auth0 does not repoint settings that name another ' +
                  'pool: clear them, then run iap-auth0 init'
              : 'run iap-auth0 init (sets it back)',
          );
        }
        if (!clientId || w.oauth2?.clientId !== clientId)
          return failed(
            `${name} names OAuth client ${w.oauth2?.clientId ?? '(none)'}, not ${clientId ?? '(none recorded)'}`,
            'run iap-auth0 init (sets it back)',
          );
        const secret = await unlessNotFound(() => oauthCredentialSecret(ctx));
        if (secret === undefined)
          return failed(
            'the OAuth client credential is gone, so IAP holds a secret that no longer exists',
            'run iap-auth0 init (new credential, settings updated)',
          );
        const sha = createHash('sha256').update(secret).digest('hex');
        // Hex or base64 is not documented (gcp-api.md 13): either is accepted.
        const b64 = createHash('sha256').update(secret).digest('base64');
        if (w.oauth2?.clientSecretSha256 !== sha && w.oauth2?.clientSecretSha256 !== b64)
          return failed(
            "the client secret IAP holds is not the credential's (clientSecretSha256 differs): IAP cannot " +
              'redeem sign-in codes',
            'run iap-auth0 init (sends the current secret)',
          );
        return ok(`pool ${ctx.inputs.pool}, OAuth client ${clientId}, secret hash matches`);
      },
      ctx.inputs.project,
      ctx.signal,
    ),
  ];
}

/**
 * Whether another setup still relies on these settings after this destroy: with --scope project,
 * every setup that shares the pool or OAuth client; on a service, a setup the service is handed
 * over to or shared with.
 */
async function stillUsed(ctx: CoreContext): Promise<string | undefined> {
  const continuing = (f: { fate: string; to?: string } | undefined) =>
    f && (f.fate === 'hand-over' || f.fate === 'unshare') ? f : undefined;
  if (ctx.inputs.scope === 'project') {
    const [pools, client] = await Promise.all([poolFates(ctx), oauthClientFate(ctx)]);
    const f = continuing(pools.pool) ?? continuing(client);
    return f && (f.to ? `iap-auth0 setup ${f.to}` : 'the setup whose pool and OAuth client they name');
  }
  const f = continuing((await serviceFate(ctx))?.fate);
  return f && (f.to ? `iap-auth0 setup ${f.to}` : 'the setup that owns the service');
}

/**
 * Clears the fields iap-auth0 set (the update mask leaves every other setting alone), if they are still ours and no
 * other setup relies on them.
 */
async function destroyIapSettings(ctx: CoreContext): Promise<string> {
  const st = ctx.state.stage('iap-settings');
  const name = st.resources.iapResource;
  if (!name) return 'nothing to clear';
  const current = await unlessNotFound(() => gdata(ctx, () => ctx.google.iap.getIapSettings({ name }), 'iap-settings'));
  const w = current?.accessSettings?.workforceIdentitySettings;
  const clientId = recorded(ctx, 'oauthClient')?.clientId;
  if (
    !w ||
    (!w.workforcePools?.includes(POOL_RESOURCE(ctx.inputs.pool)) && (!clientId || w.oauth2?.clientId !== clientId))
  ) {
    return `nothing of iap-auth0's left in ${name}`;
  }
  const user = await stillUsed(ctx);
  if (user) return `kept the IAP settings of ${name}: ${user} still signs people in with them`;
  ctx.emit({ type: 'step', stage: 'iap-settings', text: `clearing the workforce settings of ${name}` });
  const mask = st.added?.length ? st.added : IAP_SETTINGS_MASK;
  await unlessNotFound(() =>
    gdata(
      ctx,
      () =>
        ctx.google.iap.updateIapSettings({
          name,
          updateMask: mask.join(','),
          requestBody: { name, accessSettings: {} },
        }),
      'iap-settings',
    ),
  );
  return `cleared ${mask.map((f) => f.split('.').pop()).join(' and ')} on ${name}`;
}
