// Middleware for Node servers: plain http, Express and Connect take (req, res, next); Fastify takes
// the hook below. It verifies x-goog-iap-jwt-assertion, attaches the identity as
// `req.iapIdentity`, and answers 401 JSON otherwise. The unsigned x-goog-authenticated-user-*
// headers are never read: anyone can send them to a service that is reachable around IAP.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifyIapAssertion, type IapIdentity, type VerifyOptions } from './verify.js';
import { IapAssertionError } from './errors.js';

export const ASSERTION_HEADER = 'x-goog-iap-jwt-assertion';

export type RequestWithIdentity = IncomingMessage & { iapIdentity?: IapIdentity };

/** Verifies the request's assertion; the identity, or the error saying why not. */
export async function identify(req: Pick<IncomingMessage, 'headers'>, opts: VerifyOptions = {}): Promise<IapIdentity> {
  return verifyIapAssertion(req.headers[ASSERTION_HEADER], opts);
}

function unauthorized(res: ServerResponse, e: unknown): void {
  const err =
    e instanceof IapAssertionError ? e : new IapAssertionError('malformed', String((e as Error)?.message ?? e));
  // A server-side mistake (no audience) is the operator's, not the caller's: 500.
  const status =
    err.code === 'misconfigured' || err.code === 'keys_unavailable' ? (err.code === 'misconfigured' ? 500 : 503) : 401;
  const body = JSON.stringify({
    error: status === 401 ? 'unauthorized' : 'iap_verification_unavailable',
    code: err.code,
    message: err.message,
  });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * (req, res, next) middleware. With Express: app.use(iapMiddleware({ audience })). With plain
 * http: createServer((req, res) => guard(req, res, () => handler(req, res))).
 */
export function iapMiddleware(opts: VerifyOptions = {}) {
  return async (req: RequestWithIdentity, res: ServerResponse, next?: (err?: unknown) => void): Promise<void> => {
    let identity: IapIdentity;
    try {
      identity = await identify(req, opts);
    } catch (e) {
      unauthorized(res, e);
      return;
    }
    req.iapIdentity = identity;
    next?.();
  };
}

/** Fastify: fastify.addHook('onRequest', iapFastifyHook({ audience })); then request.iapIdentity. */
export function iapFastifyHook(opts: VerifyOptions = {}) {
  return async <R extends { code(n: number): { send(body: unknown): R } }>(
    request: { headers: IncomingMessage['headers']; iapIdentity?: IapIdentity },
    reply: R,
  ): Promise<R | undefined> => {
    try {
      request.iapIdentity = await identify(request, opts);
      return undefined;
    } catch (e) {
      const err = e instanceof IapAssertionError ? e : new IapAssertionError('malformed', String(e));
      const status = err.code === 'misconfigured' ? 500 : err.code === 'keys_unavailable' ? 503 : 401;
      // Returning the reply tells Fastify the request is answered; the handler does not run.
      return reply.code(status).send({
        error: status === 401 ? 'unauthorized' : 'iap_verification_unavailable',
        code: err.code,
        message: err.message,
      });
    }
  };
}
