// An error with a stable code (for --json and scripts) and a hint (what to do). Messages never
// carry secrets or request bodies.
export class CodedError extends Error {
  constructor(readonly code: string, message: string, readonly hint?: string) { super(message); }
}

/** A resource with iap-auth0's id that iap-auth0 did not create. */
export const notOurs = (what: string, flag: string) =>
  new CodedError('NOT_CREATED_BY_IAP_AUTH0', `${what} exists but was not created by iap-auth0; pass --adopt to take it over, or ${flag} with another id`,
    `--adopt keeps everything others set on it and only adds what iap-auth0 needs`);
