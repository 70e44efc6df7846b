// verify, destroy and status start from what init recorded: the state file names the project,
// the ids and every resource, so they never prompt and never need the flags init took.
import { readState, DEFAULT_STATE_PATH } from '../state/store.js';
import type { State } from '../state/schema.js';
import { UserError, EXIT } from '../lib/exit-codes.js';
import { asUsageError } from './local-checks.js';
import { StateHandle } from './state-handle.js';
import { createContext } from './create-context.js';
import type { CoreContext, ResolvedInputs } from './context.js';
import type { EventSink } from './events.js';
import type { Auth0Session } from './auth0-session.js';

/** The state file, or a usage error saying how to get one. */
export async function readRecorded(statePath = DEFAULT_STATE_PATH, command: string): Promise<State> {
  let state: State | undefined;
  try {
    state = await readState(statePath);
  } catch (e) {
    throw asUsageError(e);
  }
  if (!state) {
    throw new UserError(
      `no state file at ${statePath}: there is nothing for ${command} to work on`,
      EXIT.USAGE,
      'run iap-auth0 init first, or pass --state PATH if your state file lives elsewhere',
    );
  }
  return state;
}

/** A stage context built from the state file alone; `persist` writes state changes through. */
export function contextFromState(o: {
  env: NodeJS.ProcessEnv;
  state: State;
  statePath: string;
  emit: EventSink;
  signal: AbortSignal;
  persist: boolean;
  auth0?: Auth0Session | Promise<Auth0Session>;
}): CoreContext {
  const i = o.state.inputs;
  if (!i.projectNumber || !i.organization) {
    throw new UserError(
      `the state file ${o.statePath} does not record the project number and organization yet`,
      EXIT.USAGE,
      'run iap-auth0 init to finish setting up first',
    );
  }
  // A state file of 0.1.0 has no setup id; its resources' markers have none either ('' matches them).
  const inputs: ResolvedInputs = {
    ...i,
    projectNumber: i.projectNumber,
    organization: i.organization,
    adopt: false,
    setupId: o.state.setupId ?? '',
  };
  const handle = new StateHandle(o.statePath, o.state, o.persist);
  return createContext({
    env: o.env,
    inputs,
    state: handle,
    emit: o.emit,
    signal: o.signal,
    ...(o.auth0 ? { auth0: o.auth0 } : {}),
  });
}
