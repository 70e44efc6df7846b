// Stage 3: the workforce pool under the project's organization and its OIDC provider pointing at
// Auth0. The issuer is the discovery document's, verbatim, trailing slash included (peers P6); the
// mapping includes google.email so IAP's JWT carries the email (P8). A pool or provider with our id
// that was deleted is undeleted rather than fought (ids stay reserved 30 days, P5). Operations are
// recorded before they are polled, so a resumed run polls instead of creating again.
import { GROUPS_CLAIM, POOL_RESOURCE, PROVIDER_RESOURCE } from '../../lib/ids.js';
import { gdata, planRead } from '../google-call.js';
import { googleFailure, isConflict, unlessNotFound } from '../google-errors.js';
import { pollOperation } from '../poll.js';
import { auth0ClientSecret } from './auth0-app.js';
import { notOurs } from '../coded-error.js';
import { runCheck, ok, failed, firstFailure, type CheckResult } from '../check.js';
import type { CoreContext } from '../context.js';
import type { PlanItem, Stage } from '../stage.js';
import type { iam_v1 } from '@googleapis/iam';

const MARKER = 'Managed by iap-auth0';

type Pool = iam_v1.Schema$WorkforcePool;
type Provider = iam_v1.Schema$WorkforcePoolProvider;

export function desiredMapping(allow: string[]): Record<string, string> {
  const m: Record<string, string> = { 'google.subject': 'assertion.sub', 'google.email': 'assertion.email', 'google.display_name': 'assertion.name' };
  if (allow.some((a) => a.startsWith('group:'))) m['google.groups'] = `assertion['${GROUPS_CLAIM}']`;
  return m;
}
const WEB_SSO = { responseType: 'CODE', assertionClaimsBehavior: 'MERGE_USER_INFO_OVER_ID_TOKEN_CLAIMS', additionalScopes: ['email', 'profile'] };


export const workforcePoolStage: Stage = {
  id: 'workforce-pool',
  title: 'Workforce pool and provider',
  verify: verifyPool,
  owned: (ctx) => {
    const r = ctx.state.stage('workforce-pool').resources;
    return [r.provider && `workforce provider ${r.provider}`, r.pool && `workforce pool ${r.pool} (Google keeps its id for 30 days; a later init undeletes it)`].filter((x): x is string => !!x);
  },
  destroy: destroyPool,

  async plan(ctx) {
    const pools = ctx.google.iam.locations.workforcePools;
    const pool = await planRead(ctx, () => pools.get({ name: POOL_RESOURCE(ctx.inputs.pool) }));
    const prov = pool && await planRead(ctx, () => pools.providers.get({ name: PROVIDER_RESOURCE(ctx.inputs.pool, ctx.inputs.provider) }));
    const action = (r: Pool | Provider | undefined): PlanItem['action'] => (!r ? 'create' : r.state === 'DELETED' ? 'undelete' : 'none');
    return [
      { stage: 'workforce-pool', action: action(pool), resource: POOL_RESOURCE(ctx.inputs.pool), detail: `in organizations/${ctx.inputs.organization}` },
      { stage: 'workforce-pool', action: action(prov), resource: PROVIDER_RESOURCE(ctx.inputs.pool, ctx.inputs.provider), detail: 'OIDC, Auth0 code flow' },
    ];
  },

  async apply(ctx) {
    await ctx.apisReady();
    const pools = ctx.google.iam.locations.workforcePools;
    const step = (text: string) => ctx.emit({ type: 'step', stage: 'workforce-pool', text });
    const poolName = POOL_RESOURCE(ctx.inputs.pool);
    const provName = PROVIDER_RESOURCE(ctx.inputs.pool, ctx.inputs.provider);
    const st = () => ctx.state.stage('workforce-pool');
    const wait = async (key: string, opName: string | null | undefined, getOp: (name: string) => Promise<{ data: iam_v1.Schema$Operation }>) => {
      if (!opName) return;
      await ctx.state.recordOperation('workforce-pool', key, opName);
      await unlessNotFound(() => pollOperation(getOp, { name: opName }, { signal: ctx.signal }));
      await ctx.state.recordOperation('workforce-pool', key, undefined);
    };
    const poolOp = (name: string) => pools.operations.get({ name });
    const provOp = (name: string) => pools.providers.operations.get({ name });

    // Resume: operations a killed run started.
    for (const [key, op] of Object.entries(st().operations)) await wait(key, op, key.startsWith('provider') ? provOp : poolOp);

    // The pool.
    let pool = await unlessNotFound(() => gdata(ctx, () => pools.get({ name: poolName }), 'workforce-pool')).catch((e) => {
      if (googleFailure(e)?.httpStatus === 403) throw new Error(`cannot read workforce pool ${ctx.inputs.pool}: pool ids are global across all organizations, so another organization may own it; choose another with --pool`);
      throw e;
    });
    if (!pool) {
      step(`creating workforce pool ${ctx.inputs.pool}`);
      try {
        const op = await gdata(ctx, () => pools.create({ location: 'locations/global', workforcePoolId: ctx.inputs.pool, requestBody: {
          parent: `organizations/${ctx.inputs.organization}`, displayName: `iap-auth0 ${ctx.inputs.service}`.slice(0, 32),
          description: `${MARKER} for Cloud Run service ${ctx.inputs.service} in ${ctx.inputs.project}`, sessionDuration: '3600s' } }), 'workforce-pool');
        await wait('pool', op.name, poolOp);
      } catch (e) { if (!isConflict(e)) throw e; }
      pool = await gdata(ctx, () => pools.get({ name: poolName }), 'workforce-pool');
    } else if (!pool.description?.startsWith(MARKER) && st().resources.pool !== poolName && !ctx.inputs.adopt) {
      throw notOurs(`the workforce pool ${ctx.inputs.pool}`, '--pool');
    }
    if (pool.state === 'DELETED') {
      step(`undeleting workforce pool ${ctx.inputs.pool} (a deleted pool id stays reserved for 30 days)`);
      const op = await gdata(ctx, () => pools.undelete({ name: poolName, requestBody: {} }), 'workforce-pool');
      await wait('pool', op.name, poolOp);
    }
    await ctx.state.recordResource('workforce-pool', 'pool', poolName);

    // The provider needs the Auth0 app (client id and secret) and the issuer.
    await ctx.until('auth0-app:client');
    const clientId = ctx.state.stage('auth0-app').resources.clientId;
    if (!clientId) throw new Error('the Auth0 app is not recorded; run iap-auth0 init again');
    const issuer = await ctx.auth0Issuer();
    const mapping = desiredMapping(ctx.inputs.allow);
    let prov = await unlessNotFound(() => gdata(ctx, () => pools.providers.get({ name: provName }), 'workforce-pool'));
    if (!prov) {
      step(`creating provider ${ctx.inputs.provider} for ${issuer}`);
      const secret = await auth0ClientSecret(ctx);
      try {
        const op = await gdata(ctx, () => pools.providers.create({ parent: poolName, workforcePoolProviderId: ctx.inputs.provider, requestBody: {
          displayName: 'Auth0', description: `${MARKER}: Auth0 ${ctx.inputs.auth0Domain}`, attributeMapping: mapping,
          oidc: { issuerUri: issuer, clientId, clientSecret: { value: { plainText: secret } }, webSsoConfig: WEB_SSO } } }), 'workforce-pool');
        await wait('provider', op.name, provOp);
        await ctx.state.recordResource('workforce-pool', 'providerSecretFor', clientId);
      } catch (e) { if (!isConflict(e)) throw e; }
      prov = await gdata(ctx, () => pools.providers.get({ name: provName }), 'workforce-pool');
    } else if (!prov.description?.startsWith(MARKER) && st().resources.provider !== provName && !ctx.inputs.adopt) {
      throw notOurs(`the provider ${provName}`, '--provider');
    }
    if (prov.state === 'DELETED') {
      step(`undeleting provider ${ctx.inputs.provider}`);
      const op = await gdata(ctx, () => pools.providers.undelete({ name: provName, requestBody: {} }), 'workforce-pool');
      await wait('provider', op.name, provOp);
      prov = await gdata(ctx, () => pools.providers.get({ name: provName }), 'workforce-pool');
    }
    // Patch only what differs; the secret cannot be read back (thumbprint only), so it is re-sent
    // only when the provider was given another Auth0 app's secret.
    const mask: string[] = [];
    const body: Provider = {};
    const o = prov.oidc ?? {};
    const secretStale = st().resources.providerSecretFor !== clientId;
    if (o.issuerUri !== issuer || o.clientId !== clientId || secretStale || o.webSsoConfig?.responseType !== 'CODE') {
      mask.push('oidc');
      body.oidc = { issuerUri: issuer, clientId, clientSecret: { value: { plainText: await auth0ClientSecret(ctx) } }, webSsoConfig: WEB_SSO };
    }
    if (JSON.stringify(prov.attributeMapping ?? {}) !== JSON.stringify({ ...(prov.attributeMapping ?? {}), ...mapping })) {
      mask.push('attributeMapping');
      body.attributeMapping = { ...(prov.attributeMapping ?? {}), ...mapping };
    }
    if (mask.length) {
      step(`updating provider ${ctx.inputs.provider}: ${mask.join(', ')}`);
      const op = await gdata(ctx, () => pools.providers.patch({ name: provName, updateMask: mask.join(','), requestBody: body }), 'workforce-pool');
      await wait('provider', op.name, provOp);
      await ctx.state.recordResource('workforce-pool', 'providerSecretFor', clientId);
    }
    await ctx.state.recordResource('workforce-pool', 'provider', provName);
    return `pool ${ctx.inputs.pool} with provider ${ctx.inputs.provider} (issuer ${issuer})`;
  },
};

/** The pool is active in our organization; the provider is active, points at Auth0's issuer byte for byte, with our app and the code flow. */
async function verifyPool(ctx: CoreContext): Promise<CheckResult[]> {
  const pools = ctx.google.iam.locations.workforcePools;
  const poolName = POOL_RESOURCE(ctx.inputs.pool);
  const provName = PROVIDER_RESOURCE(ctx.inputs.pool, ctx.inputs.provider);
  const pool = runCheck('workforce-pool', 'workforce-pool', 'Workforce pool', async () => {
    const p = await unlessNotFound(() => gdata(ctx, () => pools.get({ name: poolName })));
    if (!p) return failed(`${poolName} no longer exists`, 'run iap-auth0 init to create it again');
    return firstFailure([
      [p.state === 'DELETED', failed(`${poolName} was deleted`, 'run iap-auth0 init: it undeletes the pool')],
      [p.disabled === true, failed(`${poolName} is disabled: nobody in it can sign in`, `enable it: gcloud iam workforce-pools update ${ctx.inputs.pool} --location=global --no-disabled`)],
      [p.parent !== `organizations/${ctx.inputs.organization}`, failed(`${poolName} belongs to ${p.parent}, not organizations/${ctx.inputs.organization}`, 'the pool must be in the project\'s organization; choose another --pool and run init')],
    ], `${poolName}, active`);
  }, ctx.inputs.project);
  const provider = runCheck('workforce-pool', 'workforce-provider', 'Workforce provider', async () => {
    const p = await unlessNotFound(() => gdata(ctx, () => pools.providers.get({ name: provName })));
    if (!p) return failed(`${provName} no longer exists`, 'run iap-auth0 init to create it again');
    const issuer = await ctx.auth0Issuer();
    const clientId = ctx.state.stage('auth0-app').resources.clientId;
    const o = p.oidc ?? {};
    return firstFailure([
      [p.state === 'DELETED', failed(`${provName} was deleted`, 'run iap-auth0 init: it undeletes the provider')],
      [p.disabled === true, failed(`${provName} is disabled`, `enable it: gcloud iam workforce-pools providers update-oidc ${ctx.inputs.provider} --workforce-pool=${ctx.inputs.pool} --location=global --no-disabled`)],
      [o.issuerUri !== issuer, failed(`the provider's issuer is ${o.issuerUri ?? '(none)'} but Auth0's discovery says ${issuer}; they must match byte for byte (trailing slash included) or Google answers "Error connecting to the given credential's issuer"`, 'run iap-auth0 init (sets the issuer from discovery)')],
      [!!clientId && o.clientId !== clientId, failed(`the provider signs in with Auth0 client ${o.clientId}, not the recorded app ${clientId}`, 'run iap-auth0 init (points it back at the app and re-sends its secret)')],
      [o.webSsoConfig?.responseType !== 'CODE', failed(`the provider uses the ${o.webSsoConfig?.responseType ?? 'unset'} response type, not CODE`, 'run iap-auth0 init (sets the code flow)')],
      [!p.attributeMapping?.['google.email'], failed('google.email is not mapped: IAP\'s JWT would carry no email', 'run iap-auth0 init (adds google.email = assertion.email)')],
    ], `issuer ${issuer}, Auth0 client ${o.clientId}`);
  }, ctx.inputs.project);
  return Promise.all([pool, provider]);
}

/** Deletes the provider then the pool, waiting for each; a soft-deleted one counts as done. */
async function destroyPool(ctx: CoreContext): Promise<string> {
  const r = ctx.state.stage('workforce-pool').resources;
  const pools = ctx.google.iam.locations.workforcePools;
  const done: string[] = [];
  const remove = async (name: string, get: () => Promise<{ data: iam_v1.Schema$WorkforcePool | iam_v1.Schema$WorkforcePoolProvider }>,
    del: () => Promise<{ data: iam_v1.Schema$Operation }>, getOp: (n: string) => Promise<{ data: iam_v1.Schema$Operation }>) => {
    const x = await unlessNotFound(() => gdata(ctx, get, 'workforce-pool'));
    if (x && x.state !== 'DELETED') {
      ctx.emit({ type: 'step', stage: 'workforce-pool', text: `deleting ${name}` });
      const op = await unlessNotFound(() => gdata(ctx, del, 'workforce-pool'));
      if (op?.name && !op.done) await unlessNotFound(() => pollOperation(getOp, op, { signal: ctx.signal }));
    }
    done.push(name);
  };
  if (r.provider) await remove(r.provider, () => pools.providers.get({ name: r.provider }), () => pools.providers.delete({ name: r.provider }), (name) => pools.providers.operations.get({ name }));
  if (r.pool) await remove(r.pool, () => pools.get({ name: r.pool }), () => pools.delete({ name: r.pool }), (name) => pools.operations.get({ name }));
  return done.length ? `deleted ${done.join(' and ')} (Google keeps deleted ids for 30 days; running init again undeletes them)` : 'nothing to delete';
}
