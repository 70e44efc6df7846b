// Stage 6: who may pass IAP. roles/iap.httpsResourceAccessor on the same IAP resource (or on
// projects/N/iap_web with --scope project) for the whole pool by default, or for listed Auth0
// users or a group. Read-modify-write with the etag, retried on conflict; other members are never
// dropped. Access is the list you gave, every time: the members iap-auth0 granted (recorded in
// `added`) that are no longer wanted are removed on a re-run, after the new ones were granted, so
// narrowing --allow narrows access; members others added stay.
import { IAP_RUN_RESOURCE, POOL_RESOURCE } from '../../lib/ids.js';
import { allowMember } from '../../inputs/schema.js';
import { memberWords, membersInWords } from '../../lib/member-words.js';
import { gdata, gonce, planRead } from '../google-call.js';
import {
  addMembers,
  removeMembers,
  membersOf,
  conditionalMembersOf,
  type Policy,
  type PolicyAccess,
} from '../iam-policy.js';
import { googleFailure, unlessNotFound } from '../google-errors.js';
import { domainRestricted } from '../org-policy.js';
import { poolFates, serviceFate } from '../fates.js';
import { recorded } from '../outputs.js';
import { runCheck, ok, failed, type CheckResult } from '../check.js';
import { allowChecks } from './access-checks.js';
import type { CoreContext } from '../context.js';
import type { Change, Stage, StageContext } from '../stage.js';

const stage = 'access' as const;

export const ACCESSOR_ROLE = 'roles/iap.httpsResourceAccessor';

export function accessResource(ctx: Pick<CoreContext, 'inputs'>): string {
  const i = ctx.inputs;
  return i.scope === 'project'
    ? `projects/${i.projectNumber}/iap_web`
    : IAP_RUN_RESOURCE(i.projectNumber, i.region, i.service);
}

/** The --allow values, everyone in the pool when none is given. */
const allowValues = (ctx: Pick<CoreContext, 'inputs'>) => (ctx.inputs.allow.length ? ctx.inputs.allow : ['pool']);

/** The members --allow asks for, each once (role:X and group:X name the same group member). */
export const wantedMembers = (ctx: Pick<CoreContext, 'inputs'>) => [
  ...new Set(allowValues(ctx).map((a) => allowMember(a, ctx.inputs.pool))),
];

/**
 * Members in the plan's words (lib/member-words.ts), for progress and summaries: `email alice@…`,
 * `role admin`, `everyone in the pool`; a raw principal only for a raw --allow value.
 */
export const inWords = (ctx: Pick<CoreContext, 'inputs'>, members: readonly string[]) =>
  membersInWords(members, allowValues(ctx), (a) => allowMember(a, ctx.inputs.pool), ctx.inputs.pool);

/** A member that names workforce pool `pool` (principal://…/workforcePools/POOL/… or principalSet://…). */
export const namesPool = (member: string, pool: string) =>
  member.includes(`iam.googleapis.com/${POOL_RESOURCE(pool)}/`);

export function accessPolicy(
  ctx: Pick<CoreContext, 'google' | 'signal' | 'emit' | 'env'>,
  resource: string,
): PolicyAccess {
  return {
    get: () =>
      gdata(
        ctx,
        () => ctx.google.iap.getIamPolicy({ resource, requestBody: { options: { requestedPolicyVersion: 3 } } }),
        'access',
      ),
    // One attempt: addMembers/removeMembers retry the whole read-modify-write.
    set: (policy) => gonce(() => ctx.google.iap.setIamPolicy({ resource, requestBody: { policy } }), ctx),
  };
}

/**
 * The members this setup granted: those it recorded, plus (when the state was started over) the
 * wanted members already present that name the pool this setup created: nobody else's setup
 * signs in through that pool, so a fresh state finds its members again by the pool's marker.
 */
function ownMembers(ctx: Pick<CoreContext, 'inputs' | 'state'>, have: string[], poolIsOurs: boolean): string[] {
  const st = ctx.state.stage('access');
  const refound = poolIsOurs ? wantedMembers(ctx).filter((m) => have.includes(m) && namesPool(m, ctx.inputs.pool)) : [];
  return [...new Set([...(st.added ?? []), ...refound])];
}

/**
 * Who gets the accessor role and who loses it (those iap-auth0 granted that --allow no longer lists), and the members
 * this setup owns after.
 */
export interface AccessDecision {
  changes: Change[];
  resource: string;
  grant: string[];
  revoke: string[];
  own: string[];
}

/** Pure: the access decision, from the policy as read and whether the pool is this setup's. */
export function decideAccess(
  ctx: Pick<CoreContext, 'inputs' | 'state'>,
  resource: string,
  have: string[],
  poolIsOurs: boolean,
): AccessDecision {
  const wanted = wantedMembers(ctx);
  const grant = wanted.filter((m) => !have.includes(m));
  const own = ownMembers(ctx, have, poolIsOurs);
  const revoke = own.filter((m) => !wanted.includes(m) && have.includes(m));
  const changes: Change[] = [
    grant.length
      ? {
          stage,
          action: 'grant',
          resource,
          members: grant,
          reason: `${ACCESSOR_ROLE}: --allow lists ${grant.length === 1 ? 'it' : 'them'}`,
        }
      : { stage, action: 'none', resource, reason: `${inWords(ctx, wanted)} already may pass` },
    ...(revoke.length
      ? [
          {
            stage,
            action: 'revoke' as const,
            resource,
            members: revoke,
            reason: `${ACCESSOR_ROLE}: iap-auth0 granted it and --allow no longer lists it`,
          },
        ]
      : []),
  ];
  return { changes, resource, grant, revoke, own };
}

export const accessStage: Stage = {
  id: 'access',
  verify: verifyAccess,
  owned: (rec) => {
    const st = rec.stage('access');
    if (!st.resources.iapResource) return [];
    // Even with nothing granted by this setup, members naming a pool it deletes must go.
    return [
      st.added?.length
        ? `${ACCESSOR_ROLE} for ${st.added.map((m) => memberWords(m)).join(', ')} on ${st.resources.iapResource} ` +
          '(other members kept)'
        : `${ACCESSOR_ROLE} on ${st.resources.iapResource} for members naming this setup's pool, if destroy ` +
          'deletes the pool (other members kept)',
    ];
  },
  destroy: destroyAccess,

  async read(ctx) {
    const resource = accessResource(ctx);
    const policy = await planRead(ctx, () =>
      ctx.google.iap.getIamPolicy({ resource, requestBody: { options: { requestedPolicyVersion: 3 } } }),
    );
    const have = policy ? membersOf(policy, ACCESSOR_ROLE) : [];
    return (ahead) => {
      const d = decideAccess(ctx, resource, have, ahead.pool?.ours ?? recorded(ctx, 'pool')!.ours);
      return { stage, changes: d.changes, prospects: {}, apply: (c) => applyAccess(c, d) };
    };
  },
};

/**
 * Executes the access decision: grants first, revokes second, so narrowing never leaves a moment where nobody may pass.
 */
async function applyAccess(ctx: StageContext, d: AccessDecision): Promise<string> {
  await Promise.all([ctx.need('service'), ctx.need('pool')]);
  await ctx.apisReady();
  const members = wantedMembers(ctx);
  const access = accessPolicy(ctx, d.resource);
  const step = (text: string) => ctx.emit({ type: 'step', stage, text });
  // The read-modify-write re-reads only for the etag: a member already there is not written again.
  // Domain-restricted sharing may refuse workforce pool members too (not on record): same fix.
  const added = d.grant.length
    ? await addMembers(access, ACCESSOR_ROLE, d.grant, ctx.signal).catch((e) => {
        throw domainRestricted(googleFailure(e), ctx.inputs.project, d.grant, `${ACCESSOR_ROLE} on ${d.resource}`) ?? e;
      })
    : [];
  if (added.length) step(`granted ${ACCESSOR_ROLE} to ${inWords(ctx, added)}`);
  const stale = d.own.filter((m) => !members.includes(m));
  const removed = d.revoke.length ? await removeMembers(access, ACCESSOR_ROLE, d.revoke, ctx.signal) : [];
  if (removed.length) step(`revoked ${ACCESSOR_ROLE} from ${inWords(ctx, removed)}: no longer in --allow`);
  await ctx.state.updateStage('access', (st) => {
    st.resources.iapResource = d.resource;
    st.added = [...new Set([...d.own, ...added])].filter((m) => !stale.includes(m));
  });
  return `${inWords(ctx, members)} may sign in${removed.length ? ` (revoked ${removed.length} no longer listed)` : ''}`;
}

/** One member that may reach the app through IAP, where the grant is, and whether iap-auth0 made it. */
export interface AccessEntry {
  member: string;
  on: string;
  ours: boolean;
  /** Set when the grant carries an IAM condition (its title, else its expression): it holds only while that is true. */
  condition?: string;
}

/**
 * Everyone who may pass IAP to this service: the accessor role on the service's IAP resource, on
 * the project's IAP web resource, and on the project itself (IAM inherits down that hierarchy).
 */
export async function whoHasAccess(ctx: CoreContext): Promise<AccessEntry[]> {
  const ours = new Set([...(ctx.state.stage('access').added ?? []), ...wantedMembers(ctx)]);
  const where = [...new Set([accessResource(ctx), `projects/${ctx.inputs.projectNumber}/iap_web`])];
  const read = async (on: string, get: () => Promise<Policy | undefined>): Promise<AccessEntry[]> => {
    const policy = (await get()) ?? {};
    return [
      ...membersOf(policy, ACCESSOR_ROLE).map((member) => ({
        member,
        on,
        ours: ours.has(member) && on === accessResource(ctx),
      })),
      // iap-auth0 writes no conditional binding: these are always someone else's.
      ...conditionalMembersOf(policy, ACCESSOR_ROLE).map(({ member, condition }) => ({
        member,
        on,
        ours: false,
        condition,
      })),
    ];
  };
  const lists = await Promise.all([
    ...where.map((on) => read(on, () => unlessNotFound(() => accessPolicy(ctx, on).get()))),
    read(
      `projects/${ctx.inputs.project}`,
      () =>
        gdata(ctx, () =>
          ctx.google.crmV1.projects.getIamPolicy({
            resource: ctx.inputs.project,
            requestBody: { options: { requestedPolicyVersion: 3 } },
          }),
        ) as Promise<Policy>,
    ),
  ]);
  return lists.flat();
}

/**
 * Every member iap-auth0 was asked to admit still holds the accessor role, and each --allow value can
 * match someone (access-checks.ts); everyone else who may pass is listed by verify (whoHasAccess).
 */
async function verifyAccess(ctx: CoreContext): Promise<CheckResult[]> {
  const resource = accessResource(ctx);
  const perValue = allowChecks(ctx);
  return [
    await runCheck(
      'access',
      'access-binding',
      'Access binding',
      async () => {
        const have = new Set(membersOf(await accessPolicy(ctx, resource).get(), ACCESSOR_ROLE));
        const missing = wantedMembers(ctx).filter((m) => !have.has(m));
        return missing.length
          ? failed(
              `${missing.join(', ')} no longer ${missing.length > 1 ? 'hold' : 'holds'} ${ACCESSOR_ROLE} on ` +
                `${resource}: IAP shows "You don't have access"`,
              'run iap-auth0 init (grants it again)',
            )
          : ok(`${wantedMembers(ctx).join(', ')} may pass IAP`);
      },
      ctx.inputs.project,
      ctx.signal,
    ),
    ...(await Promise.all(perValue)),
  ];
}

/**
 * Removes the members this setup granted, and every member naming a pool this destroy deletes (a
 * grant to a deleted pool id would admit whoever creates a pool with that id once Google releases
 * it). Members naming a pool handed over to another setup stay where that setup uses them (the
 * project's IAP resource with --scope project, or a service it shares); others' members stay.
 */
async function destroyAccess(ctx: CoreContext): Promise<string> {
  const st = ctx.state.stage('access');
  const resource = st.resources.iapResource;
  if (!resource) return 'nothing to remove';
  const pool = ctx.inputs.pool;
  const [fates, service] = await Promise.all([
    poolFates(ctx),
    ctx.inputs.scope === 'service' ? serviceFate(ctx) : undefined,
  ]);
  const poolDeleted = fates.pool?.fate === 'delete';
  const poolContinues =
    fates.pool?.fate === 'hand-over' ||
    fates.pool?.fate === 'unshare' ||
    fates.pool?.fate === 'not-ours' ||
    fates.pool?.fate === 'release';
  const resourceShared =
    ctx.inputs.scope === 'project' || service?.fate.fate === 'hand-over' || service?.fate.fate === 'unshare';
  const access = accessPolicy(ctx, resource);
  // A resource that is gone took its policy with it.
  const have = membersOf((await unlessNotFound(() => access.get())) ?? {}, ACCESSOR_ROLE);
  const candidates = [
    ...new Set([...(st.added ?? []), ...(poolDeleted ? have.filter((m) => namesPool(m, pool)) : [])]),
  ];
  const keep = candidates.filter((m) => poolContinues && resourceShared && namesPool(m, pool));
  const drop = candidates.filter((m) => !keep.includes(m));
  if (!drop.length)
    return keep.length
      ? `kept ${inWords(ctx, keep)}: the pool they name is still used by another setup`
      : 'nothing to remove';
  ctx.emit({ type: 'step', stage: 'access', text: `removing ${inWords(ctx, drop)} from ${ACCESSOR_ROLE}` });
  const removed = await unlessNotFound(() => removeMembers(access, ACCESSOR_ROLE, drop, ctx.signal));
  const kept = keep.length ? `; kept ${inWords(ctx, keep)}: the pool they name is still used by another setup` : '';
  return (
    (removed?.length
      ? `removed ${inWords(ctx, removed)} from ${ACCESSOR_ROLE} on ${resource}`
      : 'the members iap-auth0 added were already gone') + kept
  );
}
