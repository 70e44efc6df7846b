// A browser without a browser: a cookie jar that follows the rules the sign-in chain depends on
// (host-only cookies shared across ports, Path, Secure, Max-Age, __Host- prefix) and a client with
// redirect:'manual' that follows the chain hop by hop, keeping every hop, and can fill in the
// Auth0 Universal Login form like a person would. `verify`'s sign-in probe, the demo's real
// sign-in and the tests use it. Global fetch by default; `caFetch` when the CA is only known after
// start-up (Node reads NODE_EXTRA_CA_CERTS once).

import { DEFAULT_TIMEOUT_MS, netFetch } from './net.js';

export interface Hop {
  method: string;
  url: string;
  status: number;
  location?: string;
}
export interface Page {
  url: string;
  status: number;
  headers: Headers;
  text: string;
  hops: Hop[];
}

interface StoredCookie {
  name: string;
  value: string;
  host: string;
  path: string;
  secure: boolean;
  expiresAt?: number;
}

export class CookieJar {
  private cookies: StoredCookie[] = [];

  /** Applies one response's Set-Cookie headers for `url`. */
  store(url: URL, setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let secure = false;
      let expiresAt: number | undefined;
      let domain: string | undefined;
      for (const a of attrs) {
        const [k, ...v] = a.split('=');
        const key = k.trim().toLowerCase();
        const val = v.join('=').trim();
        if (key === 'path' && val.startsWith('/')) path = val;
        else if (key === 'secure') secure = true;
        else if (key === 'max-age') expiresAt = Date.now() + Number(val) * 1000;
        else if (key === 'expires' && expiresAt === undefined) expiresAt = Date.parse(val);
        else if (key === 'domain') domain = val;
      }
      // Browsers reject Secure cookies from http and __Host- cookies that are not Secure, Path=/, host-only.
      if (secure && url.protocol !== 'https:') continue;
      if (name.startsWith('__Host-') && (!secure || path !== '/' || domain !== undefined)) continue;
      if (name.startsWith('__Secure-') && !secure) continue;
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.host === url.hostname && c.path === path));
      if (expiresAt === undefined || expiresAt > Date.now())
        this.cookies.push({ name, value, host: url.hostname, path, secure, expiresAt });
    }
  }

  /** The Cookie header for a request (ports do not separate cookies; paths and Secure do). */
  header(url: URL): string | undefined {
    const now = Date.now();
    this.cookies = this.cookies.filter((c) => c.expiresAt === undefined || c.expiresAt > now);
    const match = this.cookies
      .filter(
        (c) =>
          c.host === url.hostname &&
          (!c.secure || url.protocol === 'https:') &&
          (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : c.path + '/')),
      )
      .sort((a, b) => b.path.length - a.path.length);
    return match.length ? match.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }

  names(host = '127.0.0.1'): string[] {
    return this.cookies.filter((c) => c.host === host).map((c) => c.name);
  }
  clear(): void {
    this.cookies = [];
  }
}

const LOCAL = new Set(['127.0.0.1', 'localhost']);

export type { FetchLike } from './ca-fetch.js';
import type { FetchLike } from './ca-fetch.js';

export class Browserless {
  readonly jar = new CookieJar();
  constructor(
    /** `timeoutMs`: per request (default DEFAULT_TIMEOUT_MS; the product passes its run's requestTimeoutMs). */
    private readonly opts: {
      fetch?: FetchLike;
      signal?: AbortSignal;
      timeoutMs?: number;
      local?: (host: string) => boolean;
    } = {},
  ) {}

  /** One request, no redirect following; cookies sent and stored. */
  async request(
    url: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ): Promise<Response> {
    const u = new URL(url);
    const headers: Record<string, string> = {
      'user-agent': 'iap-auth0-browserless/1',
      accept: 'text/html,application/json;q=0.9,*/*;q=0.8',
      ...init.headers,
    };
    const cookie = this.jar.header(u);
    if (cookie) headers.cookie = cookie;
    // A timeout and the host's breaker on every hop: a page that never answers must not hang verify.
    const f = netFetch({
      fetch: (this.opts.fetch as typeof fetch | undefined) ?? fetch,
      signal: this.opts.signal,
      timeoutMs: this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    }) as unknown as FetchLike;
    const res = await f(u, { method: init.method ?? 'GET', headers, body: init.body, redirect: 'manual' });
    this.jar.store(u, res.headers.getSetCookie());
    return res;
  }

  /**
   * Follows redirects like a browser (3xx → GET of Location), stopping at a page, at a redirect
   * to a host that is not on this machine (e.g. accounts.google.com), or after 25 hops.
   */
  async go(
    url: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ): Promise<Page> {
    const hops: Hop[] = [];
    let current = url;
    let req = init;
    for (let i = 0; i < 25; i++) {
      const res = await this.request(current, req);
      const location = res.headers.get('location') ?? undefined;
      hops.push({ method: req.method ?? 'GET', url: current, status: res.status, location });
      const next = location ? new URL(location, current) : undefined;
      if (res.status >= 300 && res.status < 400 && next && (this.opts.local ?? ((h) => LOCAL.has(h)))(next.hostname)) {
        await res.arrayBuffer();
        current = next.toString();
        // Only the caller's extra headers (e.g. X-Requested-With) travel on; bodies do not.
        req = {
          headers: Object.fromEntries(
            Object.entries(init.headers ?? {}).filter(([k]) => k.toLowerCase() !== 'content-type'),
          ),
        };
        continue;
      }
      return { url: current, status: res.status, headers: res.headers, text: await res.text(), hops };
    }
    throw new Error(`too many redirects starting at ${url}: ${hops.map((h) => `${h.status} ${h.url}`).join(' → ')}`);
  }

  /** Submits the form holding a password field (the Universal Login form) on `page`. */
  async submitLogin(page: Page, username: string, password: string): Promise<Page> {
    const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(page.text);
    if (!form || !/name="password"/.test(form[2]))
      throw new Error(`no login form on ${page.url} (status ${page.status}): ${page.text.slice(0, 300)}`);
    const attr = (tag: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`, 'i').exec(tag)?.[1];
    const unescapeHtml = (s: string) =>
      s
        .replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)))
        .replace(/&amp;/g, '&')
        .replace(/&quot;/g, '"')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>');
    const action = new URL(unescapeHtml(attr(form[1], 'action') ?? page.url), page.url).toString();
    const fields = new URLSearchParams();
    for (const input of form[2].match(/<input\b[^>]*>/gi) ?? []) {
      const name = attr(input, 'name');
      if (name) fields.set(name, unescapeHtml(attr(input, 'value') ?? ''));
    }
    fields.set('username', username);
    fields.set('password', password);
    const button = /<button\b[^>]*type="submit"[^>]*>/i.exec(form[2])?.[0];
    if (button && attr(button, 'name')) fields.set(attr(button, 'name')!, attr(button, 'value') ?? '');
    const hopsBefore = page.hops;
    const next = await this.go(action, {
      method: (attr(form[1], 'method') ?? 'GET').toUpperCase(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: fields.toString(),
    });
    return { ...next, hops: [...hopsBefore, ...next.hops] };
  }

  /**
   * Opens `url`; if the chain stops at a workforce provider chooser, picks the provider (`provider`,
   * a full provider name, or the only one offered) like a person would; if it then stops at a login
   * form, signs in and follows on to the end.
   */
  async signIn(
    url: string,
    username: string,
    password: string,
    headers?: Record<string, string>,
    provider?: string,
  ): Promise<Page> {
    let first = await this.go(url, { headers });
    if (first.status === 200 && !/name="password"/.test(first.text)) {
      const links = chooserLinks(first.text, first.url);
      const pick =
        links.find((l) => l.provider === provider) ?? (links.length === 1 && !provider ? links[0] : undefined);
      const form = !pick && provider ? chooserForm(first.text, first.url) : undefined;
      if (pick || form) {
        const sent = form?.submit(provider!);
        const next = pick
          ? await this.go(pick.url, { headers })
          : await this.go(
              sent!.url,
              sent!.body === undefined
                ? { headers }
                : {
                    method: 'POST',
                    body: sent!.body,
                    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
                  },
            );
        first = { ...next, hops: [...first.hops, ...next.hops] };
      }
    }
    if (first.status !== 200 || !/name="password"/.test(first.text)) return first;
    return this.submitLogin(first, username, password);
  }
}

const unescapeHtml = (s: string) =>
  s
    .replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n) => String.fromCharCode(parseInt(n, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
const PROVIDER_PATH = /\/signin\/(locations\/global\/workforcePools\/[^/?#]+\/providers\/[^/?#]+)(?:[?#]|$)/;

/** A link on a workforce provider chooser page: to /signin/locations/global/workforcePools/P/providers/X. */
export interface ChooserLink {
  provider: string;
  url: string;
  text: string;
}

/** The provider links of a page (the sign-in origin's /signin/{provider} form of link), in page order. */
export function chooserLinks(html: string, base: string): ChooserLink[] {
  const out: ChooserLink[] = [];
  for (const m of html.matchAll(/<a\b[^>]*\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')[^>]*>([\s\S]*?)<\/a>/gi)) {
    let url: URL;
    try {
      url = new URL(unescapeHtml(m[1] ?? m[2] ?? ''), base);
    } catch {
      continue;
    }
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      path = url.pathname;
    }
    const p = PROVIDER_PATH.exec(path);
    if (p) out.push({ provider: p[1], url: url.toString(), text: pageText(m[3]) });
  }
  return out;
}

/** A form asking for a provider name (a visible text field named or labelled "provider"). */
export interface ChooserForm {
  method: 'GET' | 'POST';
  action: string;
  field: string;
  submit(provider: string): { url: string; body?: string };
}

export function chooserForm(html: string, base: string): ChooserForm | undefined {
  for (const f of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attr = (tag: string, name: string) => {
      const v = new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'i').exec(tag);
      return v ? unescapeHtml(v[1] ?? v[2] ?? '') : undefined;
    };
    const inputs = [...f[2].matchAll(/<input\b[^>]*>/gi)].map((i) => i[0]);
    const text = inputs.find(
      (i) =>
        /^(text|search)?$/i.test(attr(i, 'type') ?? '') &&
        /provider/i.test(`${attr(i, 'name')} ${attr(i, 'id')} ${attr(i, 'placeholder')} ${attr(i, 'aria-label')}`),
    );
    const field = text && attr(text, 'name');
    if (!field) continue;
    const method = (attr(f[1], 'method') ?? 'GET').toUpperCase() === 'POST' ? 'POST' : 'GET';
    let action: string;
    try {
      action = new URL(attr(f[1], 'action') ?? base, base).toString();
    } catch {
      continue;
    }
    const hidden = inputs
      .filter((i) => (attr(i, 'type') ?? '').toLowerCase() === 'hidden' && attr(i, 'name'))
      .map((i): [string, string] => [attr(i, 'name')!, attr(i, 'value') ?? '']);
    return {
      method,
      action,
      field,
      submit(provider: string) {
        const fields = new URLSearchParams([...hidden, [field, provider]]);
        if (method === 'POST') return { url: action, body: fields.toString() };
        const u = new URL(action);
        u.search = fields.toString();
        return { url: u.toString() };
      },
    };
  }
  return undefined;
}

/** Text of an HTML page without tags and entities, for assertions on what a person would read. */
export function pageText(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)))
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}
