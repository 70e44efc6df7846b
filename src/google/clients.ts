// Google's generated REST clients, built once per process and pointed at apiRoots(). Each per-API
// package is 2-3 MB; the monolithic `googleapis` (~210 MB, ~1 s to import) is not used. IAP has no
// per-API package: ./iap-client.ts is a hand-written client over the same googleapis-common runtime.
import { iam } from '@googleapis/iam';
import { run } from '@googleapis/run';
import { cloudresourcemanager } from '@googleapis/cloudresourcemanager';
import { serviceusage } from '@googleapis/serviceusage';
import { apiRoots } from './endpoints.js';
import { googleAuth } from './auth.js';
import { IapClient } from './iap-client.js';
import { breakers, requestTimeoutMs } from '../lib/net.js';

export interface GoogleClients {
  iam: import('@googleapis/iam').iam_v1.Iam;
  run: import('@googleapis/run').run_v2.Run;
  crmV1: import('@googleapis/cloudresourcemanager').cloudresourcemanager_v1.Cloudresourcemanager;
  crmV3: import('@googleapis/cloudresourcemanager').cloudresourcemanager_v3.Cloudresourcemanager;
  serviceusage: import('@googleapis/serviceusage').serviceusage_v1.Serviceusage;
  serviceusageBeta: import('@googleapis/serviceusage').serviceusage_v1beta1.Serviceusage;
  iap: IapClient;
  authSource: string;
}

/**
 * `signal` (the run's Ctrl-C) aborts every request in flight. Each request also carries a timeout
 * and its API's circuit breaker (src/lib/net.ts), so a black-holed endpoint costs two timeouts.
 */
export function googleClients(
  env: NodeJS.ProcessEnv = process.env,
  opts: { quotaProject?: string; signal?: AbortSignal } = {},
): GoogleClients {
  const roots = apiRoots(env);
  const { client: auth, source } = googleAuth(env);
  // X-Goog-User-Project makes user credentials bill the right project (gcp-api.md 1.2).
  const headers = opts.quotaProject ? { 'x-goog-user-project': opts.quotaProject } : undefined;
  const timeout = requestTimeoutMs(env);
  // retry:false: the CLI owns retries (bounded, jittered, never blind on creates).
  const common = (root: string) => ({
    auth,
    headers,
    retry: false,
    timeout,
    signal: AbortSignal.any([breakers.signal(root), ...(opts.signal ? [opts.signal] : [])]),
  });
  return {
    iam: iam({ version: 'v1', rootUrl: roots.iam, ...common(roots.iam) }),
    run: run({ version: 'v2', rootUrl: roots.run, ...common(roots.run) }),
    crmV1: cloudresourcemanager({
      version: 'v1',
      rootUrl: roots.cloudresourcemanager,
      ...common(roots.cloudresourcemanager),
    }),
    crmV3: cloudresourcemanager({
      version: 'v3',
      rootUrl: roots.cloudresourcemanager,
      ...common(roots.cloudresourcemanager),
    }),
    serviceusage: serviceusage({ version: 'v1', rootUrl: roots.serviceusage, ...common(roots.serviceusage) }),
    serviceusageBeta: serviceusage({ version: 'v1beta1', rootUrl: roots.serviceusage, ...common(roots.serviceusage) }),
    iap: new IapClient({ rootUrl: roots.iap, ...common(roots.iap) }),
    authSource: source,
  };
}
