// Reading the state file for `status`, which must answer at once: a plain JSON read checked by
// hand against the rules in rules.ts, the table the schema is built from, so what status accepts
// is exactly what init and verify accept. A file that fails goes to the full reader (store.ts),
// which loads the schema library only then and says precisely what is wrong.
import { readFile } from 'node:fs/promises';
import { STATE_FIELDS, type Field, type Fields, type Rule, type State } from './rules.js';

// As the schema library judges: any non-null object is one (an array of no unknown keys too), and a
// map ignores the keys "__proto__", "prototype" and "constructor" (they are read as absent).
const isObject = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object';
const isString = (x: unknown): x is string => typeof x === 'string';
const IGNORED = new Set(['__proto__', 'prototype', 'constructor']);
const mapEntries = (x: Record<string, unknown>) => Object.entries(x).filter(([k]) => !IGNORED.has(k));

/** `x` as the rule reads it (filled fields filled), or undefined when it breaks the rule. */
function read(rule: Rule, x: unknown): unknown {
  switch (rule.kind) {
    case 'string':
      return isString(x) && (!rule.pattern || rule.pattern.test(x)) ? x : undefined;
    case 'boolean':
      return typeof x === 'boolean' ? x : undefined;
    case 'literal':
      return x === rule.value ? x : undefined;
    case 'oneOf':
      return isString(x) && rule.values.includes(x) ? x : undefined;
    case 'strings':
      return Array.isArray(x) && x.every(isString) ? x : undefined;
    case 'stringMap':
      return isObject(x) && mapEntries(x).every(([, value]) => isString(value))
        ? Object.fromEntries(mapEntries(x))
        : undefined;
    case 'object':
      return readObject(rule.fields, x);
    case 'objectsBy': {
      if (!isObject(x)) return undefined;
      const out: Record<string, unknown> = {};
      for (const [k, value] of mapEntries(x)) {
        if (!rule.keys.includes(k)) return undefined;
        const read = readObject(rule.fields, value);
        if (read === undefined) return undefined;
        out[k] = read;
      }
      return out;
    }
  }
}

function readObject(fields: Fields, x: unknown): Record<string, unknown> | undefined {
  if (!isObject(x) || Object.keys(x).some((k) => !Object.hasOwn(fields, k))) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(fields) as [string, Field][]) {
    if (x[k] === undefined) {
      if (f.filled) out[k] = {};
      else if (!f.optional) return undefined;
      continue;
    }
    const value = read(f, x[k]);
    if (value === undefined) return undefined;
    out[k] = value;
  }
  return out;
}

/** The state if `json` follows the rules, else undefined (pure; the test compares it with the schema). */
export function quickState(json: unknown): State | undefined {
  return readObject(STATE_FIELDS, json) as State | undefined;
}

/** The state, undefined when there is none; anything unusual goes through the full reader. */
export async function readStateQuick(file: string): Promise<State | undefined> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return (await import('./store.js')).readState(file);
  }
  try {
    const state = quickState(JSON.parse(raw));
    if (state) return state;
  } catch {
    /* the full reader says what is wrong */
  }
  return (await import('./store.js')).readState(file);
}
