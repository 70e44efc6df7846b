// An error with a stable code (for --json and scripts) and a hint (what to do). Messages never
// carry secrets or request bodies.
import { setupName, type UseDecision } from './ownership.js';

export class CodedError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

type RefusalKind = Extract<UseDecision, { refuse: unknown }>['refuse'];

/** Why init will not use a resource, with what the hint is built from (init groups them). */
export class Refusal extends CodedError {
  constructor(
    code: string,
    message: string,
    readonly kind: RefusalKind,
    readonly owner: string | undefined,
    readonly flag: string,
    readonly adoptable: boolean,
  ) {
    super(code, message, refusalHint(kind, owner, [flag], adoptable));
  }
}

/** What to do about refused resources: one sentence for all the resources of one owner. */
export function refusalHint(kind: RefusalKind, owner: string | undefined, flags: string[], adoptable: boolean): string {
  const them = flags.length > 1 ? 'them' : 'it';
  const adopt = adoptable ? `to let this setup use ${them} without ever deleting ${them}, pass --adopt; ` : '';
  const other = `choose ${flags.length > 1 ? 'other ids' : 'another id'} with ${flags.join(', ')}`;
  if (kind === 'other-setup')
    return (
      (owner ? `if that setup is yours and its state file is lost, run iap-auth0 init --setup ${owner}; ` : '') +
      `${adopt}or ${other}`
    );
  if (kind === 'mismatch')
    return (
      'if the state file was edited, restore it; if the marker was removed from the resource, put it back; ' +
      `${adopt}nothing was changed`
    );
  return adoptable
    ? `pass --adopt to use ${them} (iap-auth0 changes only what IAP needs, records what it changed, and never ` +
        `deletes ${them}), or ${other}`
    : other;
}

/**
 * Why init will not use a resource, as the user reads it. `what` names the resource, `flag` the
 * option that picks another id, `field` where the state file records it (for a mismatch).
 */
export function refusal(
  d: Extract<UseDecision, { refuse: unknown }>,
  what: string,
  o: { flag: string; stateFile: string; field: string; me: string; adoptable?: boolean },
): Refusal {
  const adoptable = o.adoptable !== false;
  if (d.refuse === 'other-setup')
    return new Refusal(
      'OWNED_BY_ANOTHER_SETUP',
      `${what} belongs to ${setupName(d.owner)}`,
      d.refuse,
      d.owner,
      o.flag,
      adoptable,
    );
  if (d.refuse === 'mismatch') {
    return new Refusal(
      'STATE_MISMATCH',
      `the state file ${o.stateFile} records ${what} (${o.field}) as created by setup ${o.me}, but it carries ` +
        'no iap-auth0 marker of that setup',
      d.refuse,
      undefined,
      o.flag,
      adoptable,
    );
  }
  return new Refusal(
    'NOT_CREATED_BY_IAP_AUTH0',
    `${what} exists but was not created by iap-auth0`,
    d.refuse,
    undefined,
    o.flag,
    adoptable,
  );
}
