// Stage 6: who may pass IAP. roles/iap.httpsResourceAccessor on the same IAP resource (or on
// projects/N/iap_web with --scope project) for the whole pool by default, or for listed Auth0
// users or a group. Read-modify-write with the etag, retried on conflict; other members are never
// dropped, and the members iap-auth0 added are recorded so destroy removes only those.
import { IAP_RUN_RESOURCE } from '../../lib/ids.js';
import { allowMember } from '../../inputs/schema.js';
import { gdata, gonce, planRead } from '../google-call.js';
import { addMembers, removeMembers, membersOf, type PolicyAccess } from '../iam-policy.js';
import { unlessNotFound } from '../google-errors.js';
import { runCheck, ok, failed, type CheckResult } from '../check.js';
import type { CoreContext } from '../context.js';
import type { Stage } from '../stage.js';

export const ACCESSOR_ROLE = 'roles/iap.httpsResourceAccessor';

export function accessResource(ctx: Pick<CoreContext, 'inputs'>): string {
  const i = ctx.inputs;
  return i.scope === 'project' ? `projects/${i.projectNumber}/iap_web` : IAP_RUN_RESOURCE(i.projectNumber, i.region, i.service);
}

export const wantedMembers = (ctx: Pick<CoreContext, 'inputs'>) => (ctx.inputs.allow.length ? ctx.inputs.allow : ['pool']).map((a) => allowMember(a, ctx.inputs.pool));

export function accessPolicy(ctx: CoreContext, resource: string): PolicyAccess {
  return {
    get: () => gdata(ctx, () => ctx.google.iap.getIamPolicy({ resource, requestBody: { options: { requestedPolicyVersion: 3 } } }), 'access'),
    // One attempt: addMembers/removeMembers retry the whole read-modify-write.
    set: (policy) => gonce(() => ctx.google.iap.setIamPolicy({ resource, requestBody: { policy: policy as never } })),
  };
}

export const accessStage: Stage = {
  id: 'access',
  title: 'Grant access',
  verify: verifyAccess,
  owned: (ctx) => {
    const st = ctx.state.stage('access');
    return st.added?.length ? [`${ACCESSOR_ROLE} for ${st.added.join(', ')} on ${st.resources.iapResource} (other members kept)`] : [];
  },
  destroy: destroyAccess,

  async plan(ctx) {
    const resource = accessResource(ctx);
    const policy = await planRead(ctx, () => ctx.google.iap.getIamPolicy({ resource, requestBody: { options: { requestedPolicyVersion: 3 } } }));
    const have = new Set(policy ? membersOf(policy, ACCESSOR_ROLE) : []);
    const missing = wantedMembers(ctx).filter((m) => !have.has(m));
    return [{ stage: 'access', action: missing.length ? 'update' : 'none', resource, detail: missing.length ? `grant ${ACCESSOR_ROLE} to ${missing.join(', ')}` : undefined }];
  },

  async apply(ctx) {
    await Promise.all([ctx.after('deploy'), ctx.after('workforce-pool')]);
    await ctx.apisReady();
    const resource = accessResource(ctx);
    const members = wantedMembers(ctx);
    const added = await addMembers(accessPolicy(ctx, resource), ACCESSOR_ROLE, members, ctx.signal);
    if (added.length) ctx.emit({ type: 'step', stage: 'access', text: `granted ${ACCESSOR_ROLE} to ${added.join(', ')}` });
    await ctx.state.updateStage('access', (st) => {
      st.resources.iapResource = resource;
      st.added = [...new Set([...(st.added ?? []), ...added])];
    });
    return `${members.length === 1 && members[0].endsWith('/*') ? 'everyone in the pool' : members.join(', ')} may sign in`;
  },
};

/** Every member iap-auth0 was asked to admit still holds the accessor role. */
async function verifyAccess(ctx: CoreContext): Promise<CheckResult[]> {
  const resource = accessResource(ctx);
  return [await runCheck('access', 'access-binding', 'Access binding', async () => {
    const have = new Set(membersOf(await accessPolicy(ctx, resource).get(), ACCESSOR_ROLE));
    const missing = wantedMembers(ctx).filter((m) => !have.has(m));
    return missing.length ? failed(`${missing.join(', ')} no longer ${missing.length > 1 ? 'hold' : 'holds'} ${ACCESSOR_ROLE} on ${resource}: IAP shows "You don't have access"`, 'run iap-auth0 init (grants it again)')
      : ok(`${wantedMembers(ctx).join(', ')} may pass IAP`);
  }, ctx.inputs.project)];
}

/** Removes only the members iap-auth0 added; everyone else in the binding stays. */
async function destroyAccess(ctx: CoreContext): Promise<string> {
  const st = ctx.state.stage('access');
  const resource = st.resources.iapResource;
  if (!resource || !st.added?.length) return 'nothing to remove';
  ctx.emit({ type: 'step', stage: 'access', text: `removing ${st.added.join(', ')} from ${ACCESSOR_ROLE}` });
  // A resource that is gone took its policy with it.
  const removed = await unlessNotFound(() => removeMembers(accessPolicy(ctx, resource), ACCESSOR_ROLE, st.added!, ctx.signal));
  return removed?.length ? `removed ${removed.join(', ')} from ${ACCESSOR_ROLE}` : 'the members iap-auth0 added were already gone';
}
