// The bodies of the Actions routes, checked as Auth0's v2 schema does (node-auth0 7.1.0
// CreateActionRequestContent, UpdateActionRequestContent, UpdateActionBindingsRequestContent):
// unknown properties, missing or mistyped fields are 400 `invalid_body` with Auth0's wording.
import { ManagementError, payloadError } from './errors.js';
import type { ActionDraft, ActionSecret } from './actions-model.js';
import { TRIGGERS, TRIGGER_IDS, currentVersion } from '../facts/auth0-actions.js';
import { expectedType, objectBody, objectList, optionalString, requiredString, typeOf } from './validate.js';

const CREATE_PROPS = new Set([
  'name',
  'supported_triggers',
  'code',
  'dependencies',
  'runtime',
  'secrets',
  'modules',
  'deploy',
]);
const UPDATE_PROPS = new Set(['name', 'supported_triggers', 'code', 'dependencies', 'runtime', 'secrets', 'modules']);
// ActionTrigger as GET answers it may be sent back; only id and version matter.
const TRIGGER_PROPS = new Set([
  'id',
  'version',
  'status',
  'runtimes',
  'default_runtime',
  'compatible_triggers',
  'binding_policy',
]);

function trigger(o: unknown, prop: string): { id: string; version: string } {
  const t = objectBody(o, TRIGGER_PROPS, prop);
  const id = requiredString(t, 'id', prop);
  if (!TRIGGER_IDS.includes(id)) throw payloadError(`No enum match for: ${JSON.stringify(id)}`, `${prop}.id`);
  const version = optionalString(t, 'version', prop) ?? currentVersion(id) ?? 'v1';
  const known = TRIGGERS.filter((x) => x.id === id);
  // Assumption: the wording; Auth0 refuses a version its trigger does not have.
  if (known.length && !known.some((x) => x.version === version))
    throw new ManagementError(400, `Trigger ${id} has no version ${version}.`, 'invalid_body');
  return { id, version };
}

function triggers(b: Record<string, unknown>): { id: string; version: string }[] | undefined {
  const list = objectList(b, 'supported_triggers', trigger);
  if (!list) return undefined;
  if (list.length < 1) throw payloadError('Array is too short (0), minimum 1', 'supported_triggers');
  // "At this time, an action can only target a single trigger at a time" (the field's description).
  if (list.length > 1) throw payloadError(`Array is too long (${list.length}), maximum 1`, 'supported_triggers');
  return list;
}

function dependency(o: unknown, prop: string) {
  const d = objectBody(o, new Set(['name', 'version', 'registry_url']), prop);
  const registry = optionalString(d, 'registry_url', prop);
  return {
    name: requiredString(d, 'name', prop),
    version: requiredString(d, 'version', prop),
    ...(registry ? { registry_url: registry } : {}),
  };
}

/** Secrets as sent; on update an entry without a value keeps the stored one (assumption). */
function secrets(b: Record<string, unknown>, now: string, old: ActionSecret[] = []): ActionSecret[] | undefined {
  return objectList(b, 'secrets', (o, prop) => {
    const s = objectBody(o, new Set(['name', 'value', 'updated_at']), prop);
    const name = requiredString(s, 'name', prop);
    const value = optionalString(s, 'value', prop);
    return { name, value: value ?? old.find((x) => x.name === name)?.value ?? '', updated_at: now };
  });
}

/** The runtime must be one the Action's trigger offers (assumption: the wording of the refusal). */
function runtime(b: Record<string, unknown>, trig: { id: string; version: string }): string {
  const facts = TRIGGERS.find((t) => t.id === trig.id && t.version === trig.version);
  const r = optionalString(b, 'runtime') ?? facts?.default_runtime ?? 'node22';
  if (facts && !facts.runtimes.includes(r))
    throw new ManagementError(
      400,
      `Runtime ${r} is not supported by trigger ${trig.id} ${trig.version}.`,
      'invalid_body',
    );
  return r;
}

function modules(b: Record<string, unknown>): unknown[] | undefined {
  if (b.modules !== undefined && !Array.isArray(b.modules)) throw expectedType('array', b.modules, 'modules');
  return b.modules as unknown[] | undefined;
}

function name(b: Record<string, unknown>, required: boolean): string | undefined {
  const n = required ? requiredString(b, 'name') : optionalString(b, 'name');
  if (n !== undefined && n.length < 1) throw payloadError('String is too short (0 chars), minimum 1', 'name');
  return n;
}

/** POST /api/v2/actions/actions: the draft, and whether to deploy it once built. */
export function createBody(raw: unknown, now: string): { draft: ActionDraft; deploy: boolean } {
  const b = objectBody(raw, CREATE_PROPS);
  const n = name(b, true)!;
  if (b.supported_triggers === undefined) throw payloadError('Missing required property: supported_triggers');
  const trigs = triggers(b)!;
  const code = optionalString(b, 'code') ?? '';
  if (b.deploy !== undefined && typeof b.deploy !== 'boolean') throw expectedType('boolean', b.deploy, 'deploy');
  const mods = modules(b);
  const draft: ActionDraft = {
    name: n,
    supported_triggers: trigs,
    code,
    dependencies: objectList(b, 'dependencies', dependency) ?? [],
    runtime: runtime(b, trigs[0]),
    secrets: secrets(b, now) ?? [],
    ...(mods ? { modules: mods } : {}),
  };
  return { draft, deploy: b.deploy === true };
}

/** PATCH /api/v2/actions/actions/{id}: the new draft (fields left out keep their value). */
export function updateBody(raw: unknown, old: ActionDraft, now: string): ActionDraft {
  const b = objectBody(raw, UPDATE_PROPS);
  const trigs = triggers(b) ?? old.supported_triggers;
  const mods = modules(b);
  return {
    name: name(b, false) ?? old.name,
    supported_triggers: trigs,
    code: optionalString(b, 'code') ?? old.code,
    dependencies: objectList(b, 'dependencies', dependency) ?? old.dependencies,
    runtime: b.runtime === undefined && trigs === old.supported_triggers ? old.runtime : runtime(b, trigs[0]),
    secrets: secrets(b, now, old.secrets) ?? old.secrets,
    ...((mods ?? old.modules) ? { modules: mods ?? old.modules } : {}),
  };
}

export type BindingRef = { type: 'action_id' | 'action_name' | 'binding_id'; value: string; display_name?: string };

/**
 * PATCH …/bindings: {bindings: [{ref: {type, value}, display_name?, secrets?}]}. An entry that is
 * not that shape is Auth0's "Data does not match any schemas from 'oneOf'" on property
 * bindings[i] (auth0/node-auth0 issue 740, a real tenant's answer).
 */
export function bindingsBody(raw: unknown): BindingRef[] {
  const b = objectBody(raw, new Set(['bindings']));
  if (b.bindings === undefined) throw payloadError('Missing required property: bindings');
  if (!Array.isArray(b.bindings)) throw expectedType('array', b.bindings, 'bindings');
  return b.bindings.map((e: any, i: number) => {
    const ok =
      typeOf(e) === 'object' &&
      Object.keys(e).every((k) => ['ref', 'display_name', 'secrets'].includes(k)) &&
      typeOf(e.ref) === 'object' &&
      ['action_id', 'action_name', 'binding_id'].includes(e.ref.type) &&
      typeof e.ref.value === 'string' &&
      (e.display_name === undefined || typeof e.display_name === 'string');
    if (!ok) throw payloadError("Data does not match any schemas from 'oneOf'", `bindings[${i}]`);
    return {
      type: e.ref.type,
      value: e.ref.value,
      ...(e.display_name !== undefined ? { display_name: e.display_name } : {}),
    };
  });
}
