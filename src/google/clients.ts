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

export interface GoogleClients {
  iam: import("@googleapis/iam").iam_v1.Iam;
  run: import('@googleapis/run').run_v2.Run;
  crmV1: import('@googleapis/cloudresourcemanager').cloudresourcemanager_v1.Cloudresourcemanager;
  crmV3: import('@googleapis/cloudresourcemanager').cloudresourcemanager_v3.Cloudresourcemanager;
  serviceusage: import('@googleapis/serviceusage').serviceusage_v1.Serviceusage;
  serviceusageBeta: import('@googleapis/serviceusage').serviceusage_v1beta1.Serviceusage;
  iap: IapClient;
  authSource: string;
}

export function googleClients(env: NodeJS.ProcessEnv = process.env, opts: { quotaProject?: string } = {}): GoogleClients {
  const roots = apiRoots(env);
  const { client: auth, source } = googleAuth(env);
  // X-Goog-User-Project makes user credentials bill the right project (gcp-api.md 1.2).
  const headers = opts.quotaProject ? { 'x-goog-user-project': opts.quotaProject } : undefined;
  // retry:false: the CLI owns retries (bounded, jittered, never blind on creates).
  const common = { auth, headers, retry: false } as const;
  return {
    iam: iam({ version: 'v1', rootUrl: roots.iam, ...common }),
    run: run({ version: 'v2', rootUrl: roots.run, ...common }),
    crmV1: cloudresourcemanager({ version: 'v1', rootUrl: roots.cloudresourcemanager, ...common }),
    crmV3: cloudresourcemanager({ version: 'v3', rootUrl: roots.cloudresourcemanager, ...common }),
    serviceusage: serviceusage({ version: 'v1', rootUrl: roots.serviceusage, ...common }),
    serviceusageBeta: serviceusage({ version: 'v1beta1', rootUrl: roots.serviceusage, ...common }),
    iap: new IapClient({ rootUrl: roots.iap, ...common }),
    authSource: source,
  };
}
