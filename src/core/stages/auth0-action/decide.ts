// The Action stage's decision (pure): from what was read (the Action this setup made, if any, and
// whether the post-login trigger binds it) to the changes, one write each: create the Action,
// update its code, deploy a version, change the trigger's bindings, delete the Action.
import { needsGroupsClaim } from '../../../inputs/schema.js';
import { CodedError } from '../../coded-error.js';
import { refused, type Change } from '../../stage.js';
import type { CoreContext } from '../../context.js';
import { actionCode, actionName, actionOwner, TRIGGER } from './code.js';

const stage = 'auth0-action' as const;

/** An Action as read: its draft code and build status, and the code of its deployed version. */
export interface LiveAction {
  id: string;
  name?: string;
  code?: string;
  status?: string;
  deployedCode?: string;
  allChangesDeployed?: boolean;
}

/** What the stage read: the Action (found by its recorded id or by name) and whether the trigger binds it. */
export interface ActionRead {
  action?: LiveAction;
  bound: boolean;
}

export interface ActionDecision {
  changes: Change[];
  /** install: make it exist, deployed and bound; remove: unbind and delete; none: nothing to write. */
  do: 'install' | 'remove' | 'none' | 'refuse';
  create: boolean;
  updateCode: boolean;
  deploy: boolean;
  bind: boolean;
  unbind: boolean;
  action?: LiveAction;
  error?: CodedError;
}

/** The fix for an Action with this setup's name or id whose code lost the marker (init's refusal, verify's fix). */
export const NOT_OURS_HINT =
  'rename or delete that Action in the Auth0 dashboard (Actions > Library), or restore the state file';

const label = (ctx: Pick<CoreContext, 'inputs'>) => `Auth0 Action "${actionName(ctx.inputs.setupId)}"`;
export const BINDINGS_RESOURCE = `Auth0 ${TRIGGER} trigger bindings`;

const nothing = (changes: Change[], extra: Partial<ActionDecision> = {}): ActionDecision => ({
  changes,
  do: 'none',
  create: false,
  updateCode: false,
  deploy: false,
  bind: false,
  unbind: false,
  ...extra,
});

/**
 * Pure: the decision. `clientId` is the Auth0 app's id, undefined when this run creates the app
 * (the code names it: then the code is written once the app exists).
 */
export function decideAction(
  ctx: Pick<CoreContext, 'inputs'>,
  read: ActionRead,
  clientId: string | undefined,
): ActionDecision {
  const resource = label(ctx);
  const a = read.action;
  const ours = a && actionOwner(a.code) === ctx.inputs.setupId;
  if (!needsGroupsClaim(ctx.inputs.allow)) {
    if (!a || !ours)
      return nothing([
        {
          stage,
          action: 'none',
          resource: a ? `Auth0 Action ${a.id}` : 'Auth0 post-login Action',
          reason: a
            ? "no role: or group: in --allow; it no longer carries this setup's marker: left alone"
            : 'no role: or group: in --allow: none needed',
        },
      ]);
    return {
      ...nothing([]),
      do: 'remove',
      unbind: read.bound,
      action: a,
      changes: [
        ...(read.bound
          ? [
              {
                stage,
                action: 'update' as const,
                resource: BINDINGS_RESOURCE,
                fields: ['bindings'],
                reason: `${a.id} unbound; others kept`,
              },
            ]
          : []),
        { stage, action: 'delete', resource, reason: 'no role: or group: in --allow any more' },
      ],
    };
  }
  if (a && !ours) {
    const error = new CodedError(
      'ACTION_NOT_OURS',
      `the Auth0 Action ${a.id} ("${a.name}") does not carry this setup's iap-auth0 marker in its code`,
      NOT_OURS_HINT,
    );
    return { ...nothing([refused(stage, resource, error)]), do: 'refuse', error };
  }
  const desired = clientId ? actionCode(ctx.inputs.setupId, clientId) : undefined;
  const awaits = desired ? {} : { awaits: "the Auth0 app's client id (auth0-app)" };
  const create = !a;
  const updateCode = !!a && a.code !== desired;
  const deploy = create || updateCode || a.deployedCode !== desired || a.allChangesDeployed === false;
  const bind = !read.bound;
  const changes: Change[] = [];
  if (create)
    changes.push({ stage, action: 'create', resource, reason: `${TRIGGER}: roles and groups in one claim`, ...awaits });
  if (updateCode)
    changes.push({ stage, action: 'update', resource, fields: ['code'], reason: 'its code differs', ...awaits });
  if (deploy)
    changes.push({
      stage,
      action: 'create',
      resource: `${resource}: deployed version`,
      reason: create || updateCode ? 'the new code takes effect once deployed' : 'its code is not the deployed one',
    });
  if (bind)
    changes.push({
      stage,
      action: 'update',
      resource: BINDINGS_RESOURCE,
      fields: ['bindings'],
      reason: 'appended after the Actions already bound (they are kept)',
    });
  if (!changes.length) changes.push({ stage, action: 'none', resource, reason: `deployed and bound to ${TRIGGER}` });
  return {
    changes,
    do: changes[0].action === 'none' ? 'none' : 'install',
    create,
    updateCode,
    deploy,
    bind,
    unbind: false,
    action: a,
  };
}
