// Stage 3: the workforce pool under the project's organization and its OIDC provider pointing at
// Auth0. The issuer is the discovery document's, verbatim, trailing slash included (peers P6); the
// mapping includes google.email so IAP's JWT carries the email (P8). A pool or provider with our id
// that was deleted is undeleted rather than fought (ids stay reserved 30 days, P5). Operations are
// recorded before they are polled, so a resumed run polls instead of creating again.
//
// The pool is the setup's anchor: its id is global and derived from project, region and service,
// and creating it is the one step two racing setups cannot both win. claimPool() runs first in
// every run (ctx.claim, memoized), and the other stages create nothing before it succeeded; a run
// that finds the pool owned by another setup stops there, having created nothing.
import { GROUPS_CLAIM, POOL_RESOURCE, PROVIDER_RESOURCE } from '../../lib/ids.js';
import { gdata, planRead } from '../google-call.js';
import { googleFailure, isConflict, unlessNotFound } from '../google-errors.js';
import { pollOperation } from '../poll.js';
import { auth0ClientSecret } from './auth0-app.js';
import { refusal } from '../coded-error.js';
import { adoptedNote, decideFate, decideUse, markedDescription, parseDescription, purposeOf, sameMarker, type Fate, type Marker, type UseDecision } from '../ownership.js';
import { fieldOf, recordedAs, recordUse } from '../records.js';
import { runCheck, ok, failed, firstFailure, type CheckResult } from '../check.js';
import type { CoreContext } from '../context.js';
import { refusedItem, type PlanItem, type Stage } from '../stage.js';
import type { iam_v1 } from '@googleapis/iam';

type Pool = iam_v1.Schema$WorkforcePool;
type Provider = iam_v1.Schema$WorkforcePoolProvider;
type Ctx = Pick<CoreContext, 'inputs' | 'state' | 'google' | 'signal' | 'emit'>;

export function desiredMapping(allow: string[]): Record<string, string> {
  const m: Record<string, string> = { 'google.subject': 'assertion.sub', 'google.email': 'assertion.email', 'google.display_name': 'assertion.name' };
  if (allow.some((a) => a.startsWith('group:'))) m['google.groups'] = `assertion['${GROUPS_CLAIM}']`;
  return m;
}
const WEB_SSO = { responseType: 'CODE', assertionClaimsBehavior: 'MERGE_USER_INFO_OVER_ID_TOKEN_CLAIMS', additionalScopes: ['email', 'profile'] };

const poolPurpose = (ctx: Ctx) => `workforce pool for Cloud Run service ${ctx.inputs.service} in ${ctx.inputs.project} (${ctx.inputs.region})`;
const providerPurpose = (ctx: Ctx) => `Auth0 ${ctx.inputs.auth0Domain} sign-in for Cloud Run service ${ctx.inputs.service}`;
const names = (ctx: Ctx) => ({ pool: POOL_RESOURCE(ctx.inputs.pool), provider: PROVIDER_RESOURCE(ctx.inputs.pool, ctx.inputs.provider) });
const st = (ctx: Ctx) => ctx.state.stage('workforce-pool');
const ownerOpts = (ctx: Ctx, key: 'pool' | 'provider') => ({
  flag: key === 'pool' ? '--pool' : '--provider', stateFile: ctx.state.file, field: fieldOf('workforce-pool', key), me: ctx.inputs.setupId,
});

/** May this setup use the pool, and as what. A pool someone else made may be adopted (providers are added to it). */
export const poolDecision = (ctx: Ctx, p: Pool): UseDecision =>
  decideUse(parseDescription(p.description), ctx.inputs.setupId, recordedAs(st(ctx), 'pool', names(ctx).pool), ctx.inputs.adopt);

/**
 * May this setup use the provider. One that no iap-auth0 setup made is never adopted: using it
 * would mean pointing it at iap-auth0's Auth0 app, changing how its owner's users sign in.
 */
const providerDecision = (ctx: Ctx, p: Provider): UseDecision =>
  decideUse(parseDescription(p.description), ctx.inputs.setupId, recordedAs(st(ctx), 'provider', names(ctx).provider), ctx.inputs.adopt, false);

async function readPool(ctx: Ctx): Promise<Pool | undefined> {
  return unlessNotFound(() => gdata(ctx, () => ctx.google.iam.locations.workforcePools.get({ name: names(ctx).pool }), 'workforce-pool')).catch((e) => {
    if (googleFailure(e)?.httpStatus === 403) throw new Error(`cannot read workforce pool ${ctx.inputs.pool}: pool ids are global across all organizations, so another organization may own it; choose another with --pool`);
    throw e;
  });
}

/** Patches a description to carry `marker` (an update operation, waited for). */
async function writeMarker(ctx: Ctx, kind: 'pool' | 'provider', current: string | null | undefined, marker: Marker, purpose: string): Promise<void> {
  const pools = ctx.google.iam.locations.workforcePools;
  const description = markedDescription(marker, purposeOf(current) || purpose, 256);
  const name = names(ctx)[kind];
  const op = kind === 'pool'
    ? await gdata(ctx, () => pools.patch({ name, updateMask: 'description', requestBody: { description } }), 'workforce-pool')
    : await gdata(ctx, () => pools.providers.patch({ name, updateMask: 'description', requestBody: { description } }), 'workforce-pool');
  await waitOp(ctx, kind, op);
}

async function waitOp(ctx: Ctx, kind: 'pool' | 'provider', op: iam_v1.Schema$Operation): Promise<void> {
  if (!op.name || op.done) return;
  const pools = ctx.google.iam.locations.workforcePools;
  const get = kind === 'pool' ? (name: string) => pools.operations.get({ name }) : (name: string) => pools.providers.operations.get({ name });
  await ctx.state.recordOperation('workforce-pool', kind, op.name);
  await unlessNotFound(() => pollOperation(get, op, { signal: ctx.signal }));
  await ctx.state.recordOperation('workforce-pool', kind, undefined);
}

/**
 * The setup's claim on its pool: reads it, creates it when absent (the create is accepted at once;
 * the apply waits for its operation), or checks that this setup may use it and puts its marker
 * right (ours restored, this setup added to the "shared with" list of a pool it adopts).
 */
export async function claimPool(ctx: CoreContext): Promise<'created' | 'adopted'> {
  await ctx.apisReady();
  const pools = ctx.google.iam.locations.workforcePools;
  const n = names(ctx);
  let pool = await readPool(ctx);
  if (!pool) {
    ctx.emit({ type: 'step', stage: 'workforce-pool', text: `creating workforce pool ${ctx.inputs.pool}` });
    try {
      const op = await gdata(ctx, () => pools.create({ location: 'locations/global', workforcePoolId: ctx.inputs.pool, requestBody: {
        parent: `organizations/${ctx.inputs.organization}`, displayName: `iap-auth0 ${ctx.inputs.service}`.slice(0, 32),
        description: markedDescription({ owner: ctx.inputs.setupId, shared: [] }, poolPurpose(ctx), 256), sessionDuration: '3600s' } }), 'workforce-pool');
      if (op.name && !op.done) await ctx.state.recordOperation('workforce-pool', 'pool', op.name);
      await recordUse(ctx, 'workforce-pool', 'pool', n.pool, 'created');
      return 'created';
    } catch (e) {
      // Created by a retried request, or by another run at the same moment: whose is it?
      if (!isConflict(e)) throw e;
      pool = await gdata(ctx, () => pools.get({ name: n.pool }), 'workforce-pool');
    }
  }
  const d = poolDecision(ctx, pool);
  if ('refuse' in d) throw refusal(d, `the workforce pool ${ctx.inputs.pool}`, ownerOpts(ctx, 'pool'));
  if (d.marker && !sameMarker(d.marker, parseDescription(pool.description)) && pool.state !== 'DELETED' && parseDescription(pool.description)) {
    ctx.emit({ type: 'step', stage: 'workforce-pool', text: d.use === 'created' ? `restoring the iap-auth0 marker of pool ${ctx.inputs.pool}` : `recording that this setup shares pool ${ctx.inputs.pool}` });
    await writeMarker(ctx, 'pool', pool.description, d.marker, poolPurpose(ctx));
  }
  await recordUse(ctx, 'workforce-pool', 'pool', n.pool, d.use);
  return d.use;
}

export const workforcePoolStage: Stage = {
  id: 'workforce-pool',
  title: 'Workforce pool and provider',
  verify: verifyPool,
  owned: (ctx) => {
    const r = ctx.state.stage('workforce-pool');
    const tag = (k: string) => (r.adopted?.includes(k) ? ' (adopted: kept)' : '');
    return [r.resources.provider && `workforce provider ${r.resources.provider}${tag('provider')}`,
      r.resources.pool && `workforce pool ${r.resources.pool}${tag('pool') || ' (Google keeps its id for 30 days; a later init undeletes it)'}`].filter((x): x is string => !!x);
  },
  destroy: destroyPool,

  async plan(ctx) {
    const pools = ctx.google.iam.locations.workforcePools;
    const n = names(ctx);
    const pool = await planRead(ctx, () => pools.get({ name: n.pool }));
    const prov = pool && await planRead(ctx, () => pools.providers.get({ name: n.provider }));
    const item = (resource: string, r: Pool | Provider | undefined, d: UseDecision | undefined, what: string, key: 'pool' | 'provider', detail: string): PlanItem => {
      if (!r || !d) return { stage: 'workforce-pool', action: 'create', resource, detail };
      if ('refuse' in d) return refusedItem('workforce-pool', resource, refusal(d, what, ownerOpts(ctx, key)));
      if (r.state === 'DELETED') return { stage: 'workforce-pool', action: 'undelete', resource };
      return { stage: 'workforce-pool', action: d.use === 'adopted' && !recordedAs(st(ctx), key, resource) ? 'adopt' : 'none', resource,
        detail: d.use === 'adopted' ? adoptedNote(d.marker) : undefined };
    };
    return [
      item(n.pool, pool, pool && poolDecision(ctx, pool), `the workforce pool ${ctx.inputs.pool}`, 'pool', `in organizations/${ctx.inputs.organization}`),
      item(n.provider, prov, prov && providerDecision(ctx, prov), `the workforce provider ${n.provider}`, 'provider', 'OIDC, Auth0 code flow'),
    ];
  },

  async apply(ctx) {
    const pools = ctx.google.iam.locations.workforcePools;
    const step = (text: string) => ctx.emit({ type: 'step', stage: 'workforce-pool', text });
    const n = names(ctx);
    const poolOp = (name: string) => pools.operations.get({ name });
    const provOp = (name: string) => pools.providers.operations.get({ name });

    const use = await ctx.claim();
    // Operations still running: the claim's create, or what a killed run started.
    for (const [key, op] of Object.entries(st(ctx).operations)) {
      await unlessNotFound(() => pollOperation(key.startsWith('provider') ? provOp : poolOp, { name: op }, { signal: ctx.signal }));
      await ctx.state.recordOperation('workforce-pool', key, undefined);
    }
    let pool = await gdata(ctx, () => pools.get({ name: n.pool }), 'workforce-pool');
    if (pool.state === 'DELETED') {
      if (use === 'adopted') throw new Error(`the workforce pool ${ctx.inputs.pool} this setup shares was deleted by its owner; choose another --pool, or undelete it: gcloud iam workforce-pools undelete ${ctx.inputs.pool} --location=global`);
      step(`undeleting workforce pool ${ctx.inputs.pool} (a deleted pool id stays reserved for 30 days)`);
      await waitOp(ctx, 'pool', await gdata(ctx, () => pools.undelete({ name: n.pool, requestBody: {} }), 'workforce-pool'));
      pool = await gdata(ctx, () => pools.get({ name: n.pool }), 'workforce-pool');
    }
    if (pool.parent !== `organizations/${ctx.inputs.organization}`) {
      throw new Error(`the workforce pool ${ctx.inputs.pool} belongs to ${pool.parent}, not to the project's organization ${ctx.inputs.organization}; choose another --pool`);
    }

    // The provider needs the Auth0 app (client id and secret) and the issuer.
    await ctx.until('auth0-app:client');
    const clientId = ctx.state.stage('auth0-app').resources.clientId;
    if (!clientId) throw new Error('the Auth0 app is not recorded; run iap-auth0 init again');
    const issuer = await ctx.auth0Issuer();
    const mapping = desiredMapping(ctx.inputs.allow);
    let prov = await unlessNotFound(() => gdata(ctx, () => pools.providers.get({ name: n.provider }), 'workforce-pool'));
    if (!prov) {
      step(`creating provider ${ctx.inputs.provider} for ${issuer}`);
      const secret = await auth0ClientSecret(ctx);
      try {
        const op = await gdata(ctx, () => pools.providers.create({ parent: n.pool, workforcePoolProviderId: ctx.inputs.provider, requestBody: {
          displayName: 'Auth0', description: markedDescription({ owner: ctx.inputs.setupId, shared: [] }, providerPurpose(ctx), 256), attributeMapping: mapping,
          oidc: { issuerUri: issuer, clientId, clientSecret: { value: { plainText: secret } }, webSsoConfig: WEB_SSO } } }), 'workforce-pool');
        await recordUse(ctx, 'workforce-pool', 'provider', n.provider, 'created');
        await waitOp(ctx, 'provider', op);
        await ctx.state.recordResource('workforce-pool', 'providerSecretFor', clientId);
      } catch (e) { if (!isConflict(e)) throw e; }
      prov = await gdata(ctx, () => pools.providers.get({ name: n.provider }), 'workforce-pool');
    }
    const d = providerDecision(ctx, prov);
    if ('refuse' in d) throw refusal(d, `the workforce provider ${n.provider}`, ownerOpts(ctx, 'provider'));
    const provUse = d.use;
    if (prov.state === 'DELETED') {
      if (provUse === 'adopted') throw new Error(`the workforce provider ${n.provider} this setup shares was deleted by its owner; choose another --pool`);
      step(`undeleting provider ${ctx.inputs.provider}`);
      await waitOp(ctx, 'provider', await gdata(ctx, () => pools.providers.undelete({ name: n.provider, requestBody: {} }), 'workforce-pool'));
      prov = await gdata(ctx, () => pools.providers.get({ name: n.provider }), 'workforce-pool');
    }
    // Patch only what differs; the secret cannot be read back (thumbprint only), so it is re-sent
    // only when the provider was given another Auth0 app's secret. A shared provider is another
    // setup's: iap-auth0 only adds the attribute mappings this setup needs, and stops if it signs
    // in with another tenant or app.
    const mask: string[] = [];
    const body: Provider = {};
    const o = prov.oidc ?? {};
    if (provUse === 'adopted') {
      if (o.issuerUri !== issuer || o.clientId !== clientId) {
        throw new Error(`the shared workforce provider ${n.provider} signs in with ${o.issuerUri} client ${o.clientId}, not this setup's Auth0 app ${clientId} at ${issuer}; use another --provider`);
      }
    } else if (o.issuerUri !== issuer || o.clientId !== clientId || st(ctx).resources.providerSecretFor !== clientId || o.webSsoConfig?.responseType !== 'CODE') {
      mask.push('oidc');
      body.oidc = { issuerUri: issuer, clientId, clientSecret: { value: { plainText: await auth0ClientSecret(ctx) } }, webSsoConfig: WEB_SSO };
    }
    const missing = Object.keys(mapping).filter((k) => prov!.attributeMapping?.[k] !== mapping[k] && (provUse === 'created' || prov!.attributeMapping?.[k] === undefined));
    if (missing.length) {
      mask.push('attributeMapping');
      body.attributeMapping = { ...(prov.attributeMapping ?? {}), ...Object.fromEntries(missing.map((k) => [k, mapping[k]])) };
    }
    const marker = d.marker;
    if (marker && !sameMarker(marker, parseDescription(prov.description)) && (provUse === 'created' || parseDescription(prov.description))) {
      mask.push('description');
      body.description = markedDescription(marker, purposeOf(prov.description) || providerPurpose(ctx), 256);
    }
    if (mask.length) {
      step(`updating provider ${ctx.inputs.provider}: ${mask.join(', ')}`);
      await waitOp(ctx, 'provider', await gdata(ctx, () => pools.providers.patch({ name: n.provider, updateMask: mask.join(','), requestBody: body }), 'workforce-pool'));
      if (mask.includes('oidc')) await ctx.state.recordResource('workforce-pool', 'providerSecretFor', clientId);
      if (provUse === 'adopted' && missing.length) {
        await ctx.state.updateStage('workforce-pool', (s) => { s.added = [...new Set([...(s.added ?? []), ...missing.map((k) => `attributeMapping.${k}`)])]; });
      }
    }
    await recordUse(ctx, 'workforce-pool', 'provider', n.provider, provUse);
    const shared = [use === 'adopted' && 'pool', provUse === 'adopted' && 'provider'].filter(Boolean);
    return `pool ${ctx.inputs.pool} with provider ${ctx.inputs.provider} (issuer ${issuer})${shared.length ? `; ${shared.join(' and ')} shared, never deleted by this setup` : ''}`;
  },
};

/** The pool is active in our organization; the provider is active, points at Auth0's issuer byte for byte, with our app and the code flow. */
async function verifyPool(ctx: CoreContext): Promise<CheckResult[]> {
  const pools = ctx.google.iam.locations.workforcePools;
  const n = names(ctx);
  const markerProblem = (what: string, description: string | null | undefined, key: 'pool' | 'provider') => {
    const d = decideUse(parseDescription(description), ctx.inputs.setupId, recordedAs(st(ctx), key, n[key]), false);
    return 'refuse' in d ? failed(`${what} no longer carries this setup's iap-auth0 marker in its description`,
      `put it back: its description must start with "${markedDescription({ owner: ctx.inputs.setupId, shared: [] }, '', 256).replace(/: $/, ':')}"`) : undefined;
  };
  const pool = runCheck('workforce-pool', 'workforce-pool', 'Workforce pool', async () => {
    const p = await unlessNotFound(() => gdata(ctx, () => pools.get({ name: n.pool })));
    if (!p) return failed(`${n.pool} no longer exists`, 'run iap-auth0 init to create it again');
    const marker = markerProblem(n.pool, p.description, 'pool');
    return firstFailure([
      [p.state === 'DELETED', failed(`${n.pool} was deleted`, 'run iap-auth0 init: it undeletes the pool')],
      [p.disabled === true, failed(`${n.pool} is disabled: nobody in it can sign in`, `enable it: gcloud iam workforce-pools update ${ctx.inputs.pool} --location=global --no-disabled`)],
      [p.parent !== `organizations/${ctx.inputs.organization}`, failed(`${n.pool} belongs to ${p.parent}, not organizations/${ctx.inputs.organization}`, 'the pool must be in the project\'s organization; choose another --pool and run init')],
      [!!marker, marker!],
    ], `${n.pool}, active`);
  }, ctx.inputs.project, ctx.signal);
  const provider = runCheck('workforce-pool', 'workforce-provider', 'Workforce provider', async () => {
    const p = await unlessNotFound(() => gdata(ctx, () => pools.providers.get({ name: n.provider })));
    if (!p) return failed(`${n.provider} no longer exists`, 'run iap-auth0 init to create it again');
    const issuer = await ctx.auth0Issuer();
    const clientId = ctx.state.stage('auth0-app').resources.clientId;
    const o = p.oidc ?? {};
    const marker = markerProblem(n.provider, p.description, 'provider');
    return firstFailure([
      [p.state === 'DELETED', failed(`${n.provider} was deleted`, 'run iap-auth0 init: it undeletes the provider')],
      [p.disabled === true, failed(`${n.provider} is disabled`, `enable it: gcloud iam workforce-pools providers update-oidc ${ctx.inputs.provider} --workforce-pool=${ctx.inputs.pool} --location=global --no-disabled`)],
      [o.issuerUri !== issuer, failed(`the provider's issuer is ${o.issuerUri ?? '(none)'} but Auth0's discovery says ${issuer}; they must match byte for byte (trailing slash included) or Google answers "Error connecting to the given credential's issuer"`, 'run iap-auth0 init (sets the issuer from discovery)')],
      [!!clientId && o.clientId !== clientId, failed(`the provider signs in with Auth0 client ${o.clientId}, not the recorded app ${clientId}`, 'run iap-auth0 init (points it back at the app and re-sends its secret)')],
      [o.webSsoConfig?.responseType !== 'CODE', failed(`the provider uses the ${o.webSsoConfig?.responseType ?? 'unset'} response type, not CODE`, 'run iap-auth0 init (sets the code flow)')],
      [!p.attributeMapping?.['google.email'], failed('google.email is not mapped: IAP\'s JWT would carry no email', 'run iap-auth0 init (adds google.email = assertion.email)')],
      [!!marker, marker!],
    ], `issuer ${issuer}, Auth0 client ${o.clientId}`);
  }, ctx.inputs.project, ctx.signal);
  return Promise.all([pool, provider]);
}

/** What destroy will do with the pool and provider, from their live markers. */
export async function poolFates(ctx: CoreContext): Promise<{ pool?: Fate; provider?: Fate }> {
  const pools = ctx.google.iam.locations.workforcePools;
  const r = st(ctx).resources;
  const fate = async (key: 'pool' | 'provider', get: () => Promise<{ data: Pool | Provider }>) => {
    if (!r[key]) return undefined;
    const x = await unlessNotFound(() => gdata(ctx, get, 'workforce-pool'));
    if (!x || x.state === 'DELETED') return undefined;
    return decideFate(parseDescription(x.description), ctx.inputs.setupId, recordedAs(st(ctx), key, r[key]));
  };
  const [pool, provider] = await Promise.all([fate('pool', () => pools.get({ name: r.pool })), fate('provider', () => pools.providers.get({ name: r.provider }))]);
  return { pool, provider };
}

/** Deletes the provider then the pool when they are this setup's; hands over or unshares what others use. */
async function destroyPool(ctx: CoreContext): Promise<string> {
  const r = st(ctx).resources;
  const pools = ctx.google.iam.locations.workforcePools;
  const fates = await poolFates(ctx);
  const done: string[] = [];
  const step = (text: string) => ctx.emit({ type: 'step', stage: 'workforce-pool', text });
  const act = async (key: 'pool' | 'provider', name: string, fate: Fate | undefined, del: () => Promise<{ data: iam_v1.Schema$Operation }>) => {
    if (!fate) { done.push(`${name} was already gone`); return; }
    if (fate.fate === 'delete') {
      step(`deleting ${name}`);
      const op = await unlessNotFound(() => gdata(ctx, del, 'workforce-pool'));
      if (op) await waitOp(ctx, key, op);
      done.push(`deleted ${name}`);
    } else if (fate.fate === 'hand-over' || fate.fate === 'unshare') {
      const x = key === 'pool' ? await gdata(ctx, () => pools.get({ name }), 'workforce-pool') : await gdata(ctx, () => pools.providers.get({ name }), 'workforce-pool');
      await writeMarker(ctx, key, x.description, fate.marker, key === 'pool' ? poolPurpose(ctx) : providerPurpose(ctx));
      done.push(fate.fate === 'hand-over' ? `kept ${name}: handed over to iap-auth0 setup ${fate.to}, which still uses it` : `kept ${name}: another setup's, no longer shared with this one`);
    } else if (fate.fate === 'release' || fate.fate === 'not-ours') {
      if (key === 'provider') await removeAddedMappings(ctx, name);
      done.push(`kept ${name}: not created by this setup`);
    } else {
      throw new Error(`${name} no longer carries this setup's iap-auth0 marker: kept`);
    }
  };
  if (r.provider) await act('provider', r.provider, fates.provider, () => pools.providers.delete({ name: r.provider }));
  if (r.pool) await act('pool', r.pool, fates.pool, () => pools.delete({ name: r.pool }));
  return done.length ? done.join('; ') : 'nothing to delete';
}

/** Takes back the attribute mappings this setup added to a provider it shared. */
async function removeAddedMappings(ctx: CoreContext, name: string): Promise<void> {
  const keys = (st(ctx).added ?? []).filter((a) => a.startsWith('attributeMapping.')).map((a) => a.slice('attributeMapping.'.length));
  if (!keys.length) return;
  const pools = ctx.google.iam.locations.workforcePools;
  const p = await unlessNotFound(() => gdata(ctx, () => pools.providers.get({ name }), 'workforce-pool'));
  if (!p?.attributeMapping || !keys.some((k) => k in p.attributeMapping!)) return;
  const attributeMapping = Object.fromEntries(Object.entries(p.attributeMapping).filter(([k]) => !keys.includes(k)));
  await waitOp(ctx, 'provider', await gdata(ctx, () => pools.providers.patch({ name, updateMask: 'attributeMapping', requestBody: { attributeMapping } }), 'workforce-pool'));
}
