// Auth0 Actions facts the sandbox checks, as its own copy (never the CLI's).

/**
 * The triggers GET /api/v2/actions/triggers lists. Ids, versions, statuses and the shape are those
 * a real tenant answered (auth0/go-auth0, management/testdata/recordings/TestActionManager_Triggers.yaml,
 * 2022); the runtimes are today's: node22 is the default ("The Node runtime. For example: `node22`,
 * defaults to `node22`", node-auth0 7.1.0 Management.Action.runtime) and node18 the one before
 * (assumption: the list a tenant offers now). post-login v3 is CURRENT and compatible with v2.
 */
export interface TriggerFact {
  id: string;
  version: string;
  status: 'CURRENT' | 'DEPRECATED';
  runtimes: string[];
  default_runtime: string;
  compatible_triggers: { id: string; version: string }[];
  binding_policy: 'trigger-bound';
}

const current = (id: string, version: string, compatible: { id: string; version: string }[] = []): TriggerFact => ({
  id,
  version,
  status: 'CURRENT',
  runtimes: ['node18', 'node22'],
  default_runtime: 'node22',
  compatible_triggers: compatible,
  binding_policy: 'trigger-bound',
});
const deprecated = (id: string, version: string): TriggerFact => ({
  id,
  version,
  status: 'DEPRECATED',
  runtimes: ['node12', 'node16'],
  default_runtime: 'node16',
  compatible_triggers: [],
  binding_policy: 'trigger-bound',
});

export const TRIGGERS: TriggerFact[] = [
  deprecated('post-login', 'v1'),
  deprecated('post-login', 'v2'),
  current('post-login', 'v3', [{ id: 'post-login', version: 'v2' }]),
  deprecated('credentials-exchange', 'v1'),
  current('credentials-exchange', 'v2'),
  deprecated('pre-user-registration', 'v1'),
  current('pre-user-registration', 'v2'),
  deprecated('post-user-registration', 'v1'),
  current('post-user-registration', 'v2'),
  deprecated('post-change-password', 'v1'),
  current('post-change-password', 'v2'),
  deprecated('send-phone-message', 'v1'),
  current('send-phone-message', 'v2'),
];

/** Every trigger id Auth0's API knows (node-auth0 7.1.0 Management.ActionTriggerTypeEnum). */
export const TRIGGER_IDS = [
  'post-login',
  'credentials-exchange',
  'pre-user-registration',
  'post-user-registration',
  'post-change-password',
  'send-phone-message',
  'custom-phone-provider',
  'custom-email-provider',
  'password-reset-post-challenge',
  'custom-token-exchange',
  'event-stream',
  'password-hash-migration',
  'login-post-identifier',
  'signup-post-identifier',
  'post-credential-validation',
];

/** The current version of a trigger (what an Action created without a version gets; assumption). */
export const currentVersion = (id: string) => TRIGGERS.find((t) => t.id === id && t.status === 'CURRENT')?.version;

/**
 * How long one trigger's Actions may run: "Each execution of a trigger must complete in 20 seconds
 * or less or the processing will end in an error" (auth0/docs-v2 main/docs/customize/actions/
 * limitations.mdx). The sandbox's own limit is its profile's `actions.timeoutMs`, this scaled down.
 */
export const AUTH0_ACTION_TIMEOUT_MS = 20_000;
