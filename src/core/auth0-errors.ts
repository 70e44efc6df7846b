// Auth0 errors as the user should read them. Management API errors: a 403 names the missing scope,
// a 401 the credentials to check; the SDK's own message (class name, status, raw body) is never
// shown. Token endpoint errors (the credential check before anything changes): each cause Auth0
// distinguishes gets its own message naming the variable and the dashboard path of the fix. No
// message ever carries a secret, a token or a request body.
import { CodedError } from './coded-error.js';
import { UserError, EXIT } from '../lib/exit-codes.js';
import { DASHBOARD_GRANT, DASHBOARD_SETTINGS } from './auth0-values.js';

// Recognised by shape (statusCode + body), so this module does not load the ~300 ms SDK.
type Auth0Failure = { statusCode?: number; body?: { message?: string; errorCode?: string } };
const isAuth0Failure = (e: unknown): e is Auth0Failure & Error =>
  e instanceof Error &&
  (e.constructor?.name === 'ManagementError' || Object.getPrototypeOf(e.constructor ?? {})?.name === 'ManagementError');

export function describeAuth0Error(e: unknown): Error {
  if (!isAuth0Failure(e)) return e as Error;
  const body = e.body;
  if (e.statusCode === 401)
    return new CodedError(
      'AUTH0_UNAUTHORIZED',
      'Auth0 rejected the machine-to-machine credentials',
      'check AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET (Applications > your M2M app > Settings)',
    );
  if (e.statusCode === 403) {
    const scopes = /expected (?:any|all) of: (.+)$/.exec(body?.message ?? '')?.[1];
    return new CodedError(
      'AUTH0_MISSING_SCOPE',
      `the Auth0 M2M app lacks a Management API scope${scopes ? `: ${scopes}` : ''}`,
      'add it under Applications > APIs > Auth0 Management API > your M2M app, then re-run',
    );
  }
  if (e.statusCode === 429)
    return new CodedError(
      'AUTH0_RATE_LIMITED',
      'Auth0 rate limit reached',
      'wait a minute and re-run; iap-auth0 resumes where it stopped',
    );
  return new CodedError(
    'AUTH0_API_ERROR',
    'Auth0 Management API answered ' +
      `${e.statusCode ?? 'with a network error'}${body?.message ? `: ${body.message}` : ''}`,
  );
}

// --- the credential check (POST /oauth/token, client credentials) -------------------------------

/** The scopes every command may need, in the order the README lists them. */
export const ALL_SCOPES =
  'read:clients create:clients update:clients delete:clients read:client_keys read:connections read:custom_domains';

/** A failed token request: Auth0's OAuth error body, the HTTP status. */
export interface TokenFailure {
  status: number;
  error?: string;
  description?: string;
}

/**
 * The token endpoint's refusal, as a usage error (exit 2). Causes, from Auth0's answers:
 *  - 401 access_denied "Unauthorized": an unknown client id or a wrong secret (Auth0 does not
 *    say which);
 *  - 403 unauthorized_client "Grant type 'client_credentials' not allowed for the client.": not an
 *    M2M app (or its Client Credentials grant is off);
 *  - 403 access_denied 'Client is not authorized to access "https://…/api/v2/"': the app has no
 *    grant on the Management API;
 *  - 403 access_denied "Service not enabled within domain: https://D/api/v2/": D runs an Auth0
 *    tenant whose Management API is not https://D/api/v2/, i.e. D is a custom domain (the caller
 *    handles that one, it knows more).
 */
export function tokenRefusal(
  f: TokenFailure,
  a: { domain: string; clientId: string; clientSecret: string },
): UserError {
  const said = `${f.status}${f.error ? ` ${f.error}` : ''}${f.description ? `: ${f.description.slice(0, 200)}` : ''}`;
  const at = `https://${a.domain}/oauth/token`;
  if (
    f.status === 401 ||
    f.error === 'invalid_client' ||
    (f.error === 'access_denied' && /^unauthorized$/i.test(f.description ?? ''))
  ) {
    // Auth0's client ids are shorter than its secrets (32 and 64 characters): the other way round, they were swapped.
    const swapped =
      a.clientId.length > a.clientSecret.length
        ? ' AUTH0_CLIENT_ID is longer than AUTH0_CLIENT_SECRET: the two may be swapped.'
        : '';
    return new UserError(
      `Auth0 rejected AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET at ${at} (${said}): the client id is not an ` +
        `application of the tenant ${a.domain}, or AUTH0_CLIENT_SECRET is not its secret (Auth0 does not say ` +
        `which).${swapped}`,
      EXIT.USAGE,
      `copy both again from ${DASHBOARD_SETTINGS} (Client ID, Client Secret) of the tenant ${a.domain}; if ` +
        'the secret was rotated, use the new one',
    );
  }
  if (f.error === 'unauthorized_client') {
    return new UserError(
      `the Auth0 application AUTH0_CLIENT_ID names may not use the client credentials grant (${said}): it is ` +
        'not a Machine to Machine application, or its Client Credentials grant is off',
      EXIT.USAGE,
      'use a Machine to Machine application (Auth0 dashboard > Applications > Applications > Create ' +
        'Application > Machine to Machine Applications, authorized for the Auth0 Management API), or tick ' +
        'Client Credentials under its Settings > Advanced Settings > Grant Types',
    );
  }
  if (f.error === 'access_denied' && /not authorized to access/i.test(f.description ?? '')) {
    return new UserError(
      `the Auth0 application AUTH0_CLIENT_ID names is not authorized for the Auth0 Management API (${said})`,
      EXIT.USAGE,
      `authorize it: ${DASHBOARD_GRANT}; tick ${ALL_SCOPES}`,
    );
  }
  if (f.status === 404) {
    return new UserError(
      `${at} answered 404: AUTH0_DOMAIN ${a.domain} does not look like an Auth0 tenant`,
      EXIT.USAGE,
      "set AUTH0_DOMAIN (or --auth0-domain) to your tenant's domain, e.g. dev-abc123.us.auth0.com (Auth0 " +
        "dashboard > Settings, or the host of the Domain field in your app's Settings)",
    );
  }
  if (f.status === 429 || f.status >= 500) {
    return new UserError(
      `Auth0's token endpoint ${at} answered ${said} several times`,
      EXIT.FAILURE,
      'Auth0 is busy or down; wait a minute and re-run (status: https://status.auth0.com)',
    );
  }
  return new UserError(
    `Auth0 refused the machine-to-machine token at ${at} (${said})`,
    EXIT.USAGE,
    `check AUTH0_DOMAIN, AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET against ${DASHBOARD_SETTINGS}`,
  );
}

/**
 * "Service not enabled within domain: https://D/api/v2/" for our own audience: D is not the tenant's canonical domain.
 */
export function isCustomDomainRefusal(f: TokenFailure, domain: string): boolean {
  return (
    f.status === 403 &&
    f.error === 'access_denied' &&
    (f.description ?? '').includes(`Service not enabled within domain: https://${domain}/api/v2/`)
  );
}
