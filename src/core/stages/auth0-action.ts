// Stage 7: the post-login Action that makes --allow role: and group: work (issue 14). A real Auth0
// tenant sends Google no roles or groups; this Action puts them in one namespaced claim, which the
// workforce provider maps to google.groups, so principalSet://…/group/NAME members can match. It is
// owned like every other resource: its code's first line names the setup (auth0-action/code.ts),
// it is created, built, deployed and bound by appending to the trigger's bindings (never dropping
// others'), re-deployed when its code changes, and unbound and deleted when --allow no longer
// needs it and by destroy. Without role: or group: (and nothing recorded) it reads and writes nothing.
import type { ManagementClient } from 'auth0';
import { needsGroupsClaim } from '../../inputs/schema.js';
import { describeAuth0Error } from '../auth0-errors.js';
import { withRetry } from '../retry.js';
import { auth0Retry, auth0Status } from '../fates.js';
import { recorded } from '../outputs.js';
import { runCheck, ok, failed, type CheckResult, type Outcome } from '../check.js';
import type { CoreContext } from '../context.js';
import type { Stage, StageContext } from '../stage.js';
import { actionCode, actionName, actionOwner, RUNTIME, TRIGGER, TRIGGER_VERSION } from './auth0-action/code.js';
import { decideAction, NOT_OURS_HINT, type ActionDecision, type ActionRead } from './auth0-action/decide.js';
import { bind, deploy, findAction, getAction, readBindings, unbind } from './auth0-action/api.js';

const stage = 'auth0-action' as const;
const recordedId = (ctx: Pick<CoreContext, 'state'>) => ctx.state.stage(stage).resources.actionId;

/** Reads the Action and the bindings, only when --allow needs the Action or one is recorded. */
async function readAction(ctx: CoreContext): Promise<ActionRead> {
  if (!needsGroupsClaim(ctx.inputs.allow) && !recordedId(ctx)) return { bound: false };
  const mgmt = await ctx.auth0();
  try {
    const action = await findAction(ctx, mgmt);
    const bound = action ? (await readBindings(ctx, mgmt)).refs.some((r) => r.actionId === action.id) : false;
    return { action, bound };
  } catch (e) {
    throw describeAuth0Error(e);
  }
}

export const auth0ActionStage: Stage = {
  id: stage,
  verify: verifyAction,
  owned: (rec) => {
    const id = rec.stage(stage).resources.actionId;
    return id
      ? [`Auth0 post-login Action ${id} and its binding (only if its code still carries this setup's marker)`]
      : [];
  },
  destroy: destroyAction,

  async read(ctx) {
    const read = await readAction(ctx);
    return (ahead) => {
      const clientId = ahead.auth0Client ? ahead.auth0Client.clientId : recorded(ctx, 'auth0Client')?.clientId;
      const d = decideAction(ctx, read, clientId);
      return { stage, changes: d.changes, prospects: {}, apply: (c) => applyAction(c, d) };
    };
  },
};

/** Executes the decision; the Action's id is recorded the moment it exists. */
async function applyAction(ctx: StageContext, d: ActionDecision): Promise<string> {
  if (d.do === 'refuse') throw d.error;
  const a = d.action;
  if (d.do === 'none') {
    // Found by name after the state was lost, or gone while no longer needed: the record follows what is there.
    if (a && actionOwner(a.code) === ctx.inputs.setupId && recordedId(ctx) !== a.id)
      await ctx.state.recordResource(stage, 'actionId', a.id);
    if (!a && recordedId(ctx)) await forget(ctx);
    return d.changes[0].reason;
  }
  const mgmt = await ctx.auth0();
  try {
    if (d.do === 'remove') return await remove(ctx, mgmt, a!.id, d.unbind);
    return await install(ctx, mgmt, d);
  } catch (e) {
    throw describeAuth0Error(e);
  }
}

const step = (ctx: CoreContext, text: string) => ctx.emit({ type: 'step', stage, text });

async function install(ctx: StageContext, mgmt: ManagementClient, d: ActionDecision): Promise<string> {
  const { clientId } = await ctx.need('auth0Client');
  const code = actionCode(ctx.inputs.setupId, clientId);
  let id = d.action?.id;
  if (d.create) {
    step(ctx, `creating the Auth0 post-login Action "${actionName(ctx.inputs.setupId)}"`);
    // No automatic retry: a retried create could make a second Action; a re-run finds this one by name.
    const made = await mgmt.actions.create(
      {
        name: actionName(ctx.inputs.setupId),
        supported_triggers: [{ id: TRIGGER, version: TRIGGER_VERSION }],
        code,
        runtime: RUNTIME,
      },
      { maxRetries: 0 },
    );
    id = made.id!;
  } else if (d.updateCode) {
    step(ctx, `updating the code of the Auth0 Action ${id}`);
    await withRetry(() => mgmt.actions.update(id!, { code }), auth0Retry(ctx));
  }
  if (recordedId(ctx) !== id) await ctx.state.recordResource(stage, 'actionId', id!);
  if (d.deploy) {
    step(ctx, `deploying the Auth0 Action ${id}`);
    await deploy(ctx, mgmt, id!, code);
  }
  if (d.bind && (await bind(ctx, mgmt, id!))) step(ctx, `bound the Action ${id} to ${TRIGGER}, after the others`);
  return `Auth0 Action ${id} puts roles and groups in the groups claim (${TRIGGER}, deployed and bound)`;
}

/** Unbinds (others' bindings kept) and deletes this setup's Action; gone already counts as done. */
async function remove(ctx: CoreContext, mgmt: ManagementClient, id: string, bound: boolean): Promise<string> {
  if (bound || (await readBindings(ctx, mgmt)).refs.some((r) => r.actionId === id)) {
    step(ctx, `unbinding the Auth0 Action ${id} from ${TRIGGER}`);
    await unbind(ctx, mgmt, id);
  }
  step(ctx, `deleting the Auth0 Action ${id}`);
  await withRetry(() => mgmt.actions.delete(id), auth0Retry(ctx)).catch((e) => {
    if (auth0Status(e) !== 404) throw e;
  });
  await forget(ctx);
  return `deleted Auth0 Action ${id} and its ${TRIGGER} binding`;
}

const forget = (ctx: CoreContext) =>
  ctx.state.updateStage(stage, (st) => {
    delete st.resources.actionId;
  });

/** With role: or group: allowed: the Action exists, is this setup's, runs the code init wrote, and is bound. */
async function verifyAction(ctx: CoreContext): Promise<CheckResult[]> {
  if (!needsGroupsClaim(ctx.inputs.allow)) return [];
  return [
    await runCheck(stage, 'auth0-action', 'Auth0 post-login Action', () => actionInPlace(ctx), undefined, ctx.signal),
  ];
}

/**
 * Whether the recorded Action is this setup's, deployed with the code iap-auth0 writes and bound:
 * the auth0-action check, and what a group: check needs first (groups reach Google only through it).
 */
export async function actionInPlace(ctx: CoreContext): Promise<Outcome> {
  const fix = 'run iap-auth0 init (it creates, deploys and binds the Action again)';
  const id = recordedId(ctx);
  if (!id) return failed('no post-login Action is recorded: roles and groups never reach Google', fix);
  const mgmt = await ctx.auth0();
  const a = await getAction(ctx, mgmt, id);
  if (!a) return failed(`the Auth0 Action ${id} no longer exists: nobody matches a role: or group: grant`, fix);
  // init refuses an Action that lost the marker (ACTION_NOT_OURS): the fix is the one its refusal names.
  if (actionOwner(a.code) !== ctx.inputs.setupId)
    return failed(
      `the Auth0 Action ${id} no longer carries this setup's marker: iap-auth0 init will not touch it`,
      NOT_OURS_HINT,
    );
  const clientId = ctx.state.stage('auth0-app').resources.clientId ?? '';
  if (a.deployedCode !== actionCode(ctx.inputs.setupId, clientId))
    return failed(`the deployed version of the Auth0 Action ${id} is not the code iap-auth0 wrote`, fix);
  const bound = (await readBindings(ctx, mgmt)).refs.some((r) => r.actionId === id);
  if (!bound)
    return failed(
      `the Auth0 Action ${id} is not bound to the ${TRIGGER} trigger: it never runs, so no roles or groups ` +
        'reach Google',
      fix,
    );
  return ok(`${id}: deployed and bound to ${TRIGGER}; roles and groups reach Google`);
}

/** Unbinds and deletes the recorded Action while its code carries this setup's marker. */
async function destroyAction(ctx: CoreContext): Promise<string> {
  const id = recordedId(ctx);
  if (!id) return 'nothing to delete';
  const mgmt = await ctx.auth0();
  try {
    const a = await getAction(ctx, mgmt, id);
    if (!a) return `Auth0 Action ${id} was already gone`;
    if (actionOwner(a.code) !== ctx.inputs.setupId)
      return `kept Auth0 Action ${id}: its code does not carry this setup's iap-auth0 marker`;
    return await remove(ctx, mgmt, id, false);
  } catch (e) {
    throw describeAuth0Error(e);
  }
}
