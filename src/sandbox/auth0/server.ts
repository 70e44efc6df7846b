// The Auth0 tenant: one HTTPS listener on 127.0.0.1 serving, like a real tenant domain,
//   /api/v2/*                       Management API (management.ts)
//   POST /oauth/token               client_credentials (token.ts); other grants → oidc-provider
//   /u/login, /u/consent            Universal Login (login.ts, pages.ts)
//   everything else                 oidc-provider (oidc.ts): /authorize, /userinfo, JWKS, discovery…
// domain = 127.0.0.1:PORT, issuer = https://127.0.0.1:PORT/ (trailing slash, as Auth0).
// Latency and fault injection apply to the Management API and the client-credentials token only
// (the browser endpoints are not rate-limited here). Every request is recorded as api 'auth0'.
//
// With a custom domain (startSandbox({ auth0CustomDomain: true })), a second listener stands for
// it (docs/SANDBOX.md "Auth0 custom domain"): the same tenant (apps, users, connections, signing
// key) behind another origin whose discovery, /authorize, Universal Login and token endpoint say
// iss = https://127.0.0.1:PORT2/. Its own sessions, as Auth0's: a session on one domain is not one
// on the other. The Management API answers there too, as Auth0's does, but only for the tenant's
// audience https://<tenant domain>/api/v2/ and with tokens minted there; the tenant lists it as a
// ready custom domain (GET /api/v2/custom-domains). Its requests are recorded with customDomain: true.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Auth0CustomDomain, World } from '../world.js';
import type { TlsMaterial } from '../core/tls.js';
import type { FaultKind } from '../core/faults.js';
import { listen, readBody, sleep } from '../core/http.js';
import { createTenantKey } from './keys.js';
import { seedTenant, TENANT_NAME } from './clients.js';
import { handleManagement } from './management.js';
import { clientCredentialsGrant, type Tenant } from './token.js';
import { createOidcProvider, oidcRequest } from './oidc.js';
import { handleUniversalLogin } from './login.js';
import type { Provider } from './oidc-provider-quiet.js';
import { ManagementError, OAuthError, rateLimitHeaders, serviceUnavailable, tooManyRequests } from './errors.js';

export interface Auth0Server {
  origin: string;
  /** 127.0.0.1:PORT — what AUTH0_DOMAIN holds. */
  domain: string;
  /** https://127.0.0.1:PORT/ */
  issuer: string;
  /** The tenant's custom domain, when started with one. */
  customDomain?: { origin: string; domain: string; issuer: string };
  close(): Promise<void>;
}

const BODY_LIMIT = 1 << 20;

const readRaw = (req: http.IncomingMessage) =>
  readBody(
    req,
    BODY_LIMIT,
    () => new ManagementError(413, `Payload content length greater than maximum allowed: ${BODY_LIMIT}`),
  );

function sendJson(res: http.ServerResponse, status: number, json: unknown, headers: Record<string, string> = {}): void {
  const body = json === undefined ? '' : JSON.stringify(json);
  res.writeHead(status, {
    ...(body ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

/**
 * oidc-provider reads the request body itself; the token route has already read it (to pick out
 * client_credentials), so it gets a fresh request object carrying the same headers and socket
 * with the body replayed, always form-encoded (Auth0 also takes JSON bodies; oidc-provider does not).
 */
function replayRequest(req: http.IncomingMessage, form: string): http.IncomingMessage {
  const r = new http.IncomingMessage(req.socket);
  r.method = req.method;
  r.url = req.url;
  r.httpVersionMajor = req.httpVersionMajor;
  r.httpVersionMinor = req.httpVersionMinor;
  r.httpVersion = req.httpVersion;
  r.headers = {
    ...req.headers,
    'content-type': 'application/x-www-form-urlencoded',
    'content-length': String(Buffer.byteLength(form)),
  };
  delete r.headers['transfer-encoding'];
  r.push(form);
  r.push(null);
  r.complete = true;
  return r;
}

/** The token endpoint's parameters, from a form or JSON body. */
function tokenParams(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (!raw.trim()) return {};
  if (contentType?.includes('application/json')) {
    const v = JSON.parse(raw);
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new SyntaxError('not an object');
    return v;
  }
  return Object.fromEntries(new URLSearchParams(raw));
}

export async function startAuth0(
  world: World,
  tls: TlsMaterial,
  opts: { customDomain?: boolean } = {},
): Promise<Auth0Server> {
  // The port (and so the domain, issuer and certificate subject) is known only once listening.
  let dispatch: http.RequestListener = (_req, res) => {
    res.writeHead(503);
    res.end();
  };
  const listener = await listen((req, res) => dispatch(req, res), { key: tls.key, cert: tls.cert });
  const domain = `127.0.0.1:${listener.port}`;
  const issuer = `https://${domain}/`;
  const key = await createTenantKey(domain);
  const tenant: Tenant = {
    world,
    domain,
    issuer,
    managementAudience: `${issuer}api/v2/`,
    userinfoAudience: `${issuer}userinfo`,
    key,
  };
  seedTenant(world, key);
  dispatch = originHandler(tenant);
  if (!opts.customDomain) return { origin: listener.origin, domain, issuer, close: listener.close };

  let customDispatch: http.RequestListener = (_req, res) => {
    res.writeHead(503);
    res.end();
  };
  const custom = await listen((req, res) => customDispatch(req, res), { key: tls.key, cert: tls.cert }).catch(
    async (e) => {
      await listener.close();
      throw e;
    },
  );
  const customDomain = `127.0.0.1:${custom.port}`;
  const customIssuer = `https://${customDomain}/`;
  // The same tenant seen through its custom domain: the Management API's and /userinfo's audiences stay the tenant's.
  customDispatch = originHandler({ ...tenant, domain: customDomain, issuer: customIssuer, customDomain: true });
  world.auth0CustomDomains.push(sandboxCustomDomain(customDomain));
  return {
    origin: listener.origin,
    domain,
    issuer,
    customDomain: { origin: custom.origin, domain: customDomain, issuer: customIssuer },
    close: async () => {
      await Promise.all([listener.close(), custom.close()]);
    },
  };
}

/**
 * The tenant's custom domain as GET /api/v2/custom-domains lists it (the fields of Auth0's
 * reference example): ready, Auth0-managed certificate, CNAME-verified. Assumption: a tenant's only
 * custom domain reads primary: true and is_default: false (the canonical domain stays the default
 * for emails until someone sets another).
 */
function sandboxCustomDomain(domain: string): Auth0CustomDomain {
  const id = `cd_${randomBytes(8).toString('hex')}`;
  return {
    custom_domain_id: id,
    domain,
    primary: true,
    is_default: false,
    status: 'ready',
    type: 'auth0_managed_certs',
    origin_domain_name: `${TENANT_NAME}-${id.replace('_', '-')}.edge.tenants.auth0.com`,
    verification: {
      methods: [{ name: 'cname', record: `${TENANT_NAME}-${id.replace('_', '-')}.edge.tenants.auth0.com`, domain }],
      status: 'verified',
    },
    custom_client_ip_header: null,
    tls_policy: 'recommended',
  };
}

/** Everything one origin of the tenant serves; `t.issuer` is that origin's. */
function originHandler(tenant: Tenant): http.RequestListener {
  const { world, issuer } = tenant;
  const provider = createOidcProvider(tenant);
  const oidc = provider.callback();

  /** Responses whose change was made but whose answer was replaced by 503 (fault `lost`) or a reset. */
  const lostAnswers = new WeakSet<http.ServerResponse>();
  /** The network's faults: a reset connection, or a request never answered (recorded with status 0). */
  const networkFaults = new WeakMap<http.ServerResponse, 'reset' | 'hang'>();
  function networkFault(req: http.IncomingMessage, res: http.ServerResponse, fault: 'reset' | 'hang'): void {
    networkFaults.set(res, fault);
    // Recorded now: a hung or reset request never finishes by itself. (Emitting 'finish' instead
    // would make the server treat the response as sent and close the idle socket 5 s later.)
    recordOf.get(res)?.();
    if (fault === 'reset') req.socket.destroy();
  }
  const recordOf = new WeakMap<http.ServerResponse, () => void>();

  /** Latency and injected faults for the Management API and the M2M token (not the browser flow). */
  async function apiGate(): Promise<FaultKind | undefined> {
    if (world.profile.latencyMs.auth0) await sleep(world.profile.latencyMs.auth0);
    return world.faults.draw('auth0');
  }

  const gate: Gate = { lostAnswers, networkFault, apiGate };
  return async (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const method = req.method ?? 'GET';
    let path = url.pathname;
    try {
      path = decodeURIComponent(path);
    } catch {
      /* keep the raw path */
    }
    const isApi = path === '/api/v2' || path.startsWith('/api/v2/');
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      world.record({
        api: 'auth0',
        method,
        path,
        status: lostAnswers.has(res) ? 200 : networkFaults.has(res) ? 0 : res.statusCode,
        mutating: isApi && method !== 'GET' && method !== 'HEAD' && (!networkFaults.has(res) || lostAnswers.has(res)),
        ...(lostAnswers.has(res) ? { lost: true } : {}),
        ...(networkFaults.has(res) ? { fault: networkFaults.get(res) } : {}),
        ...(tenant.customDomain ? { customDomain: true } : {}),
      });
    };
    recordOf.set(res, record);
    res.once('finish', record);
    try {
      if (isApi) return await management(tenant, gate, req, res, url, path);
      if (path === '/oauth/token' && method === 'POST') return await token(tenant, gate, oidc, req, res);
      if (path === '/u/login' || path === '/u/consent') return await universalLogin(tenant, provider, req, res, url);
      await oidcRequest.run({ secretPresented: false }, () => oidc(req, res));
    } catch {
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: 'Internal Server Error' });
      else res.end();
    }
  };
}

/** An origin's fault bookkeeping, shared by its Management API and token endpoint. */
interface Gate {
  /** Responses whose change was made but whose answer was replaced by 503 (fault `lost`) or a reset. */
  lostAnswers: WeakSet<http.ServerResponse>;
  networkFault(req: http.IncomingMessage, res: http.ServerResponse, fault: 'reset' | 'hang'): void;
  /** Latency and injected faults for the Management API and the M2M token (not the browser flow). */
  apiGate(): Promise<FaultKind | undefined>;
}

async function management(
  tenant: Tenant,
  gate: Gate,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  path: string,
): Promise<void> {
  const { world } = tenant;
  const { lostAnswers, networkFault, apiGate } = gate;
  try {
    const rawBody = await readRaw(req);
    const fault = await apiGate();
    if (fault === 429) throw tooManyRequests();
    if (fault === 503) throw serviceUnavailable();
    const changes = req.method !== 'GET';
    if (fault === 'hang' || (fault === 'reset' && !(changes && world.faults.coin())))
      return networkFault(req, res, fault);
    const r = await handleManagement(tenant, {
      method: req.method ?? 'GET',
      path,
      query: url.searchParams,
      headers: req.headers,
      rawBody,
    });
    if (fault === 'reset') {
      lostAnswers.add(res);
      return networkFault(req, res, fault); // the change was made, the answer never came
    }
    // A lost answer: the change was made, the caller sees 503.
    if (fault === 'lost' && req.method !== 'GET' && r.status < 400) {
      lostAnswers.add(res);
      throw serviceUnavailable();
    }
    sendJson(res, r.status, r.json, rateLimitHeaders(49, Math.floor(Date.now() / 1000) + 1));
  } catch (e) {
    if (e instanceof ManagementError) return sendJson(res, e.statusCode, e.toJSON(), e.headers);
    sendJson(res, 500, new ManagementError(500, 'Internal Server Error').toJSON());
  }
}

async function token(
  tenant: Tenant,
  gate: Gate,
  oidc: ReturnType<Provider['callback']>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const { world } = tenant;
  const { networkFault, apiGate } = gate;
  let params: Record<string, unknown>;
  try {
    params = tokenParams(await readRaw(req), req.headers['content-type']);
  } catch {
    return sendJson(res, 400, { error: 'invalid_request', error_description: 'Invalid request payload JSON format' });
  }
  if (params.grant_type === 'client_credentials') {
    try {
      const fault = await apiGate();
      if (fault === 429) {
        throw new OAuthError(
          429,
          'too_many_requests',
          'Global limit has been reached',
          rateLimitHeaders(0, Math.floor(Date.now() / 1000) + 1),
        );
      }
      if (fault === 503 || fault === 'lost')
        throw new OAuthError(
          503,
          'temporarily_unavailable',
          'The service is temporarily unavailable, please try again later',
        );
      if (fault === 'hang' || fault === 'reset') return networkFault(req, res, fault);
      return sendJson(res, 200, await clientCredentialsGrant(tenant, params, req.headers.authorization));
    } catch (e) {
      if (e instanceof OAuthError) return sendJson(res, e.status, e.toJSON(), e.headers);
      return sendJson(res, 500, { error: 'server_error', error_description: 'Internal Server Error' });
    }
  }
  // authorization_code, refresh_token…: oidc-provider, with the same latency as the other token calls.
  if (world.profile.latencyMs.auth0) await sleep(world.profile.latencyMs.auth0);
  const form = new URLSearchParams(
    Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  ).toString();
  const secretPresented = typeof params.client_secret === 'string' || /^Basic\s/i.test(req.headers.authorization ?? '');
  await oidcRequest.run({ secretPresented }, () => oidc(replayRequest(req, form), res));
}

async function universalLogin(
  tenant: Tenant,
  provider: Provider,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
): Promise<void> {
  const raw = req.method === 'POST' ? await readRaw(req) : '';
  const send = (status: number, html: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, {
      ...(html ? { 'content-type': 'text/html; charset=utf-8' } : {}),
      'cache-control': 'no-store',
      ...headers,
    });
    res.end(html);
  };
  await handleUniversalLogin(tenant, provider, req, res, url, new URLSearchParams(raw), send);
}
