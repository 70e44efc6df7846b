// The state file's schema. Versioned: a file from a newer iap-auth0 is refused, never rewritten.
// It holds inputs, resource names, generated ids, operation names and stage progress, and no
// secret: secrets are re-read from their source (Auth0 client get, credential get) when needed.
import { z } from 'zod';

export const STATE_VERSION = 1;

import { STAGES, type StageId } from './stages.js';
export { STAGES, type StageId };

export const StageStatus = z.enum(['pending', 'in-progress', 'done', 'failed', 'destroying', 'destroyed']);

const StageRecord = z.object({
  status: StageStatus,
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  /** Long-running operations in flight, so a resumed run polls them instead of re-creating. */
  operations: z.record(z.string(), z.string()).default({}),
  /** What this stage created or adopted (resource names, generated ids). Never secrets. */
  resources: z.record(z.string(), z.string()).default({}),
  /** Members/fields this stage added to shared things, so destroy removes only those. */
  added: z.array(z.string()).optional(),
  error: z.string().optional(),
}).strict();

export const Inputs = z.object({
  project: z.string(),
  projectNumber: z.string().optional(),
  organization: z.string().optional(),
  region: z.string(),
  service: z.string(),
  image: z.string(),
  auth0Domain: z.string(),
  pool: z.string(),
  provider: z.string(),
  oauthClient: z.string(),
  allow: z.array(z.string()),
  scope: z.enum(['service', 'project']),
  /** Set IAP_AUDIENCE on the service's container (default true). */
  audienceEnv: z.boolean().optional(),
}).strict();

export const StateFile = z.object({
  version: z.literal(STATE_VERSION),
  tool: z.literal('iap-auth0'),
  createdAt: z.string(),
  updatedAt: z.string(),
  inputs: Inputs,
  stages: z.partialRecord(z.enum(STAGES), StageRecord).default({}),
}).strict();

export type State = z.infer<typeof StateFile>;
export type StageState = z.infer<typeof StageRecord>;
export type StateInputs = z.infer<typeof Inputs>;
