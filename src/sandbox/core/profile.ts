// Timing profiles. `fast` keeps every test quick; `realistic` scales the real services' figures
// (../shared/reference/gcp-api.md section 11) down by about 20x so benchmarks see the same shape:
// Cloud Run deploys dominate, pool/provider operations take seconds, IAM changes propagate late.

export type OperationKind =
  | 'serviceEnable'
  | 'serviceIdentity'
  | 'runCreate'
  | 'runUpdate'
  | 'runDelete'
  | 'poolCreate'
  | 'poolUpdate'
  | 'poolDelete'
  | 'poolUndelete'
  | 'providerCreate'
  | 'providerUpdate'
  | 'providerDelete'
  | 'providerUndelete';

/**
 * Resources Google makes visible everywhere only some time after their create answered
 * (eventual consistency, docs/SANDBOX.md "Eventual consistency after a create").
 */
export type ConsistencyKind = 'serviceAccount' | 'oauthClient' | 'serviceAgent';
export const CONSISTENCY_KINDS: readonly ConsistencyKind[] = ['serviceAccount', 'oauthClient', 'serviceAgent'];

export interface Profile {
  name: 'fast' | 'realistic';
  /** Added to every API answer, per API family, in milliseconds. */
  latencyMs: { google: number; auth0: number; browser: number };
  /** How long each kind of long-running operation stays done:false. */
  operationMs: Record<OperationKind, number>;
  /** IAM allow-policy changes reach the sign-in path only after this long. */
  iamPropagationMs: number;
  /** An API keeps answering SERVICE_DISABLED this long after it was enabled. */
  enablePropagationMs: number;
  /**
   * How long a new resource of each kind stays unusable after its create (sandbox clock): a new
   * service account cannot be run as nor read, a new OAuth client or credential reads 404, a newly
   * generated service agent cannot be named in a policy. 0 = usable at once.
   */
  consistencyMs: Record<ConsistencyKind, number>;
  /**
   * Auth0 Actions (docs/SANDBOX.md "Auth0 Actions through the Management API"): how long a
   * created or updated Action stays `pending`/`building` before it is `built`, how long a deployed
   * version takes to become the deployed one, and how long the post-login Actions may run at
   * sign-in before they are cut off (Auth0: 20 s).
   */
  actions: { buildMs: number; deployMs: number; timeoutMs: number };
}

export const PROFILES: Record<Profile['name'], Profile> = {
  fast: {
    name: 'fast',
    latencyMs: { google: 0, auth0: 0, browser: 0 },
    operationMs: {
      serviceEnable: 20,
      serviceIdentity: 10,
      runCreate: 40,
      runUpdate: 30,
      runDelete: 20,
      poolCreate: 20,
      poolUpdate: 10,
      poolDelete: 10,
      poolUndelete: 10,
      providerCreate: 20,
      providerUpdate: 10,
      providerDelete: 10,
      providerUndelete: 10,
    },
    iamPropagationMs: 60,
    enablePropagationMs: 0,
    // Off: tests turn the windows on with startSandbox({ consistencyMs }) or --consistency-delay.
    consistencyMs: { serviceAccount: 0, oauthClient: 0, serviceAgent: 0 },
    // Builds and deploys are over at once; 1 s to run is Auth0's 20 s scaled down 20x, as in realistic.
    actions: { buildMs: 0, deployMs: 0, timeoutMs: 1000 },
  },
  realistic: {
    name: 'realistic',
    latencyMs: { google: 60, auth0: 80, browser: 30 },
    operationMs: {
      serviceEnable: 1500,
      serviceIdentity: 500,
      runCreate: 3000,
      runUpdate: 2000,
      runDelete: 1000,
      poolCreate: 1000,
      poolUpdate: 500,
      poolDelete: 500,
      poolUndelete: 500,
      providerCreate: 1000,
      providerUpdate: 500,
      providerDelete: 500,
      providerUndelete: 500,
    },
    iamPropagationMs: 6000,
    enablePropagationMs: 1000,
    // Google's "wait 60 s" for a new service account, Terraform's 5 s sleep after an OAuth client or
    // credential create, and (assumption) 60 s for a new service agent, each scaled down 20x.
    consistencyMs: { serviceAccount: 3000, oauthClient: 250, serviceAgent: 3000 },
    // A real create took about 2.3 s to reach `built` (auth0/go-auth0 recordings), scaled down 20x
    // and rounded up; deploying a built draft, assumption: half that.
    actions: { buildMs: 120, deployMs: 60, timeoutMs: 1000 },
  },
};

export function profileByName(name: string): Profile {
  const p = PROFILES[name as Profile['name']];
  if (!p) throw new Error(`unknown profile "${name}": use fast or realistic`);
  return p;
}

/** A profile with every consistency window set to `ms`, or with the given windows replaced. */
export function withConsistency(p: Profile, ms: number | Partial<Record<ConsistencyKind, number>>): Profile {
  const windows = typeof ms === 'number' ? Object.fromEntries(CONSISTENCY_KINDS.map((k) => [k, ms])) : ms;
  return { ...p, consistencyMs: { ...p.consistencyMs, ...windows } };
}
