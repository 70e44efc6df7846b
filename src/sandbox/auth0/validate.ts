// Body checks shared by the Management API routes, with the messages of Auth0's JSON-schema
// validation (z-schema's wording, as clients.ts and auth0.md 2.3 record them): "Missing required
// property: x", "Expected type string but found type integer", "Additional properties not allowed:
// a,b", "Array is too short (0), minimum 1", each wrapped as `Payload validation error: '…' on
// property x.` (errors.ts payloadError).
import { payloadError } from './errors.js';

export const typeOf = (v: unknown) =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;

export const expectedType = (want: string, v: unknown, prop: string) =>
  payloadError(`Expected type ${want} but found type ${typeOf(v)}`, prop);

/** The body as an object holding only `allowed` properties. */
export function objectBody(v: unknown, allowed: Set<string>, prop?: string): Record<string, any> {
  if (typeOf(v) !== 'object') throw payloadError(`Expected type object but found type ${typeOf(v)}`, prop);
  const extra = Object.keys(v as object).filter((k) => !allowed.has(k));
  if (extra.length) throw payloadError(`Additional properties not allowed: ${extra.join(',')}`, prop);
  return v as Record<string, any>;
}

const at = (prefix: string | undefined, k: string) => (prefix ? `${prefix}.${k}` : k);

export function requiredString(b: Record<string, unknown>, k: string, prefix?: string): string {
  if (b[k] === undefined) throw payloadError(`Missing required property: ${k}`, prefix);
  if (typeof b[k] !== 'string') throw expectedType('string', b[k], at(prefix, k));
  return b[k] as string;
}

export function optionalString(b: Record<string, unknown>, k: string, prefix?: string): string | undefined {
  if (b[k] === undefined) return undefined;
  if (typeof b[k] !== 'string') throw expectedType('string', b[k], at(prefix, k));
  return b[k] as string;
}

export function optionalBoolean(b: Record<string, unknown>, k: string): boolean | undefined {
  if (b[k] === undefined) return undefined;
  if (typeof b[k] !== 'boolean') throw expectedType('boolean', b[k], k);
  return b[k] as boolean;
}

/** A required array of strings with at least `min` items. */
export function stringList(b: Record<string, unknown>, k: string, min: number): string[] {
  const v = b[k];
  if (v === undefined) throw payloadError(`Missing required property: ${k}`);
  if (!Array.isArray(v)) throw expectedType('array', v, k);
  if (v.length < min) throw payloadError(`Array is too short (${v.length}), minimum ${min}`, k);
  v.forEach((x, i) => {
    if (typeof x !== 'string') throw expectedType('string', x, `${k}[${i}]`);
  });
  return v as string[];
}

/** An optional array of objects, each checked by `item`. */
export function objectList<T>(
  b: Record<string, unknown>,
  k: string,
  item: (o: unknown, prop: string) => T,
): T[] | undefined {
  const v = b[k];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw expectedType('array', v, k);
  return v.map((o, i) => item(o, `${k}[${i}]`));
}
