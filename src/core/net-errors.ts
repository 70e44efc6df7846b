// A network failure as a person reads it: which endpoint, which variable points there, and what
// to try. A refused connection to an endpoint override is almost always a sandbox that is not
// running; a timeout is a network, proxy or firewall that swallows the request.
import { apiRoots, signinOrigin, type GoogleApi } from '../google/endpoints.js';
import { failedOrigin, netFailure, requestTimeoutMs, Unreachable } from '../lib/net.js';

const API_NAMES: Record<GoogleApi, string> = {
  iam: 'IAM API',
  run: 'Cloud Run API',
  iap: 'IAP API',
  cloudresourcemanager: 'Resource Manager API',
  serviceusage: 'Service Usage API',
};

/** Which endpoint `origin` is, and the variable that points there (when one does). */
function whose(origin: string, env: NodeJS.ProcessEnv): { what: string; variable?: string } {
  let roots: Record<GoogleApi, string> | undefined;
  try {
    roots = apiRoots(env);
  } catch {
    roots = undefined;
  }
  for (const [api, root] of Object.entries(roots ?? {}) as [GoogleApi, string][]) {
    if (new URL(root).origin !== origin) continue;
    const variable = `CLOUDSDK_API_ENDPOINT_OVERRIDES_${api.toUpperCase()}`;
    return {
      what: `the ${API_NAMES[api]}`,
      ...(env[variable]?.trim() ? { variable: `${variable}=${env[variable]!.trim()}` } : {}),
    };
  }
  const auth0 = env.AUTH0_DOMAIN?.trim();
  if (auth0 && origin === `https://${auth0.replace(/^https?:\/\//, '').replace(/\/+$/, '')}`)
    return { what: 'Auth0', variable: `AUTH0_DOMAIN=${auth0}` };
  if (origin === new URL(signinOrigin(env)).origin)
    return {
      what: 'the workforce sign-in',
      ...(env.IAP_AUTH0_SIGNIN_ORIGIN ? { variable: `IAP_AUTH0_SIGNIN_ORIGIN=${env.IAP_AUTH0_SIGNIN_ORIGIN}` } : {}),
    };
  return { what: origin };
}

/** undefined when `err` is not a network failure. */
export function describeNetworkFailure(
  err: unknown,
  env: NodeJS.ProcessEnv = process.env,
): { code: string; message: string; hint: string } | undefined {
  const failure = netFailure(err);
  const origin = failedOrigin(err);
  if (!failure || !origin) return undefined;
  const { what, variable } = whose(origin, env);
  const at = variable ? `${what} at ${variable}` : `${what} at ${origin}`;
  const seconds = Math.round((err instanceof Unreachable ? err.timeoutMs : requestTimeoutMs(env)) / 1000);
  const tries = err instanceof Unreachable ? ` (${err.tries} tries)` : '';
  if (failure === 'refused') {
    return {
      code: 'NETWORK_REFUSED',
      message:
        `nothing listens at ${variable ?? origin} (connection ` +
        `refused${err instanceof Unreachable ? `, ${err.tries} tries` : ''}): ${what} cannot be reached`,
      hint: variable
        ? 'is the sandbox running? Start it (iap-auth0 sandbox --env-file sandbox.env) and load its variables ' +
          'again (set -a; . ./sandbox.env; set +a), or unset the variable to use the real service'
        : 'check your network, and a proxy (HTTPS_PROXY) if you use one',
    };
  }
  if (failure === 'timeout') {
    // Google's clients honour HTTPS_PROXY; Node's own fetch (Auth0, the sign-in) only with NODE_USE_ENV_PROXY=1.
    const proxy =
      what.startsWith('the ') && what !== 'the workforce sign-in'
        ? 'proxy (HTTPS_PROXY)'
        : "proxy (HTTPS_PROXY, with NODE_USE_ENV_PROXY=1 for Node's fetch)";
    return {
      code: 'NETWORK_TIMEOUT',
      message: `no answer from ${at} within ${seconds} s${tries}`,
      hint:
        `check your network, ${proxy} or firewall; run the command again (init and destroy resume where they ` +
        'stopped); IAP_AUTH0_REQUEST_TIMEOUT=60s waits longer',
    };
  }
  if (failure === 'dns')
    return {
      code: 'NETWORK_DNS',
      message: `cannot resolve the host of ${at}`,
      hint: variable ? 'check the value of that variable' : 'check your network and DNS',
    };
  return {
    code: 'NETWORK_RESET',
    message:
      `the connection to ${at} broke (${failure === 'reset' ? 'connection reset' : 'network error'}) and did ` +
      'not recover after retries',
    hint: 'check your network, proxy or VPN; run the command again (init and destroy resume where they stopped)',
  };
}
