// An error with a stable code (for --json and scripts) and a hint (what to do). Messages never
// carry secrets or request bodies.
import { setupName, type UseDecision } from './ownership.js';

export class CodedError extends Error {
  constructor(readonly code: string, message: string, readonly hint?: string) { super(message); }
}

/**
 * Why init will not use a resource, as the user reads it. `what` names the resource, `flag` the
 * option that picks another id, `field` where the state file records it (for a mismatch).
 */
export function refusal(d: Extract<UseDecision, { refuse: unknown }>, what: string, o: { flag: string; stateFile: string; field: string; me: string; adoptable?: boolean }): CodedError {
  const adopt = o.adoptable === false ? '' : 'to let this setup use it without ever deleting it, pass --adopt; ';
  if (d.refuse === 'other-setup') {
    return new CodedError('OWNED_BY_ANOTHER_SETUP', `${what} belongs to ${setupName(d.owner)}`,
      (d.owner ? `if that setup is yours and its state file is lost, run iap-auth0 init --setup ${d.owner}; ` : '') + `${adopt}or choose another id with ${o.flag}`);
  }
  if (d.refuse === 'mismatch') {
    return new CodedError('STATE_MISMATCH', `the state file ${o.stateFile} records ${what} (${o.field}) as created by setup ${o.me}, but it carries no iap-auth0 marker of that setup`,
      `if the state file was edited, restore it; if the marker was removed from the resource, put it back; ${adopt}nothing was changed`);
  }
  return new CodedError('NOT_CREATED_BY_IAP_AUTH0', `${what} exists but was not created by iap-auth0`,
    o.adoptable === false ? `choose another id with ${o.flag}` : `pass --adopt to use it (iap-auth0 changes only what IAP needs, records what it changed, and never deletes it), or choose another id with ${o.flag}`);
}
