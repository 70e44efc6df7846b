// A small, zod-shaped face over valibot (1.9 MB installed, against zod's 8.2 MB): `safeParse`
// answers { success, data } or { success: false, error: { issues: [{ message, path }] } }, and
// `parse` throws the first message. The call sites read the same either way.
import * as v from 'valibot';

export type Issue = { message: string; path: PropertyKey[] };
export type Parsed<T> = { success: true; data: T } | { success: false; error: { issues: Issue[] } };
export interface Checked<T> { safeParse(input: unknown): Parsed<T>; parse(input: unknown): T }

export function checked<S extends v.GenericSchema>(schema: S): Checked<v.InferOutput<S>> {
  const safeParse = (input: unknown): Parsed<v.InferOutput<S>> => {
    const r = v.safeParse(schema, input);
    if (r.success) return { success: true, data: r.output };
    return { success: false, error: { issues: r.issues.map((i) => ({ message: i.message, path: (i.path ?? []).map((p) => p.key as PropertyKey) })) } };
  };
  return {
    safeParse,
    parse(input) {
      const r = safeParse(input);
      if (!r.success) throw new Error(r.error.issues[0].message);
      return r.data;
    },
  };
}
