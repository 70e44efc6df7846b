// Auth0 Management API errors as the user should read them: a 403 names the missing scope, a 401
// the credentials to check. The SDK's own message (class name, status, raw body) is never shown.
import { CodedError } from './coded-error.js';

// Recognised by shape (statusCode + body), so this module does not load the ~300 ms SDK.
type Auth0Failure = { statusCode?: number; body?: { message?: string; errorCode?: string } };
const isAuth0Failure = (e: unknown): e is Auth0Failure & Error =>
  e instanceof Error && (e.constructor?.name === 'ManagementError' || Object.getPrototypeOf(e.constructor ?? {})?.name === 'ManagementError');

export function describeAuth0Error(e: unknown): Error {
  if (!isAuth0Failure(e)) return e as Error;
  const body = e.body;
  if (e.statusCode === 401) return new CodedError('AUTH0_UNAUTHORIZED', 'Auth0 rejected the machine-to-machine credentials', 'check AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET (Applications > your M2M app > Settings)');
  if (e.statusCode === 403) {
    const scopes = /expected (?:any|all) of: (.+)$/.exec(body?.message ?? '')?.[1];
    return new CodedError('AUTH0_MISSING_SCOPE', `the Auth0 M2M app lacks a Management API scope${scopes ? `: ${scopes}` : ''}`, 'add it under Applications > APIs > Auth0 Management API > your M2M app, then re-run');
  }
  if (e.statusCode === 429) return new CodedError('AUTH0_RATE_LIMITED', 'Auth0 rate limit reached', 'wait a minute and re-run; iap-auth0 resumes where it stopped');
  return new CodedError('AUTH0_API_ERROR', `Auth0 Management API answered ${e.statusCode ?? 'with a network error'}${body?.message ? `: ${body.message}` : ''}`);
}
