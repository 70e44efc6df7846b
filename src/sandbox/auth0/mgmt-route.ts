// What every Management API route shares: the request and answer shapes, the route table entry,
// and the checks Auth0 runs before a handler (scopes, JSON body, query parameters, projections),
// with Auth0's messages (errors.ts).
import { insufficientScope, invalidJson, queryError } from './errors.js';
import type { Tenant } from './token.js';

export interface MgmtRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
}
export interface MgmtResult {
  status: number;
  json?: unknown;
}

export interface Ctx {
  t: Tenant;
  req: MgmtRequest;
  scopes: Set<string>;
  params: Record<string, string>;
}
export type Route = { method: string; re: RegExp; handler: (c: Ctx) => Promise<MgmtResult> | MgmtResult };

/** 403 unless the token carries one of the scopes (Auth0 accepts any of the route's list). */
export function need(c: Ctx, anyOf: string[]): void {
  if (!anyOf.some((s) => c.scopes.has(s))) throw insufficientScope(anyOf);
}

export function body(c: Ctx): unknown {
  if (!c.req.rawBody.trim()) return {};
  try {
    return JSON.parse(c.req.rawBody);
  } catch {
    throw invalidJson();
  }
}

export function boolParam(q: URLSearchParams, name: string, dflt?: boolean): boolean | undefined {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw queryError(`Expected type boolean but found type string`, name);
}

export function intParam(
  q: URLSearchParams,
  name: string,
  dflt: number,
  min: number,
  max: number,
  description: string,
): number {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  if (!/^-?\d+$/.test(v)) throw queryError('Expected type integer but found type string', name, description);
  const n = Number(v);
  if (n < min) throw queryError(`Value ${n} is less than minimum ${min}`, name, description);
  if (n > max) throw queryError(`Value ${n} is greater than maximum ${max}`, name, description);
  return n;
}

export function projection(q: URLSearchParams): { fields?: string[]; include: boolean } {
  const fields = q
    .get('fields')
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return { fields, include: boolParam(q, 'include_fields', true)! };
}

/** Keeps (include) or drops the listed top-level fields of an answer object. */
export function project<T extends object>(o: T, proj: { fields?: string[]; include: boolean }): Partial<T> {
  if (!proj.fields?.length) return o;
  return Object.fromEntries(Object.entries(o).filter(([k]) => proj.fields!.includes(k) === proj.include)) as Partial<T>;
}

/** Offset paging as Auth0's `page`/`per_page` lists do (page from 0, per_page 0..100, default 50). */
export function offsetPage<T>(items: T[], q: URLSearchParams): { page: number; perPage: number; slice: T[] } {
  const page = intParam(
    q,
    'page',
    0,
    0,
    Number.MAX_SAFE_INTEGER,
    'Page index of the results to return. First page is 0.',
  );
  const perPage = intParam(q, 'per_page', 50, 0, 100, 'Number of results per page. Defaults to 50.');
  return { page, perPage, slice: items.slice(page * perPage, page * perPage + perPage) };
}

/** Checkpoint pagination (take/from) as /clients/{id}/connections and /connections/{id}/clients use. */
export function checkpoint<T>(items: T[], q: URLSearchParams): { page: T[]; next?: string } {
  const take = intParam(q, 'take', 50, 1, 100, 'Number of results per page. Defaults to 50.');
  const from = q.get('from');
  let start = 0;
  if (from) {
    start = Number(Buffer.from(from, 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw queryError('Invalid checkpoint', 'from');
  }
  const page = items.slice(start, start + take);
  const next = start + take < items.length ? Buffer.from(String(start + take)).toString('base64url') : undefined;
  return { page, ...(next ? { next } : {}) };
}
