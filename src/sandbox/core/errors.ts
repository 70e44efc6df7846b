// Google's error envelope ({error:{code,message,status,details}}), shared by every emulated Google API.
// Handlers throw GoogleError; the router turns it into the exact JSON shape the real front ends send.

export type GoogleStatus =
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'OUT_OF_RANGE'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'ABORTED'
  | 'RESOURCE_EXHAUSTED'
  | 'INTERNAL'
  | 'UNAVAILABLE';

const HTTP_OF: Record<GoogleStatus, number> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  ABORTED: 409,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

// Numeric google.rpc.Code, used inside Operation.error.
export const RPC_CODE: Record<GoogleStatus, number> = {
  INVALID_ARGUMENT: 3,
  FAILED_PRECONDITION: 9,
  OUT_OF_RANGE: 11,
  UNAUTHENTICATED: 16,
  PERMISSION_DENIED: 7,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  ABORTED: 10,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
};

export class GoogleError extends Error {
  readonly httpStatus: number;
  constructor(
    readonly status: GoogleStatus,
    message: string,
    readonly details: unknown[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.httpStatus = HTTP_OF[status];
  }
  toJSON() {
    const error: Record<string, unknown> = { code: this.httpStatus, message: this.message, status: this.status };
    if (this.details.length) error.details = this.details;
    return { error };
  }
  /** The same error as it appears inside a finished long-running operation. */
  toOperationError() {
    return { code: RPC_CODE[this.status], message: this.message, details: this.details };
  }
}

export const errorInfo = (reason: string, domain: string, metadata: Record<string, string> = {}) => ({
  '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
  reason,
  domain,
  metadata,
});
export const resourceInfo = (resourceName: string, resourceType = '') => ({
  '@type': 'type.googleapis.com/google.rpc.ResourceInfo',
  resourceName,
  ...(resourceType ? { resourceType } : {}),
});
export const badRequest = (field: string, description: string) => ({
  '@type': 'type.googleapis.com/google.rpc.BadRequest',
  fieldViolations: [{ field, description }],
});

export const invalid = (message: string, field?: string) =>
  new GoogleError('INVALID_ARGUMENT', message, field ? [badRequest(field, message)] : []);
export const notFound = (message: string, resourceName?: string) =>
  new GoogleError('NOT_FOUND', message, resourceName ? [resourceInfo(resourceName)] : []);
export const alreadyExists = (message: string, resourceName?: string) =>
  new GoogleError('ALREADY_EXISTS', message, resourceName ? [resourceInfo(resourceName)] : []);
export const failedPrecondition = (message: string) => new GoogleError('FAILED_PRECONDITION', message);

/** The text every IAM-checked Google API uses when a caller lacks a permission (or the resource is hidden). */
export const permissionDenied = (permission: string, resource: string) =>
  new GoogleError(
    'PERMISSION_DENIED',
    `Permission '${permission}' denied on resource '${resource}' (or it may not exist).`,
    [errorInfo('IAM_PERMISSION_DENIED', 'iam.googleapis.com', { permission, resource })],
  );

export const staleEtag = () =>
  new GoogleError(
    'ABORTED',
    'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.',
  );
