// The Action stage's calls to the Management API (the auth0 SDK): reading the Action and the
// trigger's bindings, waiting for a build and a deploy, and changing the bindings the only safe
// way Auth0 allows: PATCH replaces the trigger's whole list, so it is read just before and every
// binding found is sent back by its id (others' Actions stay bound, in their order).
import type { ManagementClient } from 'auth0';
import { withRetry } from '../../retry.js';
import { pollUntil } from '../../backoff.js';
import { waitingFor } from '../../poll.js';
import { auth0Retry, auth0Status } from '../../fates.js';
import type { CoreContext } from '../../context.js';
import { actionName, TRIGGER } from './code.js';
import type { LiveAction } from './decide.js';

type Ctx = Pick<CoreContext, 'signal' | 'inputs' | 'state' | 'emit'>;

interface RawAction {
  id?: string;
  name?: string;
  code?: string;
  status?: string;
  all_changes_deployed?: boolean;
  deployed_version?: { code?: string; number?: number };
}

const live = (a: RawAction): LiveAction => ({
  id: a.id!,
  name: a.name,
  code: a.code,
  status: a.status,
  deployedCode: a.deployed_version?.code,
  allChangesDeployed: a.all_changes_deployed,
});

/** One Action by id (undefined when it is gone). */
export async function getAction(ctx: Ctx, mgmt: ManagementClient, id: string): Promise<LiveAction | undefined> {
  const a = await withRetry(async () => (await mgmt.actions.get(id)) as RawAction, auth0Retry(ctx)).catch((e) => {
    if (auth0Status(e) === 404) return undefined;
    throw e;
  });
  return a ? live(a) : undefined;
}

/** This setup's Action: the recorded one, else one with this setup's name (a run whose state was lost). */
export async function findAction(ctx: Ctx, mgmt: ManagementClient): Promise<LiveAction | undefined> {
  const recorded = ctx.state.stage('auth0-action').resources.actionId;
  if (recorded) {
    const a = await getAction(ctx, mgmt, recorded);
    if (a) return a;
  }
  const page = await withRetry(
    () => mgmt.actions.list({ triggerId: TRIGGER, actionName: actionName(ctx.inputs.setupId) }),
    auth0Retry(ctx),
  );
  const first = (page.data as RawAction[])[0];
  return first?.id ? getAction(ctx, mgmt, first.id) : undefined;
}

/** The trigger's bindings as refs to send back (by binding id), and the Action ids they bind. */
export interface Bound {
  refs: { id: string; actionId?: string }[];
}

export async function readBindings(ctx: Ctx, mgmt: ManagementClient): Promise<Bound> {
  return withRetry(async () => {
    const refs: Bound['refs'] = [];
    let page = await mgmt.actions.triggers.bindings.list(TRIGGER);
    for (;;) {
      for (const b of page.data) if (b.id) refs.push({ id: b.id, actionId: b.action?.id });
      if (!page.hasNextPage()) break;
      page = await page.getNextPage();
    }
    return { refs };
  }, auth0Retry(ctx));
}

/** Appends `actionId` after the bindings there now (read just before), unless it is bound already. */
export async function bind(ctx: Ctx, mgmt: ManagementClient, actionId: string): Promise<boolean> {
  const now = await readBindings(ctx, mgmt);
  if (now.refs.some((r) => r.actionId === actionId)) return false;
  await putBindings(ctx, mgmt, [
    ...now.refs.map((r) => ({ ref: { type: 'binding_id' as const, value: r.id } })),
    { ref: { type: 'action_id' as const, value: actionId } },
  ]);
  return true;
}

/** Removes `actionId`'s bindings, sending every other binding back as it was. */
export async function unbind(ctx: Ctx, mgmt: ManagementClient, actionId: string): Promise<boolean> {
  const now = await readBindings(ctx, mgmt);
  if (!now.refs.some((r) => r.actionId === actionId)) return false;
  await putBindings(
    ctx,
    mgmt,
    now.refs.filter((r) => r.actionId !== actionId).map((r) => ({ ref: { type: 'binding_id' as const, value: r.id } })),
  );
  return true;
}

type Ref = { ref: { type: 'binding_id' | 'action_id'; value: string } };
const putBindings = (ctx: Ctx, mgmt: ManagementClient, bindings: Ref[]) =>
  withRetry(() => mgmt.actions.triggers.bindings.updateMany(TRIGGER, { bindings }), auth0Retry(ctx));

/** How long a build or a deploy may take before the run gives up (a real tenant builds in seconds). */
const WAIT_MS = 120_000;
const BACKOFF = { firstMs: 100, factor: 1.5, maxMs: 2000 };

/** Waits until the draft is built (deploy refuses a draft that is not); a failed build is an error. */
export async function waitBuilt(ctx: Ctx, mgmt: ManagementClient, id: string): Promise<void> {
  const building = waitingFor(ctx.emit, 'auth0-action', `Auth0 is building the Action ${id}`);
  const polled = await pollUntil(
    async () => (await getAction(ctx, mgmt, id))?.status,
    (s) => s === 'built' || s === 'failed' || s === undefined,
    { backoff: BACKOFF, signal: ctx.signal, budgetMs: WAIT_MS, onWait: (_, ms) => building(ms) },
  );
  if (polled.value === 'built') return;
  throw new Error(
    polled.value === 'failed'
      ? `the Auth0 Action ${id} failed to build; see Actions > Library in the Auth0 dashboard`
      : polled.value === undefined
        ? `the Auth0 Action ${id} disappeared while it was being built; run iap-auth0 init again`
        : `the Auth0 Action ${id} was not built within ${WAIT_MS / 1000} s; run iap-auth0 init again`,
  );
}

/** Deploys the built draft and waits until it is the deployed version (a binding needs a deployed Action). */
export async function deploy(ctx: Ctx, mgmt: ManagementClient, id: string, code: string): Promise<void> {
  await waitBuilt(ctx, mgmt, id);
  await withRetry(() => mgmt.actions.deploy(id), auth0Retry(ctx));
  const goingLive = waitingFor(ctx.emit, 'auth0-action', `Auth0 is deploying the Action ${id}`);
  const polled = await pollUntil(
    async () => (await getAction(ctx, mgmt, id))?.deployedCode,
    (c) => c === code,
    { backoff: BACKOFF, signal: ctx.signal, budgetMs: WAIT_MS, onWait: (_, ms) => goingLive(ms) },
  );
  if (!polled.done)
    throw new Error(`the Auth0 Action ${id} was deployed but did not go live within ${WAIT_MS / 1000} s`);
}
