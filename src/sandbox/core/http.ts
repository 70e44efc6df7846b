// Minimal HTTP plumbing for the emulators: a regex router, body parsing, listeners on loopback
// with a free port, and the request pipeline every Google API shares (latency, faults, bearer
// token, request log, error envelope).
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { GoogleError, errorInfo } from './errors.js';
import type { ApiName } from './faults.js';
import type { World } from '../world.js';

export interface ApiRequest {
  method: string;
  /** Percent-decoded path, e.g. /v1/projects/p/serviceAccounts/a@p.iam.gserviceaccount.com */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: any;
  /** Named groups of the matched route regex. */
  params: Record<string, string>;
  /** The principal behind the bearer token (Google APIs only). */
  principal?: { principal: string; deniedPermissions: Set<string> };
}

export interface ApiResult {
  status?: number;
  json?: unknown;
  html?: string;
  text?: string;
  headers?: Record<string, string | string[]>;
}

export type Handler = (req: ApiRequest) => Promise<ApiResult> | ApiResult;

export class Router {
  private readonly routes: { method: string; re: RegExp; handler: Handler }[] = [];
  add(method: string, re: RegExp, handler: Handler): this {
    this.routes.push({ method, re, handler });
    return this;
  }
  get(re: RegExp, h: Handler) {
    return this.add('GET', re, h);
  }
  post(re: RegExp, h: Handler) {
    return this.add('POST', re, h);
  }
  patch(re: RegExp, h: Handler) {
    return this.add('PATCH', re, h);
  }
  delete(re: RegExp, h: Handler) {
    return this.add('DELETE', re, h);
  }

  /** Finds the handler for a request; undefined when no route matches the path at all. */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | 'method' | undefined {
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.re.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method === method) return { handler: r.handler, params: { ...(m.groups ?? {}) } };
    }
    return pathMatched ? 'method' : undefined;
  }
}

/** Reads a request body up to `limit` bytes; past it, throws `tooLarge()` (each API's own error shape). */
export async function readBody(
  req: http.IncomingMessage,
  limit = 1 << 20,
  tooLarge: () => Error = () => new GoogleError('INVALID_ARGUMENT', 'Request payload size exceeds the limit.'),
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw tooLarge();
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function parseBody(raw: string, contentType: string | undefined): any {
  if (!raw) return {};
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  try {
    return JSON.parse(raw);
  } catch {
    throw new GoogleError(
      'INVALID_ARGUMENT',
      `Invalid JSON payload received. Unexpected token.\n${raw.slice(0, 40)}\n^`,
    );
  }
}

export function send(res: http.ServerResponse, r: ApiResult): void {
  const headers: Record<string, string | string[]> = { ...(r.headers ?? {}) };
  let payload = '';
  if (r.json !== undefined) {
    payload = JSON.stringify(r.json);
    headers['content-type'] ??= 'application/json; charset=UTF-8';
  } else if (r.html !== undefined) {
    payload = r.html;
    headers['content-type'] ??= 'text/html; charset=UTF-8';
  } else if (r.text !== undefined) {
    payload = r.text;
    headers['content-type'] ??= 'text/plain; charset=UTF-8';
  }
  res.writeHead(r.status ?? 200, headers);
  res.end(payload);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Listener {
  server: http.Server;
  port: number;
  origin: string;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 with a free port, over TLS when a key and certificate are given. */
export async function listen(handler: http.RequestListener, tls?: { key: string; cert: string }): Promise<Listener> {
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  return {
    server,
    port,
    origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** Reads that travel as POST (IAM getIamPolicy etc.) are not mutations. */
export function isMutating(method: string, path: string): boolean {
  if (method === 'GET' || method === 'HEAD') return false;
  return !/:(getIamPolicy|testIamPermissions|getAncestry|batchGet|wait)$/.test(path);
}

/** What Google answers when the per-minute quota is spent (the 429 fault). */
function quotaExceeded(api: ApiName): GoogleError {
  return new GoogleError(
    'RESOURCE_EXHAUSTED',
    `Quota exceeded for quota metric 'Requests' and limit 'Requests per minute' of service ` +
      `'${api}.googleapis.com'.`,
    [errorInfo('RATE_LIMIT_EXCEEDED', 'googleapis.com', { service: `${api}.googleapis.com` })],
    { 'retry-after': '1' },
  );
}

/** What Google answers without a usable bearer token: none sent, or one it does not know. */
function unauthenticated(api: ApiName, token: string | undefined): GoogleError {
  return new GoogleError(
    'UNAUTHENTICATED',
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or ' +
      'other valid authentication credential. See ' +
      'https://developers.google.com/identity/sign-in/web/devconsole-project.',
    [
      errorInfo(token ? 'ACCESS_TOKEN_TYPE_UNSUPPORTED' : 'CREDENTIALS_MISSING', 'googleapis.com', {
        service: `${api}.googleapis.com`,
      }),
    ],
    { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' },
  );
}

/**
 * Serves one Google API. Order as Google's front end: faults and auth come before routing, so an
 * unauthenticated request to an unknown path still gets 401.
 */
export function googleApiHandler(world: World, api: ApiName, router: Router): http.RequestListener {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      path = url.pathname;
    }
    const method = req.method ?? 'GET';
    const finish = (r: ApiResult) => {
      world.record({ api, method, path, status: r.status ?? 200, mutating: isMutating(method, path) });
      send(res, r);
    };
    const fail = (e: GoogleError) => finish({ status: e.httpStatus, json: e.toJSON(), headers: e.headers });
    try {
      const raw = await readBody(req);
      if (world.profile.latencyMs.google) await sleep(world.profile.latencyMs.google);
      const fault = world.faults.draw(api);
      if (fault === 429) return fail(quotaExceeded(api));
      if (fault === 503) return fail(new GoogleError('UNAVAILABLE', 'The service is currently unavailable.'));
      if (fault === 'hang') {
        world.record({ api, method, path, status: 0, mutating: false, fault });
        return; // never answered
      }
      // A reset before the request was handled: nothing was done, the caller sees ECONNRESET.
      if (fault === 'reset' && !(isMutating(method, path) && world.faults.coin())) {
        world.record({ api, method, path, status: 0, mutating: false, fault });
        return void req.socket.destroy();
      }
      const auth = req.headers.authorization ?? '';
      const token = /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim();
      const principal = token ? world.googleTokens.get(token) : undefined;
      if (!principal) return fail(unauthenticated(api, token));
      const m = router.match(method, path);
      if (!m) return fail(new GoogleError('NOT_FOUND', `The requested URL ${path} was not found on this server.`));
      if (m === 'method')
        return fail(new GoogleError('INVALID_ARGUMENT', `Method ${method} is not supported for ${path}.`));
      const body = parseBody(raw, req.headers['content-type']);
      const result = await m.handler({
        method,
        path,
        query: url.searchParams,
        headers: req.headers,
        body,
        params: m.params,
        principal,
      });
      // A reset after the change was made: the caller sees ECONNRESET and cannot know it was done.
      if (fault === 'reset') {
        world.record({
          api,
          method,
          path,
          status: result.status ?? 200,
          mutating: isMutating(method, path),
          fault,
          lost: true,
        });
        return void req.socket.destroy();
      }
      // A lost answer: the change was made, the caller sees 503 and cannot know it.
      if (fault === 'lost' && isMutating(method, path) && (result.status ?? 200) < 400) {
        // Logged with the status of the change that was made (kill-after counts it), marked lost.
        world.record({ api, method, path, status: result.status ?? 200, mutating: true, lost: true });
        return send(res, {
          status: 503,
          json: new GoogleError('UNAVAILABLE', 'The service is currently unavailable.').toJSON(),
        });
      }
      finish(result);
    } catch (err) {
      if (err instanceof GoogleError) return fail(err);
      fail(new GoogleError('INTERNAL', `Internal error encountered: ${(err as Error).message}`));
    }
  };
}

/** Fails with 403 when the caller's token was set up without `permission`. */
export function requirePermission(req: ApiRequest, permission: string, resource: string): void {
  if (req.principal?.deniedPermissions.has(permission)) {
    throw new GoogleError(
      'PERMISSION_DENIED',
      `Permission '${permission}' denied on resource '${resource}' (or it may not exist).`,
      [errorInfo('IAM_PERMISSION_DENIED', 'iam.googleapis.com', { permission, resource })],
    );
  }
}
