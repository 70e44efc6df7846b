// What every command judges on this machine before its first request: the endpoint variables,
// the Auth0 M2M credentials, and state-file problems, all usage errors (exit 2) naming the fix.
import { StateError } from '../state/store.js';
import { apiRoots, EndpointError } from '../google/endpoints.js';
import { UserError, EXIT } from '../lib/exit-codes.js';
import { checkAuth0Values } from './auth0-values.js';

/** A state-file problem is the user's to fix: a usage error with the store's own hint. */
export const asUsageError = (e: unknown): unknown =>
  e instanceof StateError ? new UserError(e.message, EXIT.USAGE, e.hint) : e;

const RECORDED = {
  purpose: 'the credentials of the Auth0 machine-to-machine app iap-auth0 init used',
  hint: 'set them as for init (Auth0 dashboard > Applications > your M2M app > Settings)',
};

/** What init needs of the Auth0 credentials, and where to make them. */
export const INIT_CREDENTIALS = {
  purpose:
    'the credentials of an Auth0 machine-to-machine app allowed read/create/update/delete:clients (and ' +
    'read:client_keys) on the Management API',
  hint:
    'Auth0 dashboard > Applications > Create Application > Machine to Machine > authorize "Auth0 Management ' +
    'API" with those scopes',
};

/** The endpoint overrides are usable and the Auth0 M2M credentials are set. */
export function checkCredentials(env: NodeJS.ProcessEnv, why: { purpose: string; hint: string } = RECORDED): void {
  try {
    apiRoots(env);
  } catch (e) {
    if (e instanceof EndpointError) throw new UserError(e.message);
    throw e;
  }
  if (!env.AUTH0_CLIENT_ID?.trim() || !env.AUTH0_CLIENT_SECRET?.trim()) {
    // Unless a value holds only invisible characters: that is said exactly.
    if (env.AUTH0_CLIENT_ID || env.AUTH0_CLIENT_SECRET) checkAuth0Values(env);
    throw new UserError(`AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET must be set: ${why.purpose}`, EXIT.USAGE, why.hint);
  }
  // A trailing newline, a carriage return, a space or an invisible character: refused, never trimmed.
  checkAuth0Values(env);
}

/**
 * Google credentials before the first request: none at all (no token variable, no Application
 * Default Credentials) is every first-timer's state, and a usage error, not a failure.
 */
export async function checkGoogleCredentials(env: NodeJS.ProcessEnv): Promise<void> {
  const { missingGoogleCredentials } = await import('../google/auth.js');
  const why = await missingGoogleCredentials(env);
  if (why) {
    throw new UserError(
      'no Google credentials: CLOUDSDK_AUTH_ACCESS_TOKEN and GOOGLE_OAUTH_ACCESS_TOKEN are not set, and ' +
        `Application Default Credentials are not available (${why})`,
      EXIT.USAGE,
      'sign in with `gcloud auth application-default login`, or export CLOUDSDK_AUTH_ACCESS_TOKEN=$(gcloud ' +
        'auth print-access-token)',
    );
  }
}
