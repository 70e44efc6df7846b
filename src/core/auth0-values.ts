// The Auth0 machine-to-machine credentials judged on this machine, before any request: set, and
// free of invisible characters. A value with a trailing newline, a carriage return, a space, a
// zero-width character or kept quotes is refused with its exact cause (named, the value never
// printed), not trimmed: the same value fails in every other tool, and a silent trim would hide
// which copy of the secret is wrong. Kept small: every command loads it.
import { UserError, EXIT } from '../lib/exit-codes.js';
import { invisibleProblem } from '../lib/invisible.js';

/** Where the M2M app's settings and its Management API grant live in the dashboard. */
export const DASHBOARD_SETTINGS =
  'Auth0 dashboard > Applications > Applications > your Machine to Machine app > Settings';
export const DASHBOARD_GRANT =
  'Auth0 dashboard > Applications > APIs > Auth0 Management API > Machine To Machine Applications > your app ' +
  '(switched on; open it with the arrow to tick scopes) > Update';

/** Each credential that is set holds no invisible character (each named, the value never printed). */
export function checkAuth0Values(env: NodeJS.ProcessEnv): void {
  for (const name of ['AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET'] as const) {
    const value = env[name];
    if (value === undefined) continue; // "must be set" is checkCredentials' message
    const problem = invisibleProblem(value);
    if (problem) {
      const origin = /carriage return/.test(problem)
        ? 'a .env file saved with Windows line endings (CRLF) leaves \\r at the end of each value: save it with ' +
          'LF line endings'
        : /newline/.test(problem)
          ? "a value written with echo, a heredoc or an editor ends with \\n: write it with printf '%s' or " +
            'strip the final newline'
          : /quotes/.test(problem)
            ? 'docker --env-file and some .env loaders keep quotes: write the value without them'
            : /U\+/.test(problem)
              ? 'a copy from a web page or document can carry characters nobody sees: copy the value again from ' +
                'the dashboard'
              : /space|tab/.test(problem)
                ? 'a copy from the dashboard or a chat picked up surrounding blanks: copy the value alone'
                : 'a copy from a web page or document can carry characters nobody sees: type or copy the value again';
      throw new UserError(
        `${name} ${problem}; Auth0 compares it byte for byte, so it would be refused`,
        EXIT.USAGE,
        `${origin} (${DASHBOARD_SETTINGS} shows it with a copy button). iap-auth0 does not trim credentials: ` +
          'other tools would not either',
      );
    }
  }
}
