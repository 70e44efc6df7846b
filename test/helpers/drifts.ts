// The drifts `verify` knows, in one table: how another admin causes each one behind iap-auth0's
// back (through Google's generated clients and the Auth0 SDK, pointed at the sandbox), what verify
// then reports, and what init's repair writes. test/verify.test.ts checks that verify reports each
// one and init repairs it; test/plan-equals-writes.test.ts checks that the repair's plan is exactly
// what init writes. A drift added here is checked by both.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ManagementClient } from 'auth0';
import type { Sandbox } from '../../src/sandbox/index.js';
import { clientsFor, waitOperation } from './sandbox.js';

/** What a drift is made with: the clients, and the resources the state file in `cwd` records. */
export interface DriftTools {
  g: ReturnType<typeof clientsFor>;
  mgmt: ManagementClient;
  /** A resource of the setup, as its state file records it. */
  res: (stage: string, key: string) => string;
}

export interface Drift {
  name: string;
  /** Makes the drift, as another admin would. */
  cause: (t: DriftTools) => Promise<unknown>;
  /**
   * What verify reports: the check that fails, its detail, and (when the drift breaks sign-in in a
   * way the probe sees) the sign-in probe's detail.
   */
  verify: { check: string; detail: RegExp; probe?: RegExp };
  /** The writes init's repair makes, named as plan-equals-writes names them (`<subject> <verb>`). */
  repair: string[];
}

/** The tools for the setup whose state file is in `cwd`, read now (a drift changes no recorded name). */
export async function driftTools(sb: Sandbox, cwd: string): Promise<DriftTools> {
  const state = JSON.parse(await readFile(path.join(cwd, '.iap-auth0', 'state.json'), 'utf8'));
  return {
    g: clientsFor(sb),
    mgmt: new ManagementClient({
      domain: sb.env.AUTH0_DOMAIN,
      clientId: sb.env.AUTH0_CLIENT_ID,
      clientSecret: sb.env.AUTH0_CLIENT_SECRET,
    }),
    res: (stage, key) => state.stages[stage].resources[key],
  };
}

/** The service's invoker bindings edited: `edit` gets the bindings and returns the new ones. */
async function editInvokers({ g, res }: DriftTools, edit: (bindings: any[]) => any[]): Promise<void> {
  const run = g.run.projects.locations.services;
  const p = (await run.getIamPolicy({ resource: res('deploy', 'service') })).data;
  await run.setIamPolicy({
    resource: res('deploy', 'service'),
    requestBody: { policy: { ...p, bindings: edit(p.bindings ?? []) } },
  });
}

/** Every drift verify knows, in the order the tests make them (each is repaired before the next). */
export const DRIFTS: Drift[] = [
  {
    name: 'a changed redirect URI',
    verify: { check: 'oauth-client', detail: /lack IAP's handler/, probe: /redirect_uri_mismatch/ },
    repair: ['client update'],
    cause: ({ g, res }) =>
      g.iam.projects.locations.oauthClients.patch({
        name: res('oauth-client', 'oauthClient'),
        updateMask: 'allowedRedirectUris',
        requestBody: {
          allowedRedirectUris: ['https://iap.googleapis.com/v1/oauth/clientIds/someone-else:handleRedirect'],
        },
      }),
  },
  {
    name: 'a disabled credential',
    verify: { check: 'oauth-credential', detail: /is disabled/ },
    repair: ['credential update'],
    cause: ({ g, res }) =>
      g.iam.projects.locations.oauthClients.credentials.patch({
        name: res('oauth-client', 'credential'),
        updateMask: 'disabled',
        requestBody: { disabled: true },
      }),
  },
  {
    name: 'a deleted credential (a new one, and its secret in the IAP settings)',
    verify: { check: 'oauth-credential', detail: /no longer exists: IAP cannot redeem sign-in codes/ },
    repair: ['credential create', 'settings update'],
    cause: async ({ g, res }) => {
      // Google refuses to delete an enabled credential: disabled first, as a person would.
      const credentials = g.iam.projects.locations.oauthClients.credentials;
      await credentials.patch({
        name: res('oauth-client', 'credential'),
        updateMask: 'disabled',
        requestBody: { disabled: true },
      });
      await credentials.delete({ name: res('oauth-client', 'credential') });
    },
  },
  {
    name: 'IAP switched off',
    verify: {
      check: 'run-service',
      detail: /IAP is switched off/,
      probe: /Cloud Run answered 403 Forbidden before any sign-in/,
    },
    repair: ['service update'],
    cause: async ({ g, res }) => {
      const op = (
        await g.run.projects.locations.services.patch({
          name: res('deploy', 'service'),
          updateMask: 'iapEnabled',
          requestBody: { iapEnabled: false },
        })
      ).data;
      await waitOperation(() => g.run.projects.locations.operations.get({ name: op.name! }));
    },
  },
  {
    name: 'a removed access binding',
    verify: { check: 'access-binding', detail: /no longer holds roles\/iap\.httpsResourceAccessor/ },
    repair: ['access setIamPolicy'],
    cause: async ({ g, res }) => {
      const resource = res('access', 'iapResource');
      const p = (await g.iap.getIamPolicy({ resource })).data;
      await g.iap.setIamPolicy({
        resource,
        requestBody: {
          policy: { ...p, bindings: (p.bindings ?? []).filter((b) => b.role !== 'roles/iap.httpsResourceAccessor') },
        },
      });
    },
  },
  {
    name: 'an Auth0 callback edited away',
    verify: {
      check: 'auth0-app',
      detail: /is not in the app's Allowed Callback URLs/,
      probe: /Auth0 answers "Callback URL mismatch"/,
    },
    repair: ['app update'],
    cause: ({ mgmt, res }) =>
      mgmt.clients.update(res('auth0-app', 'clientId'), { callbacks: ['https://example.com/callback'] }),
  },
  {
    name: 'a provider pointing at another issuer',
    verify: { check: 'workforce-provider', detail: /must match byte for byte/ },
    repair: ['provider update'],
    cause: ({ g, res }) =>
      g.iam.locations.workforcePools.providers.patch({
        name: res('workforce-pool', 'provider'),
        updateMask: 'oidc.issuerUri',
        requestBody: { oidc: { issuerUri: 'https://other-tenant.example.com/' } },
      }),
  },
  {
    name: 'a public invoker',
    verify: { check: 'no-public-invoker', detail: /allUsers may invoke the service/ },
    repair: ['invoker setIamPolicy'],
    cause: (t) => editInvokers(t, (b) => [...b, { role: 'roles/run.invoker', members: ['allUsers'] }]),
  },
  {
    name: 'the IAP agent losing run.invoker',
    verify: { check: 'iap-agent-invoker', detail: /lost roles\/run\.invoker/ },
    repair: ['invoker setIamPolicy'],
    cause: (t) => editInvokers(t, (b) => b.filter((x) => x.role !== 'roles/run.invoker')),
  },
  {
    name: 'IAP settings no longer on workforce identity',
    verify: { check: 'iap-settings', detail: /does not use workforce identity/ },
    repair: ['settings update'],
    cause: ({ g, res }) =>
      g.iap.updateIapSettings({
        name: res('iap-settings', 'iapResource'),
        updateMask: 'iapSettings.accessSettings.identitySources',
        requestBody: { name: res('iap-settings', 'iapResource'), accessSettings: { identitySources: [] } },
      }),
  },
];
