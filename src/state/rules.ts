// The state file's rules, once, as data. Two readers apply them: schema.ts builds the valibot
// schema from this table (init, verify, destroy and dev read through it, and a damaged file gets its
// precise message), and read-quick.ts checks a file against the same table by hand (status, which
// must answer without loading a library). Because both read one table, a file is valid for one
// exactly when it is valid for the other (test/state-rules.test.ts mutates files to hold them to it).
// No library here: status imports this module at start-up.
import { STAGES, STAGE_STATUSES } from './names.js';
import { SETUP_ID } from '../lib/ids.js';

export type Rule =
  | { readonly kind: 'string'; readonly pattern?: RegExp }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'literal'; readonly value: string | number }
  | { readonly kind: 'oneOf'; readonly values: readonly string[] }
  | { readonly kind: 'strings' }
  | { readonly kind: 'stringMap' }
  | { readonly kind: 'object'; readonly fields: Fields }
  /** An object whose keys are some of `keys`, each value an object of `fields`. */
  | { readonly kind: 'objectsBy'; readonly keys: readonly string[]; readonly fields: Fields };

/**
 * A field of an object: required unless `optional`; a `filled` field may be absent and reads as
 * an empty object (so code never meets a missing map). Unknown keys are refused everywhere: a key
 * this version does not know is a file it does not understand.
 */
export type Field = Rule & { readonly optional?: true; readonly filled?: true };
export type Fields = Readonly<Record<string, Field>>;

const string = { kind: 'string' } as const;
const strings = { kind: 'strings' } as const;
const stringMap = { kind: 'stringMap' } as const;
const optional = <R extends Rule>(r: R) => ({ ...r, optional: true }) as const;
const filled = <R extends Rule>(r: R) => ({ ...r, filled: true }) as const;

export const STATE_VERSION = 1;

const STAGE_FIELDS = {
  status: { kind: 'oneOf', values: STAGE_STATUSES },
  startedAt: optional(string),
  finishedAt: optional(string),
  /** Long-running operations in flight, so a resumed run polls them instead of re-creating. */
  operations: filled(stringMap),
  /** What this stage created or adopted (resource names, generated ids). Never secrets. */
  resources: filled(stringMap),
  /** Members/fields this stage added to shared things, so destroy removes only those. */
  added: optional(strings),
  /** Keys of `resources` this setup adopted (someone else's, used by consent) rather than created. */
  adopted: optional(strings),
  /** Values an adopted resource had before iap-auth0 changed them, so destroy can put them back. */
  previous: optional(stringMap),
  error: optional(string),
} as const;

const INPUT_FIELDS = {
  project: string,
  projectNumber: optional(string),
  organization: optional(string),
  region: string,
  service: string,
  image: string,
  auth0Domain: string,
  /**
   * The domain users sign in on when chosen by --auth0-issuer-domain / IAP_AUTH0_ISSUER_DOMAIN (else found each run).
   */
  auth0IssuerDomain: optional(string),
  pool: string,
  provider: string,
  oauthClient: string,
  allow: strings,
  scope: { kind: 'oneOf', values: ['service', 'project'] },
  /** --require: the provider's attribute condition, instead of the one derived from --allow. */
  require: optional(string),
  /** Set IAP_AUDIENCE on the service's container (default true). */
  audienceEnv: optional({ kind: 'boolean' }),
} as const;

export const STATE_FIELDS = {
  version: { kind: 'literal', value: STATE_VERSION },
  tool: { kind: 'literal', value: 'iap-auth0' },
  createdAt: string,
  updatedAt: string,
  /** This setup's id (absent in files of 0.1.0). */
  setupId: optional({ kind: 'string', pattern: SETUP_ID }),
  inputs: { kind: 'object', fields: INPUT_FIELDS },
  stages: filled({ kind: 'objectsBy', keys: STAGES, fields: STAGE_FIELDS }),
} as const satisfies Fields;

// The types the table describes, so the code reading a state and the rules cannot differ either.
type ValueOf<R> = R extends { kind: 'string' }
  ? string
  : R extends { kind: 'boolean' }
    ? boolean
    : R extends { kind: 'literal'; value: infer V }
      ? V
      : R extends { kind: 'oneOf'; values: readonly (infer V)[] }
        ? V
        : R extends { kind: 'strings' }
          ? string[]
          : R extends { kind: 'stringMap' }
            ? Record<string, string>
            : R extends { kind: 'object'; fields: infer F }
              ? ObjectOf<F>
              : R extends { kind: 'objectsBy'; keys: readonly (infer K extends string)[]; fields: infer F }
                ? { [k in K]?: ObjectOf<F> }
                : never;
type Flat<T> = { [K in keyof T]: T[K] };
type ObjectOf<F> = Flat<
  { -readonly [K in keyof F as F[K] extends { optional: true } ? never : K]: ValueOf<F[K]> } & {
    -readonly [K in keyof F as F[K] extends { optional: true } ? K : never]?: ValueOf<F[K]>;
  }
>;

export type State = ObjectOf<typeof STATE_FIELDS>;
export type StageState = ObjectOf<typeof STAGE_FIELDS>;
export type StateInputs = ObjectOf<typeof INPUT_FIELDS>;
