// Builds the CoreContext for a run from the environment and resolved inputs. Memoizes the shared
// facts (APIs enabled, the Auth0 session, sign-in domain and client) so concurrent stages ask once.
import { googleClients } from '../google/clients.js';
import { signinOrigin } from '../google/endpoints.js';
import { enableApis } from './apis.js';
import { openAuth0Session, type Auth0Session } from './auth0-session.js';
import { claimPool } from './pool-claim.js';
import type { CoreContext, ResolvedInputs } from './context.js';
import type { StateHandle } from './state-handle.js';
import type { EventSink } from './events.js';

export function createContext(opts: {
  env: NodeJS.ProcessEnv;
  inputs: ResolvedInputs;
  state: StateHandle;
  emit: EventSink;
  signal: AbortSignal;
  /** The Auth0 session the command's preflight opened (its token is reused); opened on first use otherwise. */
  auth0?: Auth0Session | Promise<Auth0Session>;
}): CoreContext {
  const { env, inputs } = opts;
  const once = <T>(f: () => Promise<T>) => {
    let p: Promise<T> | undefined;
    return () => (p ??= f());
  };
  const session = once(
    async () =>
      opts.auth0 ??
      openAuth0Session({
        env,
        domain: inputs.auth0Domain,
        signal: opts.signal,
        ...(inputs.auth0IssuerDomain
          ? { issuerDomain: { value: inputs.auth0IssuerDomain, from: 'the recorded --auth0-issuer-domain' } }
          : {}),
      }),
  );
  const google = googleClients(env, { quotaProject: inputs.project, signal: opts.signal });
  const base = {
    env,
    inputs,
    google,
    state: opts.state,
    emit: opts.emit,
    signal: opts.signal,
    signinOrigin: signinOrigin(env),
  } as const;
  const ctx: CoreContext = {
    ...base,
    secrets: new Map(),
    apisReady: once(() => enableApis(base)),
    claim: once(() => claimPool(ctx)),
    auth0SignIn: once(async () => (await session()).signIn()),
    auth0Issuer: once(async () => (await ctx.auth0SignIn()).issuer),
    auth0: once(async () => (await session()).management()),
  };
  return ctx;
}
