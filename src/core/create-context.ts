// Builds the CoreContext for a run from the environment and resolved inputs. Memoizes the shared
// facts (APIs enabled, Auth0 issuer, the Auth0 client) so concurrent stages ask once.
import { googleClients } from '../google/clients.js';
import { signinOrigin } from '../google/endpoints.js';
import { enableApis } from './apis.js';
import { auth0Discovery, auth0Management } from './auth0-client.js';
import { claimPool } from './stages/workforce-pool.js';
import type { CoreContext, ResolvedInputs } from './context.js';
import type { StateHandle } from './state-handle.js';
import type { EventSink } from './events.js';

export function createContext(opts: {
  env: NodeJS.ProcessEnv; inputs: ResolvedInputs; state: StateHandle; emit: EventSink; signal: AbortSignal;
}): Omit<CoreContext, 'after' | 'until' | 'reach'> {
  const { env, inputs } = opts;
  const once = <T>(f: () => Promise<T>) => { let p: Promise<T> | undefined; return () => (p ??= f()); };
  const google = googleClients(env, { quotaProject: inputs.project, signal: opts.signal });
  const base = { env, inputs, google, state: opts.state, emit: opts.emit, signal: opts.signal, signinOrigin: signinOrigin(env) } as const;
  const ctx: Omit<CoreContext, 'after' | 'until' | 'reach'> = {
    ...base,
    secrets: new Map(),
    apisReady: once(() => enableApis(base)),
    claim: once(() => claimPool(ctx as CoreContext)),
    auth0Issuer: once(async () => (await auth0Discovery(inputs.auth0Domain, opts.signal)).issuer),
    auth0: once(() => auth0Management({ domain: inputs.auth0Domain, clientId: env.AUTH0_CLIENT_ID ?? '', clientSecret: env.AUTH0_CLIENT_SECRET ?? '' }, opts.signal)),
  };
  return ctx;
}
