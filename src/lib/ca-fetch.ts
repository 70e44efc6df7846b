// The one HTTPS client that trusts a CA learned after start-up. Node reads NODE_EXTRA_CA_CERTS only
// when it starts, so global fetch in a process that made (or was handed) a sandbox CA later does
// not trust it: the demo's in-process sandbox, and `iap-auth0 sandbox`'s own sign-in origin and
// built-in app talking to its Auth0 tenant. node:https with an explicit `ca` does; the public roots
// stay trusted too, so a provider pointed at a real issuer still works. Redirects are never followed
// (callers follow them hop by hop). A low-level library: the sandbox may use it (it holds no fact
// the sandbox checks), and it imports nothing of the product.
import https from 'node:https';
import http from 'node:http';
import tls from 'node:tls';

/** The fetch shape the browser-less client takes (redirects followed by hand, hop by hop). */
export type FetchLike = (
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string; redirect: 'manual'; signal?: AbortSignal },
) => Promise<Response>;

export interface CaFetchOptions {
  /** Per request, until the answer has fully arrived (default 15 s). */
  timeoutMs?: number;
  /** Refuse plain http, as a failure to connect (the sandbox's OIDC issuers must be https). */
  httpsOnly?: boolean;
}

/** A fetch (standard Response) trusting `extraCa` besides the public roots. */
export function caFetch(extraCa: string, opts: CaFetchOptions = {}): FetchLike {
  const agent = new https.Agent({ ca: [...tls.rootCertificates, extraCa], keepAlive: false });
  return (url, init) =>
    new Promise((resolve, reject) => {
      if (opts.httpsOnly && url.protocol !== 'https:') return reject(new Error(`refusing non-https URL ${url.origin}`));
      const mod = url.protocol === 'https:' ? https : http;
      const headers = {
        ...init.headers,
        ...(init.body !== undefined ? { 'content-length': String(Buffer.byteLength(init.body)) } : {}),
      };
      const req = mod.request(
        url,
        {
          method: init.method,
          headers,
          agent: url.protocol === 'https:' ? agent : undefined,
          signal: init.signal,
          timeout: opts.timeoutMs ?? 15_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const h = new Headers();
            for (const [k, v] of Object.entries(res.headers))
              for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) h.append(k, one);
            const status = res.statusCode ?? 502;
            resolve(
              new Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), { status, headers: h }),
            );
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timeout talking to ${url.origin}`)));
      req.on('error', reject);
      if (init.body !== undefined) req.write(init.body);
      req.end();
    });
}

export interface CaResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** The same client for server-side calls that want the body as text and JSON documents. */
export interface CaClient {
  request(
    url: string,
    opts?: { method?: string; headers?: Record<string, string>; body?: string },
  ): Promise<CaResponse>;
  /** GET and parse JSON; throws with the status when the answer is not a 2xx JSON document. */
  // biome-ignore lint/suspicious/noExplicitAny: discovery, JWKS or userinfo; the sandbox reads them field by field
  getJson(url: string, headers?: Record<string, string>): Promise<any>;
}

export function caClient(extraCa: string, opts: CaFetchOptions = {}): CaClient {
  const f = caFetch(extraCa, opts);
  const request: CaClient['request'] = async (url, o = {}) => {
    const res = await f(new URL(url), {
      method: o.method ?? 'GET',
      headers: { accept: 'application/json', ...o.headers },
      body: o.body,
      redirect: 'manual',
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
  return {
    request,
    async getJson(url, headers) {
      const r = await request(url, { headers });
      if (r.status < 200 || r.status >= 300) throw new Error(`GET ${url} answered ${r.status}`);
      try {
        return JSON.parse(r.text);
      } catch {
        throw new Error(`GET ${url} did not answer JSON`);
      }
    },
  };
}
