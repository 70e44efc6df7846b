// Auth0's error shapes. The Management API (a hapi service) answers
// {statusCode, error, message, errorCode}; the Authentication API (/oauth/token) answers the OAuth
// form {error, error_description}. Handlers throw these; server.ts renders them.
import { STATUS_CODES } from 'node:http';

/** A Management API error: {statusCode, error, message, errorCode?, attributes?}. */
export class ManagementError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly errorCode?: string,
    readonly headers: Record<string, string> = {},
    readonly attributes?: Record<string, unknown>,
  ) {
    super(message);
  }
  toJSON(): Record<string, unknown> {
    return {
      statusCode: this.statusCode,
      error: STATUS_CODES[this.statusCode] ?? 'Error',
      message: this.message,
      ...(this.errorCode ? { errorCode: this.errorCode } : {}),
      ...(this.attributes ? { attributes: this.attributes } : {}),
    };
  }
}

/** An Authentication API (OAuth) error: {error, error_description}. */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }
  toJSON() {
    return { error: this.error, error_description: this.message };
  }
}

// --- Management API ------------------------------------------------------------------------------

/** 400 for a body that fails Auth0's JSON-schema validation (the message text is Auth0's). */
export const payloadError = (detail: string, property?: string, description?: string) =>
  new ManagementError(
    400,
    'Payload validation error: ' +
      `'${detail}'${property ? ` on property ${property}${description ? ` (${description})` : ''}` : ''}.`,
    'invalid_body',
  );

/** 400 for a query string that fails validation. */
export const queryError = (detail: string, property: string, description?: string) =>
  new ManagementError(
    400,
    `Query validation error: '${detail}' on property ${property}${description ? ` (${description})` : ''}.`,
    'invalid_query_string',
  );

export const insufficientScope = (anyOf: string[]) =>
  new ManagementError(403, `Insufficient scope, expected any of: ${anyOf.join(',')}`, 'insufficient_scope');

export const clientNotFound = () => new ManagementError(404, 'The client does not exist', 'inexistent_client');

// Assumption: Auth0 answers a missing bearer with "Missing authentication" and a bad one with
// "Invalid token" plus attributes.error, without an errorCode (as observed in community reports).
export const missingAuthentication = () => new ManagementError(401, 'Missing authentication');
export const invalidToken = (why = 'Invalid token') => new ManagementError(401, why, undefined, {}, { error: why });

export const routeNotFound = () => new ManagementError(404, 'Not Found');
export const invalidJson = () => new ManagementError(400, 'Invalid request payload JSON format');

/**
 * Auth0 rate limiting: 429 with the x-ratelimit-* headers (reset in epoch seconds); the SDK's
 * retry reads x-ratelimit-reset.
 */
export function rateLimitHeaders(remaining: number, resetEpochSeconds: number): Record<string, string> {
  // Assumption: a limit of 50 requests per window, as a paid tenant's Management API reports.
  return {
    'x-ratelimit-limit': '50',
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-reset': String(resetEpochSeconds),
  };
}
export const tooManyRequests = () =>
  new ManagementError(
    429,
    'Global limit has been reached',
    'too_many_requests',
    rateLimitHeaders(0, Math.floor(Date.now() / 1000) + 1),
  );
// Assumption: Auth0's edge answers an overloaded backend with a hapi-style 503 body.
export const serviceUnavailable = () =>
  new ManagementError(503, 'The service is temporarily unavailable, please try again later', 'service_unavailable');
