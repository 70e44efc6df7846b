// Management API v2 routes for Actions, as the auth0 SDK (v7) calls them:
//   actions.list / create / get / update / delete / deploy   /api/v2/actions/actions[/{id}[/deploy]]
//   actions.versions.list / get                               /api/v2/actions/actions/{id}/versions[/{id}]
//   actions.triggers.list                                     GET /api/v2/actions/triggers
//   actions.triggers.bindings.list / updateMany               GET, PATCH /api/v2/actions/triggers/{id}/bindings
// Scopes are those of Auth0's reference pages (auth0/docs-v2 main/docs/api/management/v2/actions/
// *.mdx `<Scopes>`): read:actions to read anything, triggers and bindings included; create:actions
// to create and to deploy; update:actions to update and to change bindings; delete:actions to delete.
// Refusals with their sources:
//  - deploy before the draft is built: 400 "A draft must be in the 'built' state before it can be
//    deployed." (alexkappa/terraform-provider-auth0 issue 470);
//  - binding an Action with no deployed version: 400 "Trying to create a binding for an action that
//    has not been deployed yet" (a deploy script quoting the API, and terraform-provider-auth0 PR 1590);
//  - deleting a bound Action: 409 "Unable to delete an action bound to a trigger." unless `force=true`,
//    which detaches it (terraform-provider-auth0 issues 64 and 1550; the SDK's `force`: "Force action
//    deletion detaching bindings");
//  - an unknown id: 404 "That action does not exist." (go-auth0 recording TestActionManager_Delete).
import { randomUUID } from 'node:crypto';
import { ManagementError, queryError } from './errors.js';
import { body, boolParam, need, offsetPage, type Ctx, type MgmtResult, type Route } from './mgmt-route.js';
import { pickDraft, type ActionRecord, type ActionVersion, type Binding } from './actions-model.js';
import { bindingsBody, createBody, updateBody, type BindingRef } from './actions-validate.js';
import { TRIGGERS, TRIGGER_IDS } from '../facts/auth0-actions.js';

const ACTIONS = /^\/api\/v2\/actions\/actions$/;
const ACTION = /^\/api\/v2\/actions\/actions\/(?<id>[^/]+)$/;
const BINDINGS = /^\/api\/v2\/actions\/triggers\/(?<trigger>[^/]+)\/bindings$/;

export const ACTION_ROUTES: Route[] = [
  { method: 'GET', re: ACTIONS, handler: listActions },
  { method: 'POST', re: ACTIONS, handler: createAction },
  { method: 'GET', re: ACTION, handler: getAction },
  { method: 'PATCH', re: ACTION, handler: updateAction },
  { method: 'DELETE', re: ACTION, handler: deleteAction },
  { method: 'POST', re: /^\/api\/v2\/actions\/actions\/(?<id>[^/]+)\/deploy$/, handler: deployAction },
  { method: 'GET', re: /^\/api\/v2\/actions\/actions\/(?<id>[^/]+)\/versions$/, handler: listVersions },
  {
    method: 'GET',
    re: /^\/api\/v2\/actions\/actions\/(?<id>[^/]+)\/versions\/(?<version>[^/]+)$/,
    handler: getVersion,
  },
  { method: 'GET', re: /^\/api\/v2\/actions\/triggers$/, handler: listTriggers },
  { method: 'GET', re: BINDINGS, handler: listBindings },
  { method: 'PATCH', re: BINDINGS, handler: updateBindings },
];

export const actionNotFound = () => new ManagementError(404, 'That action does not exist.');

const store = (c: Ctx) => c.t.world.auth0Actions;

function findAction(c: Ctx, id = c.params.id): ActionRecord {
  const a = store(c).actions.get(id);
  if (!a) throw actionNotFound();
  store(c).settle(a);
  return a;
}

// --- answers -------------------------------------------------------------------------------------

const secretsView = (a: { secrets: { name: string; updated_at: string }[] }) =>
  a.secrets.map(({ name, updated_at }) => ({ name, updated_at }));

const actionBase = (a: ActionRecord) => ({
  id: a.id,
  name: a.name,
  supported_triggers: a.supported_triggers,
  created_at: a.created_at,
  updated_at: a.updated_at,
  all_changes_deployed: a.all_changes_deployed,
});

/** A version as the versions routes and deploy answer it (`action` only outside an Action's own answer). */
function versionView(c: Ctx, a: ActionRecord, v: ActionVersion, o: { withAction: boolean; deploying?: boolean }) {
  const d = v.draft;
  const deployed = !o.deploying && store(c).deployedVersion(a)?.id === v.id;
  return {
    code: d.code,
    dependencies: d.dependencies,
    id: v.id,
    deployed,
    number: v.number,
    secrets: secretsView(d),
    status: 'built',
    created_at: v.created_at,
    updated_at: v.created_at,
    runtime: d.runtime,
    supported_triggers: d.supported_triggers,
    ...(o.withAction ? { action: actionBase(a) } : {}),
    built_at: v.created_at,
  };
}

/** An Action as GET answers it; create and update answer `status: "pending"` (the build just started). */
export function actionView(c: Ctx, a: ActionRecord, justChanged = false) {
  const status = justChanged ? 'pending' : store(c).status(a);
  const deployed = store(c).deployedVersion(a);
  return {
    id: a.id,
    name: a.name,
    supported_triggers: a.supported_triggers,
    created_at: a.created_at,
    updated_at: a.updated_at,
    code: a.code,
    dependencies: a.dependencies,
    runtime: a.runtime,
    status,
    ...(status === 'built'
      ? { built_at: c.t.world.clock.iso(a.buildStartedAt + c.t.world.profile.actions.buildMs) }
      : {}),
    secrets: secretsView(a),
    ...(deployed ? { deployed_version: versionView(c, a, deployed, { withAction: false }) } : {}),
    all_changes_deployed: a.all_changes_deployed,
  };
}

function bindingView(c: Ctx, b: Binding) {
  const a = store(c).actions.get(b.action_id)!;
  return {
    id: b.id,
    trigger_id: b.trigger_id,
    action: actionView(c, a),
    created_at: b.created_at,
    updated_at: b.updated_at,
    display_name: b.display_name,
  };
}

/** The paged list shape of Actions, versions and bindings: `page` only when not 0, as recorded. */
function pagedList(c: Ctx, key: string, items: unknown[]): MgmtResult {
  const { page, perPage, slice } = offsetPage(items, c.req.query);
  return { status: 200, json: { [key]: slice, total: items.length, ...(page ? { page } : {}), per_page: perPage } };
}

// --- Actions -------------------------------------------------------------------------------------

function triggerParam(v: string | null, where: 'query' | 'path'): string | undefined {
  if (v === null || v === '') return undefined;
  if (TRIGGER_IDS.includes(v)) return v;
  if (where === 'query') throw queryError(`No enum match for: ${JSON.stringify(v)}`, 'triggerId');
  // Assumption: hapi's wording for a path parameter, as for the query.
  throw new ManagementError(
    400,
    `Path validation error: 'No enum match for: ${JSON.stringify(v)}' on property triggerId.`,
    'invalid_uri',
  );
}

/** GET /api/v2/actions/actions: filters triggerId, actionName (exact), deployed, installed (no integrations here). */
function listActions(c: Ctx): MgmtResult {
  need(c, ['read:actions']);
  const q = c.req.query;
  const trigger = triggerParam(q.get('triggerId'), 'query');
  const name = q.get('actionName');
  const deployed = boolParam(q, 'deployed');
  const installed = boolParam(q, 'installed');
  const list = [...store(c).actions.values()].filter(
    (a) =>
      (!trigger || a.supported_triggers.some((t) => t.id === trigger)) &&
      (name === null || a.name === name) &&
      (deployed === undefined || !!store(c).deployedVersion(a) === deployed) &&
      installed !== true,
  );
  return pagedList(
    c,
    'actions',
    list.map((a) => actionView(c, a)),
  );
}

function createAction(c: Ctx): MgmtResult {
  need(c, ['create:actions']);
  const { draft, deploy } = createBody(body(c), c.t.world.clock.iso());
  const a = store(c).create(draft, deploy);
  return { status: 201, json: actionView(c, a, true) };
}

function getAction(c: Ctx): MgmtResult {
  need(c, ['read:actions']);
  return { status: 200, json: actionView(c, findAction(c)) };
}

/**
 * PATCH: the draft changes and is built again. A bound Action cannot move to another trigger:
 * 400 "can't upgrade to this trigger." (auth0/auth0-cli issue 462).
 */
function updateAction(c: Ctx): MgmtResult {
  need(c, ['update:actions']);
  const a = findAction(c);
  const draft = updateBody(body(c), pickDraft(a), c.t.world.clock.iso());
  const bound = store(c).boundTo(a.id);
  if (bound.some((t) => !draft.supported_triggers.some((s) => s.id === t)))
    throw new ManagementError(400, "can't upgrade to this trigger.", 'invalid_body');
  store(c).update(a, draft);
  return { status: 200, json: actionView(c, a, true) };
}

function deleteAction(c: Ctx): MgmtResult {
  need(c, ['delete:actions']);
  const a = findAction(c);
  const force = boolParam(c.req.query, 'force', false);
  if (store(c).boundTo(a.id).length && !force)
    throw new ManagementError(409, 'Unable to delete an action bound to a trigger.');
  store(c).remove(a.id);
  return { status: 204 };
}

/** POST …/deploy answers the new version, `deployed: false` while it takes effect (as recorded). */
function deployAction(c: Ctx): MgmtResult {
  need(c, ['create:actions']);
  const a = findAction(c);
  if (store(c).status(a) !== 'built')
    throw new ManagementError(400, "A draft must be in the 'built' state before it can be deployed.", 'invalid_body');
  const v = store(c).deploy(a);
  return { status: 200, json: versionView(c, a, v, { withAction: true, deploying: true }) };
}

/** Newest first (assumption: the record shows one version only). */
function listVersions(c: Ctx): MgmtResult {
  need(c, ['read:actions']);
  const a = findAction(c);
  const versions = [...a.versions].reverse().map((v) => versionView(c, a, v, { withAction: true }));
  return pagedList(c, 'versions', versions);
}

function getVersion(c: Ctx): MgmtResult {
  need(c, ['read:actions']);
  const a = findAction(c);
  const v = a.versions.find((x) => x.id === c.params.version);
  // Assumption: the wording, after the Action's own 404.
  if (!v) throw new ManagementError(404, 'That action version does not exist.');
  return { status: 200, json: versionView(c, a, v, { withAction: true }) };
}

// --- triggers and bindings -----------------------------------------------------------------------

function listTriggers(c: Ctx): MgmtResult {
  need(c, ['read:actions']);
  return { status: 200, json: { triggers: TRIGGERS } };
}

function listBindings(c: Ctx): MgmtResult {
  need(c, ['read:actions']);
  const trigger = triggerParam(c.params.trigger, 'path')!;
  return pagedList(
    c,
    'bindings',
    store(c)
      .bindingsOf(trigger)
      .map((b) => bindingView(c, b)),
  );
}

/** The Action a binding entry names, which must be deployed and made for this trigger. */
function resolveRef(c: Ctx, trigger: string, ref: BindingRef): { action: ActionRecord; keep?: Binding } {
  const s = store(c);
  let keep: Binding | undefined;
  let action: ActionRecord | undefined;
  if (ref.type === 'binding_id') {
    keep = s.bindingsOf(trigger).find((b) => b.id === ref.value);
    // Assumption: the wording for a binding id the trigger does not have.
    if (!keep) throw new ManagementError(404, 'That binding does not exist.');
    action = s.actions.get(keep.action_id);
  } else if (ref.type === 'action_id') action = s.actions.get(ref.value);
  // Assumption: names are not unique; a name names the oldest Action that has it.
  else action = [...s.actions.values()].find((a) => a.name === ref.value);
  if (!action) throw actionNotFound();
  if (!action.supported_triggers.some((t) => t.id === trigger))
    // Assumption: the wording for an Action made for another trigger.
    throw new ManagementError(400, `Action ${action.name} does not support trigger ${trigger}.`, 'invalid_body');
  if (!s.deployedVersion(action))
    throw new ManagementError(
      400,
      'Trying to create a binding for an action that has not been deployed yet',
      'invalid_body',
    );
  return { action, keep };
}

/** PATCH …/bindings replaces the trigger's whole list, in the order given (ordering = execution order). */
function updateBindings(c: Ctx): MgmtResult {
  need(c, ['update:actions']);
  const trigger = triggerParam(c.params.trigger, 'path')!;
  const refs = bindingsBody(body(c));
  const resolved = refs.map((r) => ({ ...resolveRef(c, trigger, r), display_name: r.display_name }));
  const now = c.t.world.clock.iso();
  const list: Binding[] = resolved.map(({ action, keep, display_name }) =>
    keep
      ? { ...keep, ...(display_name !== undefined ? { display_name, updated_at: now } : {}) }
      : {
          id: randomUUID(),
          trigger_id: trigger,
          action_id: action.id,
          display_name: display_name ?? action.name,
          created_at: now,
          updated_at: now,
        },
  );
  store(c).bindings.set(trigger, list);
  return { status: 200, json: { bindings: list.map((b) => bindingView(c, b)) } };
}
