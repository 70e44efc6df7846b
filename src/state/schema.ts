// The state file's schema. Versioned: a file from a newer iap-auth0 is refused, never rewritten.
// It holds inputs, resource names, generated ids, operation names and stage progress, and no
// secret: secrets are re-read from their source (Auth0 client get, credential get) when needed.
import * as v from 'valibot';
import { STAGES, STAGE_STATUSES, type StageId } from './names.js';
import { checked } from '../lib/validate.js';
export { STAGES, type StageId };

export const STATE_VERSION = 1;


const StageRecord = v.strictObject({
  status: v.picklist(STAGE_STATUSES),
  startedAt: v.optional(v.string()),
  finishedAt: v.optional(v.string()),
  /** Long-running operations in flight, so a resumed run polls them instead of re-creating. */
  operations: v.optional(v.record(v.string(), v.string()), () => ({})),
  /** What this stage created or adopted (resource names, generated ids). Never secrets. */
  resources: v.optional(v.record(v.string(), v.string()), () => ({})),
  /** Members/fields this stage added to shared things, so destroy removes only those. */
  added: v.optional(v.array(v.string())),
  /** Keys of `resources` this setup adopted (someone else's, used by consent) rather than created. */
  adopted: v.optional(v.array(v.string())),
  /** Values an adopted resource had before iap-auth0 changed them, so destroy can put them back. */
  previous: v.optional(v.record(v.string(), v.string())),
  error: v.optional(v.string()),
});

const InputsSchema = v.strictObject({
  project: v.string(),
  projectNumber: v.optional(v.string()),
  organization: v.optional(v.string()),
  region: v.string(),
  service: v.string(),
  image: v.string(),
  auth0Domain: v.string(),
  /** The domain users sign in on when chosen by --auth0-issuer-domain / IAP_AUTH0_ISSUER_DOMAIN (else found each run). */
  auth0IssuerDomain: v.optional(v.string()),
  pool: v.string(),
  provider: v.string(),
  oauthClient: v.string(),
  allow: v.array(v.string()),
  scope: v.picklist(['service', 'project']),
  /** Set IAP_AUDIENCE on the service's container (default true). */
  audienceEnv: v.optional(v.boolean()),
});

const StateSchema = v.strictObject({
  version: v.literal(STATE_VERSION),
  tool: v.literal('iap-auth0'),
  createdAt: v.string(),
  updatedAt: v.string(),
  /** This setup's id, written into the marker of everything it creates (absent in files of 0.1.0). */
  setupId: v.optional(v.pipe(v.string(), v.regex(/^[a-z2-7]{8}$/))),
  inputs: InputsSchema,
  stages: v.optional(v.record(v.picklist(STAGES), StageRecord), () => ({})),
});

export type StageState = v.InferOutput<typeof StageRecord>;
export type StateInputs = v.InferOutput<typeof InputsSchema>;
export type State = Omit<v.InferOutput<typeof StateSchema>, 'stages'> & { stages: Partial<Record<StageId, StageState>> };
export const StateFile = checked(StateSchema) as unknown as import('../lib/validate.js').Checked<State>;
