// Builds the sign-in world the way `iap-auth0 init` will: only through the real clients (Google's
// generated clients on the sandbox's env, the auth0 SDK's ManagementClient), step by step, so
// tests can stop between steps or undo one to see what breaks.
import { ManagementClient } from 'auth0';
import type { Sandbox } from '../../src/sandbox/index.js';
import type { GoogleClients } from '../../src/google/clients.js';
import { clientsFor, moveClock, waitOperation } from './sandbox.js';

export const REGION = 'europe-west1';
export const POOL = 'sandbox-pool';
export const PROVIDER = 'auth0-provider';
export const OAUTH_CLIENT = 'iap-auth0-client';
export const PLACEHOLDER_REDIRECT = 'https://placeholder.example.com/pending';
export const IAP_ACCESSOR = 'roles/iap.httpsResourceAccessor';

type Op = { name?: string | null; done?: boolean | null; error?: unknown };

export class SigninWorld {
  readonly g: GoogleClients;
  readonly mgmt: ManagementClient;
  readonly projectId: string;
  projectNumber = '';
  orgId = '';
  runtimeSa = '';
  issuer = '';
  auth0App: { client_id: string; client_secret: string } = { client_id: '', client_secret: '' };
  oauthClientName = '';
  clientId = '';
  credentialSecret = '';
  readonly serviceUris = new Map<string, string>();

  constructor(readonly sb: Sandbox) {
    this.g = clientsFor(sb);
    this.mgmt = new ManagementClient({
      domain: sb.env.AUTH0_DOMAIN,
      clientId: sb.env.AUTH0_CLIENT_ID,
      clientSecret: sb.env.AUTH0_CLIENT_SECRET,
    });
    this.projectId = sb.env.GOOGLE_CLOUD_PROJECT;
  }

  get poolName() {
    return `locations/global/workforcePools/${POOL}`;
  }
  get providerName() {
    return `${this.poolName}/providers/${PROVIDER}`;
  }
  // The formats below are written out from the reference (gcp-api.md 7.5, 2.7, 9.1, 8.2), not taken
  // from the CLI's builders, so a wrong builder cannot make its own test pass.
  get callbackUrl() {
    return (
      `${this.sb.env.IAP_AUTH0_SIGNIN_ORIGIN}/signin-callback/locations/global/workforcePools/${POOL}/providers` +
      `/${PROVIDER}`
    );
  }
  get agent() {
    return `serviceAccount:service-${this.projectNumber}@gcp-sa-iap.iam.gserviceaccount.com`;
  }
  iapResource(service: string) {
    return `projects/${this.projectNumber}/iap_web/cloud_run-${REGION}/services/${service}`;
  }
  /** IAP's redirect handler for the OAuth client's generated clientId. */
  redirectUri(clientId = this.clientId) {
    return `https://iap.googleapis.com/v1/oauth/clientIds/${clientId}:handleRedirect`;
  }
  runResource(service: string) {
    return `projects/${this.projectId}/locations/${REGION}/services/${service}`;
  }
  uri(service: string) {
    const u = this.serviceUris.get(service);
    if (!u) throw new Error(`no uri for ${service}`);
    return u;
  }
  /** Lets IAM and IAP changes reach the data path: moves the sandbox clock past the propagation window. */
  settle() {
    return moveClock(this.sb, this.sb.world.profile.iamPropagationMs + 40);
  }

  private async wait(op: Op, get: (name: string) => Promise<{ data: Op }>): Promise<Op> {
    const done = op.done ? op : await waitOperation(() => get(op.name!));
    if (done.error) throw new Error(`operation ${op.name} failed: ${JSON.stringify(done.error)}`);
    return done;
  }

  async project(): Promise<void> {
    const { data } = await this.g.crmV1.projects.get({ projectId: this.projectId });
    this.projectNumber = data.projectNumber!;
    this.orgId = data.parent?.type === 'organization' ? data.parent.id! : '';
    if (!this.orgId) throw new Error('the sandbox project should sit directly under the organization');
  }

  async enableApis(): Promise<void> {
    const { data } = await this.g.serviceusage.services.batchEnable({
      parent: `projects/${this.projectNumber}`,
      requestBody: { serviceIds: ['iam.googleapis.com', 'run.googleapis.com', 'iap.googleapis.com'] },
    });
    await this.wait(data, (name) => this.g.serviceusage.operations.get({ name }));
  }

  async generateIapAgent(): Promise<void> {
    const { data } = await this.g.serviceusageBeta.services.generateServiceIdentity({
      parent: `projects/${this.projectNumber}/services/iap.googleapis.com`,
    });
    await this.wait(data, (name) => this.g.serviceusageBeta.operations.get({ name }));
  }

  async createRuntimeSa(): Promise<void> {
    const { data } = await this.g.iam.projects.serviceAccounts.create({
      name: `projects/${this.projectId}`,
      requestBody: { accountId: 'hello-runtime', serviceAccount: { displayName: 'hello runtime' } },
    });
    this.runtimeSa = data.email!;
  }

  async createService(service: string, opts: { iapEnabled: boolean; ingress?: string }): Promise<string> {
    const { data } = await this.g.run.projects.locations.services.create({
      parent: `projects/${this.projectId}/locations/${REGION}`,
      serviceId: service,
      requestBody: {
        iapEnabled: opts.iapEnabled,
        launchStage: 'BETA',
        ingress: opts.ingress ?? 'INGRESS_TRAFFIC_ALL',
        template: {
          serviceAccount: this.runtimeSa,
          containers: [{ image: 'us-docker.pkg.dev/cloudrun/container/hello' }],
        },
      },
    });
    await this.wait(data, (name) => this.g.run.projects.locations.operations.get({ name }));
    const svc = await this.g.run.projects.locations.services.get({ name: this.runResource(service) });
    if (!svc.data.uri) throw new Error(`service ${service} has no uri`);
    this.serviceUris.set(service, svc.data.uri);
    return svc.data.uri;
  }

  async patchService(service: string, body: { iapEnabled?: boolean; ingress?: string }): Promise<void> {
    const { data } = await this.g.run.projects.locations.services.patch({
      name: this.runResource(service),
      updateMask: Object.keys(body).join(','),
      requestBody: body,
    });
    await this.wait(data, (name) => this.g.run.projects.locations.operations.get({ name }));
  }

  /** Read-modify-write of the Cloud Run service's IAM policy. */
  async runInvoker(service: string, member: string, grant: boolean): Promise<void> {
    const resource = this.runResource(service);
    const { data: policy } = await this.g.run.projects.locations.services.getIamPolicy({ resource });
    policy.bindings = edit(policy.bindings ?? [], 'roles/run.invoker', member, grant);
    await this.g.run.projects.locations.services.setIamPolicy({ resource, requestBody: { policy } });
  }

  async createAuth0App(callbacks = [this.callbackUrl]): Promise<void> {
    const app = await this.mgmt.clients.create({
      name: `IAP (iap-auth0) ${POOL}/${PROVIDER}`,
      app_type: 'regular_web',
      is_first_party: true,
      oidc_conformant: true,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      jwt_configuration: { alg: 'RS256' },
      callbacks,
    });
    this.auth0App = { client_id: app.client_id!, client_secret: app.client_secret! };
  }

  async setAuth0Callbacks(callbacks: string[]): Promise<void> {
    await this.mgmt.clients.update(this.auth0App.client_id, { callbacks });
  }

  async discoverIssuer(): Promise<string> {
    const d = (await (await fetch(`https://${this.sb.env.AUTH0_DOMAIN}/.well-known/openid-configuration`)).json()) as {
      issuer: string;
    };
    this.issuer = d.issuer;
    return d.issuer;
  }

  providerBody(over: { issuerUri?: string; attributeCondition?: string } = {}) {
    return {
      displayName: 'Auth0',
      disabled: false,
      attributeMapping: {
        'google.subject': 'assertion.sub',
        'google.email': 'assertion.email',
        'google.groups': 'assertion["https://iap-auth0.dev/groups"]',
      },
      attributeCondition: over.attributeCondition ?? '',
      oidc: {
        issuerUri: over.issuerUri ?? this.issuer,
        clientId: this.auth0App.client_id,
        clientSecret: { value: { plainText: this.auth0App.client_secret } },
        webSsoConfig: {
          responseType: 'CODE',
          assertionClaimsBehavior: 'MERGE_USER_INFO_OVER_ID_TOKEN_CLAIMS',
          additionalScopes: ['email', 'profile'],
        },
      },
    };
  }

  async createPoolAndProvider(): Promise<void> {
    const pool = await this.g.iam.locations.workforcePools.create({
      location: 'locations/global',
      workforcePoolId: POOL,
      requestBody: { parent: `organizations/${this.orgId}`, displayName: 'Sandbox pool', sessionDuration: '3600s' },
    });
    await this.wait(pool.data, (name) => this.g.iam.locations.workforcePools.operations.get({ name }));
    const prov = await this.g.iam.locations.workforcePools.providers.create({
      parent: this.poolName,
      workforcePoolProviderId: PROVIDER,
      requestBody: this.providerBody(),
    });
    await this.wait(prov.data, (name) => this.g.iam.locations.workforcePools.providers.operations.get({ name }));
  }

  async patchProvider(body: ReturnType<SigninWorld['providerBody']>, updateMask: string): Promise<void> {
    const { data } = await this.g.iam.locations.workforcePools.providers.patch({
      name: this.providerName,
      updateMask,
      requestBody: body,
    });
    await this.wait(data, (name) => this.g.iam.locations.workforcePools.providers.operations.get({ name }));
  }

  /** Creates the IAM OAuth client with a placeholder redirect URI (the documented two-step flow). */
  async createOauthClient(): Promise<void> {
    const { data } = await this.g.iam.projects.locations.oauthClients.create({
      parent: `projects/${this.projectId}/locations/global`,
      oauthClientId: OAUTH_CLIENT,
      requestBody: {
        clientType: 'CONFIDENTIAL_CLIENT',
        allowedGrantTypes: ['AUTHORIZATION_CODE_GRANT'],
        allowedScopes: ['https://www.googleapis.com/auth/cloud-platform'],
        allowedRedirectUris: [PLACEHOLDER_REDIRECT],
        displayName: 'iap-auth0',
      },
    });
    this.oauthClientName = data.name!;
    this.clientId = data.clientId!;
  }

  async setRedirectUris(uris: string[]): Promise<void> {
    await this.g.iam.projects.locations.oauthClients.patch({
      name: this.oauthClientName,
      updateMask: 'allowedRedirectUris',
      requestBody: { allowedRedirectUris: uris },
    });
  }

  async createCredential(): Promise<void> {
    const { data } = await this.g.iam.projects.locations.oauthClients.credentials.create({
      parent: this.oauthClientName,
      oauthClientCredentialId: 'iap-secret',
      requestBody: { displayName: 'iap-secret', disabled: false },
    });
    this.credentialSecret = data.clientSecret!;
  }

  /** Full replace (no update mask), as terraform does. */
  async setIapSettings(
    service: string,
    secret = this.credentialSecret,
    applicationSettings?: Record<string, unknown>,
  ): Promise<void> {
    await this.g.iap.updateIapSettings({
      name: this.iapResource(service),
      requestBody: {
        name: this.iapResource(service),
        accessSettings: {
          identitySources: ['WORKFORCE_IDENTITY_FEDERATION'],
          workforceIdentitySettings: {
            workforcePools: [this.poolName],
            oauth2: { clientId: this.clientId, clientSecret: secret },
          },
        },
        ...(applicationSettings ? { applicationSettings } : {}),
      },
    });
  }

  async iapAccess(service: string, member: string, grant: boolean): Promise<void> {
    const resource = this.iapResource(service);
    const { data: policy } = await this.g.iap.getIamPolicy({
      resource,
      requestBody: { options: { requestedPolicyVersion: 3 } },
    });
    policy.bindings = edit(policy.bindings ?? [], IAP_ACCESSOR, member, grant);
    await this.g.iap.setIamPolicy({ resource, requestBody: { policy } });
  }

  /** The whole setup in init's order, for service `service` behind IAP. */
  async all(service = 'hello'): Promise<void> {
    await this.project();
    await this.enableApis();
    await this.generateIapAgent();
    await this.createRuntimeSa();
    await this.createService(service, { iapEnabled: true });
    await this.runInvoker(service, this.agent, true);
    await this.createAuth0App();
    await this.discoverIssuer();
    await this.createPoolAndProvider();
    await this.createOauthClient();
    await this.setRedirectUris([this.redirectUri()]);
    await this.createCredential();
    await this.setIapSettings(service);
    await this.iapAccess(service, `principalSet://iam.googleapis.com/${this.poolName}/*`, true);
    await this.settle();
  }
}

function edit<B extends { role?: string | null; members?: string[] | null }>(
  bindings: B[],
  role: string,
  member: string,
  grant: boolean,
): B[] {
  const out = bindings.map((b) => ({ ...b, members: [...(b.members ?? [])] }));
  let b = out.find((x) => x.role === role);
  if (grant) {
    if (!b) {
      b = { role, members: [] } as unknown as B & { members: string[] };
      out.push(b);
    }
    if (!b.members!.includes(member)) b.members!.push(member);
  } else if (b) {
    b.members = b.members!.filter((m) => m !== member);
  }
  return out.filter((x) => (x.members ?? []).length > 0);
}
