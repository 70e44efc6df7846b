// Exit codes, documented in the README. Stable: scripts depend on them. Here in lib/, not in cli/, because
// the core and inputs/ raise UserError too: every layer may import it, and it imports nothing.
export const EXIT = {
  OK: 0,
  /** Something unexpected (a bug, an API answering in a way we do not understand). */
  FAILURE: 1,
  /** Bad or missing input, refused before anything changed. */
  USAGE: 2,
  /** verify: something is not (yet) working. */
  VERIFY_FAILED: 3,
  /** Interrupted by Ctrl-C. */
  INTERRUPTED: 130,
} as const;

/** An error whose message is meant for the user as-is, with the exit code to leave with. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.USAGE,
    readonly hint?: string,
  ) {
    super(message);
  }
}
