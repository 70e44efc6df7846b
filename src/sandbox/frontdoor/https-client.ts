// The sign-in origin's and the built-in app's outbound HTTPS. `iap-auth0 sandbox` runs without
// NODE_EXTRA_CA_CERTS (Node reads it only at start-up), so global fetch would not trust the
// sandbox's own CA; node:https with an explicit `ca` does. The public roots stay trusted too, so a
// provider pointed at a real issuer still works.
import https from 'node:https';
import http from 'node:http';
import tls from 'node:tls';

export interface HttpsResponse { status: number; headers: http.IncomingHttpHeaders; text: string }

export interface HttpsClient {
  request(url: string, opts?: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number }): Promise<HttpsResponse>;
  /** GET and parse JSON; throws with the status when the answer is not a 2xx JSON document. */
  getJson(url: string, headers?: Record<string, string>): Promise<any>;
}

export function httpsClient(sandboxCa: string): HttpsClient {
  const ca = [...tls.rootCertificates, sandboxCa];
  const agent = new https.Agent({ ca, keepAlive: false });
  const request: HttpsClient['request'] = (url, opts = {}) => new Promise((resolve, reject) => {
    const u = new URL(url);
    // Issuers must be https (gcp-api.md 7.1); plain http is refused like a TLS failure would be.
    if (u.protocol !== 'https:') return reject(new Error(`refusing non-https URL ${u.origin}`));
    const req = https.request(u, {
      method: opts.method ?? 'GET', agent,
      headers: { accept: 'application/json', ...(opts.body !== undefined ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}), ...opts.headers },
      timeout: opts.timeoutMs ?? 10_000,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout talking to ${u.origin}`)));
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
  return {
    request,
    async getJson(url, headers) {
      const r = await request(url, { headers });
      if (r.status < 200 || r.status >= 300) throw new Error(`GET ${url} answered ${r.status}`);
      try { return JSON.parse(r.text); } catch { throw new Error(`GET ${url} did not answer JSON`); }
    },
  };
}
