// The Login flow: at each sign-in (oidc.ts runs it once the user is authenticated, before the
// authorization code is issued) the Actions bound to the post-login trigger run in binding order,
// each from its deployed version (Auth0 docs, Login Flow and post-login trigger:
// auth0/docs-v2 main/docs/customize/actions/explore-triggers/post-login.mdx). What the sandbox
// keeps of them:
//  - api.access.deny(reason): the sign-in ends at the app's callback with error=access_denied and
//    error_description=reason ("sent as error_description to the application that initiated the
//    request", post-login API object page); the Action finishes, later ones do not run;
//  - an uncaught error ends it the same way with the error's message as error_description (Auth0
//    support, "Troubleshooting the access_denied Error");
//  - the whole trigger must finish within the profile's `actions.timeoutMs` (Auth0: 20 s), or it
//    fails like an error (assumption: the wording of that error_description);
//  - custom claims go into the ID token (and /userinfo) unless Auth0's rules drop them
//    (facts/auth0-claims.ts); later Actions overwrite earlier ones' claims of the same name.
import type { Auth0Client, Auth0User, World } from '../world.js';
import type { ActionExecution } from './actions-model.js';
import { runPostLoginAction } from './actions-runner.js';
import { connectionOf, roleNamesOf, userView } from './directory.js';
import { TENANT_NAME } from './clients.js';
import { customClaimKept } from '../facts/auth0-claims.js';

export interface PostLoginInput {
  user: Auth0User;
  app: Auth0Client;
  /** The /authorize request's parameters and the caller's address (event.request). */
  request: { hostname: string; ip: string; method: string; query: Record<string, unknown> };
}
export type PostLoginOutcome =
  | { outcome: 'allowed'; idTokenClaims: Record<string, unknown> }
  | { outcome: 'denied' | 'failed'; reason: string };

/** Auth0's `event` for one Action (the documented subset; auth0/docs-v2 post-login-event-object.mdx). */
export function postLoginEvent(world: World, i: PostLoginInput, secrets: Record<string, string>) {
  const conn = connectionOf(world, i.user);
  const strategy = conn?.strategy ?? 'auth0';
  const profile = userView(world, i.user);
  return {
    secrets,
    client: { client_id: i.app.client_id, name: i.app.name, metadata: { ...(i.app.client_metadata ?? {}) } },
    connection: { id: conn?.id ?? '', name: i.user.connection, strategy, metadata: {} },
    authentication: {
      methods: [{ name: strategy === 'auth0' ? 'pwd' : 'federated', timestamp: world.clock.iso() }],
    },
    authorization: { roles: roleNamesOf(world, i.user.user_id) },
    request: i.request,
    tenant: { id: TENANT_NAME },
    user: { ...profile, app_metadata: profile.app_metadata ?? {}, user_metadata: profile.user_metadata ?? {} },
  };
}

const TIMEOUT_REASON = 'The post-login Actions did not finish in time.';

/** Runs the post-login trigger for one sign-in and records what it did (world.auth0ActionExecutions). */
export async function runPostLogin(world: World, i: PostLoginInput): Promise<PostLoginOutcome> {
  const store = world.auth0Actions;
  // The trigger's time is what its Actions ran, not how long their threads took to start.
  let left = world.profile.actions.timeoutMs;
  const exec: ActionExecution = {
    at: world.clock.iso(),
    trigger_id: 'post-login',
    user_id: i.user.user_id,
    client_id: i.app.client_id,
    results: [],
    outcome: 'allowed',
    idTokenClaims: {},
    accessTokenClaims: {},
    logs: [],
  };
  for (const b of store.bindingsOf('post-login')) {
    const action = store.actions.get(b.action_id);
    const version = action && store.deployedVersion(action);
    if (!action || !version) continue;
    const secrets = Object.fromEntries(version.draft.secrets.map((s) => [s.name, s.value]));
    const run = await runPostLoginAction(version.draft.code, postLoginEvent(world, i, secrets), left);
    left -= run.ranMs;
    exec.logs.push(...run.logs);
    const fail =
      run.state === 'timeout' ? TIMEOUT_REASON : run.state === 'error' ? (run.message ?? 'Error') : undefined;
    exec.results.push({ action_name: action.name, ...(fail ? { error: { id: 'a0.action_failed', msg: fail } } : {}) });
    if (fail)
      return finish(world, { ...exec, outcome: 'failed', reason: fail, idTokenClaims: {}, accessTokenClaims: {} });
    keep(exec.idTokenClaims, run.idTokenClaims);
    keep(exec.accessTokenClaims, run.accessTokenClaims);
    if (run.denied !== undefined)
      return finish(world, {
        ...exec,
        outcome: 'denied',
        reason: run.denied,
        idTokenClaims: {},
        accessTokenClaims: {},
      });
  }
  return finish(world, exec);
}

/**
 * Adds the claims Auth0's rules keep. The sandbox's access tokens are opaque ones for /userinfo,
 * so the access-token rule for other Auth0 APIs never applies; those claims are only recorded.
 */
function keep(into: Record<string, unknown>, calls: [string, string | null][]): void {
  for (const [name, json] of calls) {
    if (json === null || !customClaimKept(name)) continue;
    into[name] = JSON.parse(json);
  }
}

const KEPT_EXECUTIONS = 200;

function finish(world: World, exec: ActionExecution): PostLoginOutcome {
  world.auth0ActionExecutions.push(exec);
  if (world.auth0ActionExecutions.length > KEPT_EXECUTIONS) world.auth0ActionExecutions.shift();
  if (exec.outcome === 'allowed') return { outcome: 'allowed', idTokenClaims: exec.idTokenClaims };
  return { outcome: exec.outcome, reason: exec.reason ?? '' };
}
