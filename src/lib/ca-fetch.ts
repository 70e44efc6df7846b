// A fetch for one process that must trust a CA it learned after start-up (the demo's in-process
// sandbox): node:https with an explicit `ca` plus the public roots, answering a standard Response.
// Redirects are never followed (the caller follows them hop by hop).
import https from 'node:https';
import http from 'node:http';
import tls from 'node:tls';
import type { FetchLike } from './browserless.js';

export function caFetch(extraCa: string): FetchLike {
  const agent = new https.Agent({ ca: [...tls.rootCertificates, extraCa], keepAlive: false });
  return (url, init) => new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const headers = { ...init.headers, ...(init.body !== undefined ? { 'content-length': String(Buffer.byteLength(init.body)) } : {}) };
    const req = mod.request(url, { method: init.method, headers, agent: url.protocol === 'https:' ? agent : undefined, signal: init.signal, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) h.append(k, one);
        const status = res.statusCode ?? 502;
        resolve(new Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), { status, headers: h }));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout talking to ${url.origin}`)));
    req.on('error', reject);
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}
