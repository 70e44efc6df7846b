// The state file's schema: valibot built from the rules in rules.ts (the same table status checks
// by hand in read-quick.ts). Versioned: a file from a newer iap-auth0 is refused, never rewritten.
// It holds inputs, resource names, generated ids, operation names and stage progress, and no
// secret: secrets are re-read from their source (Auth0 client get, credential get) when needed.
import * as v from 'valibot';
import { STATE_FIELDS, type Field, type Fields, type Rule, type State } from './rules.js';
import { STAGES, type StageId } from './names.js';
export { STAGES, type StageId };
export { STATE_VERSION, type State, type StageState, type StateInputs } from './rules.js';

function schemaOf(rule: Rule): v.GenericSchema {
  switch (rule.kind) {
    case 'string':
      return rule.pattern ? v.pipe(v.string(), v.regex(rule.pattern)) : v.string();
    case 'boolean':
      return v.boolean();
    case 'literal':
      return v.literal(rule.value);
    case 'oneOf':
      return v.picklist(rule.values);
    case 'strings':
      return v.array(v.string());
    case 'stringMap':
      return v.record(v.string(), v.string());
    case 'object':
      return objectOf(rule.fields);
    case 'objectsBy':
      return v.record(v.picklist(rule.keys), objectOf(rule.fields));
  }
}

const fieldOf = (f: Field): v.GenericSchema =>
  f.filled ? v.optional(schemaOf(f), () => ({})) : f.optional ? v.optional(schemaOf(f)) : schemaOf(f);
const objectOf = (fields: Fields): v.GenericSchema<Record<string, unknown>, Record<string, unknown>> =>
  v.strictObject(Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, fieldOf(f)])));

/**
 * The whole file. Its output type is the one rules.ts derives from the same table (valibot cannot
 * infer it through a table read at run time); test/state-rules.test.ts holds the two readers to
 * one verdict.
 */
export const StateSchema = objectOf(STATE_FIELDS) as v.GenericSchema<Record<string, unknown>, State>;
