// Auth0 Actions as the tenant stores them: each Action is a draft (code, dependencies, runtime,
// secrets) that Auth0 builds asynchronously, plus the immutable versions each deploy makes, one of
// which is deployed; each trigger has an ordered list of bindings to Actions. Answer shapes are
// those of a real tenant (auth0/go-auth0 test recordings TestActionManager_*.yaml):
//  - create and update answer `status: "pending"`; reads then show `building`, later `built` (or
//    `failed` when the code does not compile) after the profile's `actions.buildMs`;
//  - deploy makes version N+1 and answers it with `deployed: false`; it becomes the deployed
//    version (`deployed: true`, the Action's `deployed_version`) after `actions.deployMs`;
//  - secrets are answered as {name, updated_at}, never with their value.
// Time is the sandbox clock, so POST /clock skips a build.
import { randomUUID } from 'node:crypto';
import vm from 'node:vm';
import type { Clock } from '../core/clock.js';

export interface ActionSecret {
  name: string;
  value: string;
  updated_at: string;
}
export interface ActionDraft {
  name: string;
  supported_triggers: { id: string; version: string }[];
  code: string;
  dependencies: { name: string; version: string; registry_url?: string }[];
  runtime: string;
  secrets: ActionSecret[];
  modules?: unknown[];
}
export interface ActionVersion {
  id: string;
  number: number;
  draft: ActionDraft;
  created_at: string;
  /** When (sandbox ms) the deploy that made it took effect. */
  deployAt: number;
}
export interface ActionRecord extends ActionDraft {
  id: string;
  created_at: string;
  updated_at: string;
  /** When the current build started (sandbox ms); the draft is built buildMs later. */
  buildStartedAt: number;
  /** The compile error of the current draft, if any (the build fails). */
  buildError?: string;
  /** Deploy the draft as soon as it is built (create's `deploy: true`). */
  deployWhenBuilt?: boolean;
  versions: ActionVersion[];
  all_changes_deployed: boolean;
}
export interface Binding {
  id: string;
  trigger_id: string;
  action_id: string;
  display_name: string;
  created_at: string;
  updated_at: string;
}
/** One post-login run, for inspection (GET /world `auth0ActionExecutions`). */
export interface ActionExecution {
  at: string;
  trigger_id: string;
  user_id: string;
  client_id: string;
  results: { action_name: string; error?: { id: string; msg: string } }[];
  outcome: 'allowed' | 'denied' | 'failed';
  reason?: string;
  idTokenClaims: Record<string, unknown>;
  accessTokenClaims: Record<string, unknown>;
  logs: string[];
}

export type ActionTimes = { buildMs: number; deployMs: number; timeoutMs: number };
export type BuildStatus = 'pending' | 'building' | 'built' | 'failed';

/** A draft's compile error, as a build would report it (the code is compiled, never run). */
export function compileError(code: string): string | undefined {
  try {
    new vm.Script(`(function (exports, module) {\n${code}\n})`);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export class ActionStore {
  readonly actions = new Map<string, ActionRecord>();
  readonly bindings = new Map<string, Binding[]>();

  constructor(
    private readonly clock: Clock,
    private readonly times: () => ActionTimes,
  ) {}

  status(a: ActionRecord): BuildStatus {
    const elapsed = this.clock.now() - a.buildStartedAt;
    if (elapsed < this.times().buildMs / 2) return 'pending';
    if (elapsed < this.times().buildMs) return 'building';
    return a.buildError ? 'failed' : 'built';
  }

  /** Applies what time has done: a `deploy: true` draft that finished building is deployed. */
  settle(a: ActionRecord): void {
    if (a.deployWhenBuilt && this.status(a) === 'built') {
      a.deployWhenBuilt = false;
      this.deploy(a, a.buildStartedAt + this.times().buildMs);
    }
  }

  create(draft: ActionDraft, deploy: boolean): ActionRecord {
    const now = this.clock.iso();
    const a: ActionRecord = {
      ...draft,
      id: randomUUID(),
      created_at: now,
      updated_at: now,
      buildStartedAt: this.clock.now(),
      buildError: compileError(draft.code),
      deployWhenBuilt: deploy,
      versions: [],
      all_changes_deployed: false,
    };
    this.actions.set(a.id, a);
    return a;
  }

  /** A changed draft is built again and is no longer what is deployed. */
  update(a: ActionRecord, draft: ActionDraft): void {
    Object.assign(a, draft, {
      updated_at: this.clock.iso(),
      buildStartedAt: this.clock.now(),
      buildError: compileError(draft.code),
      all_changes_deployed: false,
    });
  }

  /** Makes the next version from the built draft; it is deployed deployMs after `at`. */
  deploy(a: ActionRecord, at = this.clock.now()): ActionVersion {
    const v: ActionVersion = {
      id: randomUUID(),
      number: a.versions.length + 1,
      draft: structuredClone({ ...pickDraft(a) }),
      created_at: this.clock.iso(at),
      deployAt: at + this.times().deployMs,
    };
    a.versions.push(v);
    a.all_changes_deployed = true;
    return v;
  }

  /** The version serving the triggers now: the newest whose deploy has taken effect. */
  deployedVersion(a: ActionRecord): ActionVersion | undefined {
    this.settle(a);
    const now = this.clock.now();
    return [...a.versions].reverse().find((v) => v.deployAt <= now);
  }

  bindingsOf(trigger: string): Binding[] {
    return this.bindings.get(trigger) ?? [];
  }

  /** The triggers an Action is bound to. */
  boundTo(actionId: string): string[] {
    return [...this.bindings].filter(([, list]) => list.some((b) => b.action_id === actionId)).map(([t]) => t);
  }

  remove(actionId: string): void {
    for (const [t, list] of this.bindings)
      this.bindings.set(
        t,
        list.filter((b) => b.action_id !== actionId),
      );
    this.actions.delete(actionId);
  }

  /** Everything for GET /world, secret values left out. */
  snapshot(): Record<string, unknown> {
    const hide = (d: ActionDraft) => ({
      ...d,
      secrets: d.secrets.map(({ name, updated_at }) => ({ name, updated_at })),
    });
    return {
      auth0Actions: [...this.actions.values()].map((a) => ({
        ...hide(a),
        id: a.id,
        status: this.status(a),
        deployed_version: this.deployedVersion(a)?.number,
        versions: a.versions.map((v) => ({ id: v.id, number: v.number, ...hide(v.draft) })),
      })),
      auth0Bindings: Object.fromEntries(this.bindings),
    };
  }
}

export function pickDraft(a: ActionDraft): ActionDraft {
  const { name, supported_triggers, code, dependencies, runtime, secrets, modules } = a;
  return { name, supported_triggers, code, dependencies, runtime, secrets, ...(modules ? { modules } : {}) };
}
