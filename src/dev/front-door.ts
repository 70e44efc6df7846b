// The local front door of `iap-auth0 dev`: IAP's behaviour in front of the developer's servers.
//   /__iap-auth0/jwks           the local signing key's JWK Set (IAP_AUTH0_DEV_JWKS_URL)
//   /__iap-auth0/callback       Auth0's redirect back: code → session cookie → the page asked for
//   ?gcp-iap-mode=CLEAR_LOGIN_COOKIE   signs out, as on IAP
//   anything else, no session:  XHR / fetch → 401 (as IAP answers XHR); a page → Auth0 sign-in
//   signed in, not allowed:     IAP's "You don't have access" page (403)
//   WebSocket upgrades:         the same checks (401 without a session), then a tunnel
//   signed in and allowed:      proxied to the route's server with x-goog-iap-jwt-assertion
//                               (ES256, IAP's claims, the production audience) and the
//                               x-goog-authenticated-user-* headers; any sent by the client are dropped.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { pickRoute, type Route } from './routes.js';
import { parseCookies } from '../lib/cookies.js';
import { allowed, type DevIdentity } from './access.js';
import { authorizeUrl, redeem, type Auth0App } from './login.js';
import type { IapSigner } from '../lib/iap-signer.js';
import { iapAccessDenied, iapSignedOut, iapXhrUnauthorized } from '../sandbox/frontdoor/pages.js';

export const DEV_PATH = '/__iap-auth0';
const COOKIE = 'IAP_AUTH0_DEV_SESSION';
const HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'cookie',
]);

export interface FrontDoorOptions {
  origin: string;
  routes: Route[];
  app: Auth0App;
  signer: IapSigner;
  audience: string;
  pool: string;
  allow: string[];
  log: (line: string) => void;
}

interface Session {
  identity: DevIdentity;
  expiresAt: number;
}

export interface DevFrontDoor {
  request: http.RequestListener;
  /** WebSocket (and other Upgrade) requests: the same session and access checks, then a tunnel. */
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
}

const cookies = (req: http.IncomingMessage) => parseCookies(req.headers.cookie);
const send = (
  res: http.ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string | string[]> = {},
) => {
  res.writeHead(status, {
    'content-type': body.startsWith('<') ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
};

export function devFrontDoor(o: FrontDoorOptions): DevFrontDoor {
  const sessions = new Map<string, Session>();
  const pending = new Map<string, { nonce: string; returnTo: string; at: number }>();
  const redirectUri = `${o.origin}${DEV_PATH}/callback`;

  const request: http.RequestListener = async (req, res) => {
    const url = new URL(req.url ?? '/', o.origin);
    try {
      if (url.pathname === `${DEV_PATH}/jwks`) {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' });
        return res.end(JSON.stringify(o.signer.jwks()));
      }
      if (url.pathname === `${DEV_PATH}/callback`) {
        const p = pending.get(url.searchParams.get('state') ?? '');
        pending.delete(url.searchParams.get('state') ?? '');
        if (url.searchParams.get('error'))
          return send(
            res,
            400,
            `Auth0 refused the sign-in: ${url.searchParams.get('error')}: ` +
              `${url.searchParams.get('error_description') ?? ''}\n`,
          );
        if (!p) return send(res, 400, 'This sign-in has expired or was already used. Open the app again.\n');
        const identity = await redeem(o.app, url.searchParams.get('code') ?? '', redirectUri, p.nonce);
        const sid = randomBytes(24).toString('base64url');
        sessions.set(sid, { identity, expiresAt: Date.now() + 3_600_000 });
        o.log(`signed in: ${identity.email ?? identity.sub}`);
        return send(res, 302, '', {
          location: p.returnTo,
          'set-cookie': `${COOKIE}=${sid}; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600`,
        });
      }
      const sid = cookies(req)[COOKIE];
      if (url.searchParams.get('gcp-iap-mode') === 'CLEAR_LOGIN_COOKIE') {
        if (sid) sessions.delete(sid);
        const page = iapSignedOut();
        return send(res, 200, page.html!, { 'set-cookie': `${COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0` });
      }
      const session = sid ? sessions.get(sid) : undefined;
      if (!session || session.expiresAt < Date.now()) {
        // IAP answers XHR with 401; fetch() from a page is treated the same (it cannot follow a
        // cross-origin sign-in redirect either). Navigations go to sign-in.
        const mode = String(req.headers['sec-fetch-mode'] ?? '');
        const xhr =
          String(req.headers['x-requested-with'] ?? '').toLowerCase() === 'xmlhttprequest' ||
          (mode !== 'navigate' && !String(req.headers.accept ?? '').includes('text/html'));
        if (xhr) return send(res, 401, iapXhrUnauthorized().text!);
        const a = authorizeUrl(o.app, redirectUri);
        for (const [k, v] of pending) if (Date.now() - v.at > 3_600_000) pending.delete(k);
        url.searchParams.delete('login');
        pending.set(a.state, { nonce: a.nonce, returnTo: url.pathname + url.search, at: Date.now() });
        return send(res, 302, '', { location: a.url });
      }
      const id = session.identity;
      if (!allowed(o.allow, o.pool, id)) {
        const page = iapAccessDenied(id.email ?? id.sub, `${url.pathname}?gcp-iap-mode=CLEAR_LOGIN_COOKIE`);
        return send(res, 403, page.html!);
      }
      const route = pickRoute(o.routes, url.pathname);
      if (!route) return send(res, 404, `No --route matches ${url.pathname}.\n`);
      await forward(req, res, route, url, await assertionHeaders(o, id));
    } catch (e) {
      o.log(`error on ${req.method} ${url.pathname}: ${(e as Error).message}`);
      if (!res.headersSent) send(res, 502, `iap-auth0 dev: ${(e as Error).message}\n`);
      else res.destroy();
    }
  };

  const upgrade = upgradeThrough(o, sessions);
  return { request, upgrade };
}

/** WebSocket (and other Upgrade) requests: the same session and access checks, then a tunnel. */
function upgradeThrough(o: FrontDoorOptions, sessions: Map<string, Session>): DevFrontDoor['upgrade'] {
  return (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    const refuse = (status: number, text: string) => {
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: text/plain\r\nConnection: ` +
          `close\r\n\r\n${text}`,
      );
    };
    const url = new URL(req.url ?? '/', o.origin);
    const sid = cookies(req)[COOKIE];
    const session = sid ? sessions.get(sid) : undefined;
    // A WebSocket cannot follow a sign-in redirect: no session is 401, as IAP answers XHR.
    if (!session || session.expiresAt < Date.now()) {
      refuse(401, iapXhrUnauthorized().text!);
      return;
    }
    if (!allowed(o.allow, o.pool, session.identity)) {
      refuse(403, "You don't have access\n");
      return;
    }
    const route = pickRoute(o.routes, url.pathname);
    if (!route) {
      refuse(404, `No --route matches ${url.pathname}.\n`);
      return;
    }
    assertionHeaders(o, session.identity).then(
      (identity) => tunnel(req, socket, head, route, url, identity),
      (e) => refuse(502, String(e)),
    );
  };
}

/** Open WebSocket tunnels: an HTTP server's closeAllConnections() does not see upgraded sockets. */
const tunnels = new Set<Duplex>();
export function closeTunnels(): void {
  for (const t of tunnels) t.destroy();
}

/** Replays the upgrade request to the route's server with the identity headers, then pipes both ways. */
function tunnel(
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  route: Route,
  url: URL,
  identity: Record<string, string>,
): void {
  const port = Number(route.target.port || (route.target.protocol === 'https:' ? 443 : 80));
  const up =
    route.target.protocol === 'https:'
      ? tls.connect({ host: route.target.hostname, port, servername: route.target.hostname })
      : net.connect({ host: route.target.hostname, port });
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || k === 'host' || k.startsWith('x-goog-iap-') || k.startsWith('x-goog-authenticated-user-'))
      continue;
    headers[k] = v;
  }
  Object.assign(headers, identity, { host: route.target.host });
  const lines = [
    `${req.method} ${url.pathname}${url.search} HTTP/1.1`,
    ...Object.entries(headers).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}: ${x}`)),
    '',
    '',
  ];
  up.once(route.target.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
    up.write(lines.join('\r\n'));
    if (head.length) up.write(head);
    up.pipe(socket);
    socket.pipe(up);
  });
  const close = () => {
    up.destroy();
    socket.destroy();
  };
  up.on('error', () => socket.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n'));
  socket.on('error', close);
  socket.on('close', close);
  up.on('close', () => socket.destroy());
  tunnels.add(socket);
  socket.on('close', () => tunnels.delete(socket));
}

async function assertionHeaders(o: FrontDoorOptions, id: DevIdentity): Promise<Record<string, string>> {
  const principal = `principal://iam.googleapis.com/locations/global/workforcePools/${o.pool}/subject/${id.sub}`;
  // A stable, opaque subject like STS's, derived from pool and subject.
  const stsSub = 'AAF' + Buffer.from(`${o.pool}\n${id.sub}`).toString('base64url').slice(0, 40);
  const jwt = await o.signer.sign({
    aud: o.audience,
    email: id.email,
    sub: `sts.google.com:${stsSub}`,
    iamPrincipal: principal,
    poolName: `locations/global/workforcePools/${o.pool}`,
    iat: Math.floor(Date.now() / 1000),
  });
  return {
    'x-goog-iap-jwt-assertion': jwt,
    ...(id.email ? { 'x-goog-authenticated-user-email': `sts.google.com:${id.email}` } : {}),
    'x-goog-authenticated-user-id': `sts.google.com:${stsSub}`,
  };
}

/** Streams the request to the route's server and its answer back, path unchanged. */
function forward(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  route: Route,
  url: URL,
  identity: Record<string, string>,
): Promise<void> {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (HOP.has(k) || k.startsWith('x-goog-iap-') || k.startsWith('x-goog-authenticated-user-')) continue;
    headers[k] = v;
  }
  // The developer's own cookies pass on; the front door's session cookie does not.
  const kept = (req.headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim())
    .filter((c) => c && !c.startsWith(`${COOKIE}=`));
  if (kept.length) headers.cookie = kept.join('; ');
  Object.assign(headers, identity, {
    'x-forwarded-host': req.headers.host ?? '',
    'x-forwarded-proto': 'http',
    host: route.target.host,
  });
  const mod = route.target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const up = mod.request(
      {
        protocol: route.target.protocol,
        hostname: route.target.hostname,
        port: route.target.port,
        method: req.method,
        path: url.pathname + url.search,
        headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', resolve);
        answer.on('error', reject);
      },
    );
    up.on('error', (e) =>
      reject(
        new Error(
          `nothing answers at ${route.target.origin} for ${route.prefix} ` +
            `(${(e as NodeJS.ErrnoException).code ?? e.message}); start that server`,
        ),
      ),
    );
    req.pipe(up);
  });
}
