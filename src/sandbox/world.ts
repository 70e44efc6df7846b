// Everything the sandbox knows: the seeded organization and projects, and every resource the
// emulated APIs create. One World per sandbox; the HTTP layers in google/, auth0/ and frontdoor/
// read and change it. Secrets that the real services keep (provider client secret, IAP OAuth
// secret, credential secret, Auth0 client secrets, user passwords) live here because the sandbox
// has to check them, but `snapshot()` never includes them.
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import { Clock } from './core/clock.js';
import { Operations } from './core/operations.js';
import { PolicyStore, type Policy } from './core/policies.js';
import { FaultInjector, type ApiName, type FaultSpec } from './core/faults.js';
import type { Profile } from './core/profile.js';
import { seedDirectory } from './auth0/directory.js';
import { ActionStore, type ActionExecution } from './auth0/actions-model.js';

export interface Project {
  projectId: string;
  projectNumber: string;
  name: string;
  parent?: { type: 'organization' | 'folder'; id: string };
  createTime: string;
}
export interface Folder {
  id: string;
  parent: string /* organizations/N or folders/N */;
}

export interface EnabledService {
  state: 'ENABLED' | 'DISABLED';
  enabledAt: number;
}

export interface ServiceAccount {
  projectId: string;
  accountId: string;
  email: string;
  uniqueId: string;
  displayName?: string;
  description?: string;
  disabled: boolean;
  etag: string;
  oauth2ClientId: string;
  createdAt: number;
}

export interface WorkforcePool {
  poolId: string;
  parent: string;
  displayName?: string;
  description?: string;
  sessionDuration: string;
  disabled: boolean;
  state: 'ACTIVE' | 'DELETED';
  expireTime?: string;
  deletedAt?: number;
  accessRestrictions?: unknown;
  createdAt: number;
}

export interface WorkforceProvider {
  poolId: string;
  providerId: string;
  displayName?: string;
  description?: string;
  disabled: boolean;
  state: 'ACTIVE' | 'DELETED';
  expireTime?: string;
  deletedAt?: number;
  attributeMapping: Record<string, string>;
  attributeCondition?: string;
  oidc: {
    issuerUri: string;
    clientId: string;
    /** Plaintext kept only so the sign-in emulation can use it; the API returns the thumbprint. */
    clientSecretPlain?: string;
    clientSecretThumbprint?: string;
    webSsoConfig?: { responseType?: string; assertionClaimsBehavior?: string; additionalScopes?: string[] };
  };
  /** Set instead of a usable `oidc` for SAML providers (stored and returned, not used for sign-in). */
  saml?: { idpMetadataXml: string };
  createdAt: number;
}

export interface OauthClient {
  projectNumber: string;
  projectRef: string /* id used in the name */;
  oauthClientId: string;
  clientId: string;
  clientType: string;
  allowedGrantTypes: string[];
  allowedScopes: string[];
  allowedRedirectUris: string[];
  displayName?: string;
  description?: string;
  disabled: boolean;
  state: 'ACTIVE' | 'DELETED';
  expireTime?: string;
  deletedAt?: number;
  createdAt: number;
}

export interface OauthCredential {
  clientKey: string /* projectNumber/oauthClientId */;
  credentialId: string;
  projectRef: string;
  oauthClientId: string;
  clientSecret: string;
  displayName?: string;
  disabled: boolean;
  createdAt: number;
}

/** A Cloud Run v2 service in wire form plus bookkeeping. */
export interface RunService {
  key: string /* projectNumber/region/serviceId */;
  projectNumber: string;
  projectRef: string;
  region: string;
  serviceId: string;
  resource: Record<string, unknown> /* the GoogleCloudRunV2Service JSON as GET returns it */;
  deleting?: boolean;
}

export interface IapSettingsRecord {
  name: string;
  /** IapSettings JSON as stored; oauth2.clientSecret is removed and clientSecretSha256 kept. */
  settings: Record<string, unknown>;
  /** The plaintext secret last written, kept so the sign-in emulation can compare it. */
  oauth2SecretPlain?: string;
}

/** An organization policy as the Org Policy API v2 stores it (rules kept as sent). */
export interface OrgPolicyRecord {
  name: string;
  spec?: {
    rules?: Record<string, any>[];
    inheritFromParent?: boolean;
    reset?: boolean;
    etag: string;
    updateTime: string;
  };
  etag: string;
}

export interface Auth0Client {
  client_id: string;
  client_secret: string;
  name: string;
  description?: string;
  app_type?: string;
  is_first_party: boolean;
  oidc_conformant: boolean;
  token_endpoint_auth_method: string;
  grant_types: string[];
  callbacks: string[];
  web_origins: string[];
  allowed_origins: string[];
  allowed_logout_urls: string[];
  initiate_login_uri?: string;
  jwt_configuration: { alg: string; lifetime_in_seconds?: number; secret_encoded?: boolean };
  client_metadata: Record<string, string>;
  [extra: string]: unknown;
}
/** A custom domain as GET /api/v2/custom-domains answers it. */
export interface Auth0CustomDomain {
  custom_domain_id: string;
  domain: string;
  primary: boolean;
  is_default?: boolean;
  status: 'pending_verification' | 'ready' | 'failed' | 'disabled' | 'pending';
  type: 'auth0_managed_certs' | 'self_managed_certs';
  origin_domain_name?: string;
  verification?: Record<string, unknown>;
  custom_client_ip_header?: string | null;
  tls_policy?: string;
}
export interface Auth0User {
  user_id: string;
  email: string;
  /** Kept so the login page can check it; never in snapshot(). */
  password: string;
  name: string;
  email_verified: boolean;
  /** The name of the connection the user belongs to (auth0/directory.ts). */
  connection: string;
  /**
   * Groups the user's enterprise connection sends (Entra ID's "Get user groups"), which post-login
   * Actions read as `event.user.groups`. Database users have none.
   */
  groups?: string[];
  nickname?: string;
  picture?: string;
  username?: string;
  given_name?: string;
  family_name?: string;
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
  blocked?: boolean;
  created_at: string;
  updated_at: string;
}
export interface Auth0Connection {
  id: string;
  name: string;
  strategy: string;
  enabled_clients: string[];
}
/** An Auth0 RBAC role and the users who hold it directly (in assignment order). */
export interface Auth0Role {
  id: string;
  name: string;
  description?: string;
  users: string[];
}

export interface RequestRecord {
  seq: number;
  at: number;
  api: ApiName | 'signin' | 'frontdoor' | 'tokeninfo';
  method: string;
  path: string;
  status: number;
  mutating: boolean;
  /** The change was made but its answer was replaced by 503 (fault `lost`) or a reset connection. */
  lost?: boolean;
  /** A network fault: the connection was reset, or the request was never answered (status 0). */
  fault?: 'reset' | 'hang';
  /** Auth0: the request came to the tenant's custom domain, not to its own. */
  customDomain?: boolean;
}

export interface FrontDoorHost {
  /** Opens (or reuses) the listener that serves the service's uri; returns the uri. */
  open(serviceKey: string): Promise<string>;
  close(serviceKey: string): Promise<void>;
}

export interface WorldSeed {
  seed: number;
  profile: Profile;
  faults: FaultSpec;
  emulation?: Partial<Emulation>;
}

/**
 * Where the public record is silent, the sandbox can play each plausible answer (docs/SANDBOX.md,
 * "Assumptions"): what Google's workforce sign-in does after /authorize, and whether workforce
 * settings written on a Cloud Run service (rather than the project) take effect.
 */
export const SIGNIN_HOPS = ['direct', 'signin-path', 'chooser'] as const;
export const IAP_SERVICE_SETTINGS = ['applied', 'ignored'] as const;
export interface Emulation {
  /** direct: /authorize → the IdP; signin-path: → /signin/{provider} first; chooser: a provider chooser page first. */
  signinHops: (typeof SIGNIN_HOPS)[number];
  /** ignored: workforce fields set below the project level (service, cloud_run-REGION) never reach the data path. */
  iapServiceSettings: (typeof IAP_SERVICE_SETTINGS)[number];
}

/** Validates emulation choices (startSandbox options, POST /emulation). */
export function emulationFrom(
  o: Partial<Record<keyof Emulation, unknown>> = {},
  base: Emulation = { signinHops: 'direct', iapServiceSettings: 'applied' },
): Emulation {
  const pick = <T extends readonly string[]>(name: string, allowed: T, v: unknown, dflt: T[number]): T[number] => {
    if (v === undefined) return dflt;
    if (typeof v !== 'string' || !allowed.includes(v)) throw new Error(`${name}: use one of ${allowed.join(', ')}`);
    return v as T[number];
  };
  return {
    signinHops: pick('signinHops', SIGNIN_HOPS, o.signinHops, base.signinHops),
    iapServiceSettings: pick('iapServiceSettings', IAP_SERVICE_SETTINGS, o.iapServiceSettings, base.iapServiceSettings),
  };
}

export const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');
export const randomDigits = (n: number) =>
  Array.from(randomBytes(n), (b) => String(b % 10))
    .join('')
    .replace(/^0/, '1');

export class World {
  readonly clock = new Clock();
  readonly operations: Operations;
  readonly policies: PolicyStore;
  readonly faults: FaultInjector;
  profile: Profile;
  /**
   * The answers the sandbox plays where the record is silent (see Emulation); changeable at run time (POST /emulation).
   */
  emulation: Emulation;

  // --- seeded identity -----------------------------------------------------------------
  /** The organization, its domain and its directory (Cloud Identity) customer id. */
  readonly organization = { id: '123456789012', displayName: 'sandbox.example', directoryCustomerId: 'C0sandbox' };
  readonly folders = new Map<string, Folder>();
  readonly projects = new Map<string, Project>(); // by projectId
  /** Bearer tokens the Google APIs accept; value = the principal they act as. */
  readonly googleTokens = new Map<string, { principal: string; deniedPermissions: Set<string> }>();
  readonly accessToken = 'ya29.sandbox-' + randomBytes(18).toString('base64url');

  // --- Google resources --------------------------------------------------------------------
  readonly services = new Map<string, Map<string, EnabledService>>(); // projectNumber -> service -> state
  readonly serviceIdentities = new Map<string, { email: string; uniqueId: string }>(); // `${number}/${service}`
  /** When each service identity was first generated (its consistency window starts there). */
  readonly serviceIdentityTimes = new Map<string, number>(); // same keys as serviceIdentities
  readonly serviceAccounts = new Map<string, ServiceAccount>(); // by email
  readonly pools = new Map<string, WorkforcePool>(); // by poolId (global)
  readonly providers = new Map<string, WorkforceProvider>(); // `${pool}/${provider}`
  readonly oauthClients = new Map<string, OauthClient>(); // `${projectNumber}/${oauthClientId}`
  readonly credentials = new Map<string, OauthCredential>(); // `${clientKey}/${credentialId}`
  readonly runServices = new Map<string, RunService>(); // `${projectNumber}/${region}/${serviceId}`
  readonly iapSettings = new Map<string, IapSettingsRecord>(); // by IAP resource name (numbers)
  /** Organization policies (Org Policy API v2) by name, projects always by number: `projects/N/policies/C`. */
  readonly orgPolicies = new Map<string, OrgPolicyRecord>();
  /**
   * Whether domain-restricted sharing refuses workforce pool principals. Open question (L): the
   * record does not say; refusing them is the harsher answer and the default.
   */
  drsBlocksWorkforce = true;
  /** Every write of each IAP resource's settings with its time, for the propagation delay. */
  private readonly iapSettingsHistory = new Map<string, { at: number; record?: IapSettingsRecord }[]>();

  // --- Auth0 ---------------------------------------------------------------------------------
  readonly auth0Clients = new Map<string, Auth0Client>();
  readonly auth0Users: Auth0User[] = [];
  readonly auth0Connections: Auth0Connection[] = [];
  readonly auth0Roles: Auth0Role[] = [];
  /** Actions, their versions and the triggers' bindings (auth0/actions-model.ts). */
  readonly auth0Actions: ActionStore;
  /** What the post-login Actions did at each sign-in, newest last (auth0/post-login.ts). */
  readonly auth0ActionExecutions: ActionExecution[] = [];
  /** The tenant's custom domains (one, ready, with startSandbox({ auth0CustomDomain: true })). */
  readonly auth0CustomDomains: Auth0CustomDomain[] = [];
  /** The machine-to-machine app the CLI uses; its grants decide which Management API calls pass. */
  readonly auth0M2M = {
    client_id: randomBytes(16).toString('base64url'),
    client_secret: randomBytes(32).toString('base64url'),
    scopes: new Set([
      'read:clients',
      'create:clients',
      'update:clients',
      'delete:clients',
      'read:client_keys',
      'read:connections',
      'read:custom_domains',
      // Users, roles and Actions (the scopes Auth0's reference lists for each route: auth0/users-roles.ts, actions.ts).
      'read:users',
      'create:users',
      'read:roles',
      'create:roles',
      'update:roles',
      'delete:roles',
      'read:role_members',
      'create:role_members',
      'delete:role_members',
      'read:actions',
      'create:actions',
      'update:actions',
      'delete:actions',
    ]),
  };

  // --- runtime -----------------------------------------------------------------------------------
  /**
   * Every secret and bearer token the sandbox ever handed out (client secrets, credential secrets,
   * access tokens), kept after the thing is deleted, so tests can prove none leaked anywhere.
   */
  readonly issuedSecrets = new Set<string>();
  readonly requests: RequestRecord[] = [];
  private seq = 0;
  frontDoors?: FrontDoorHost;
  /** Set by the sandbox once listening: public origins of each part. */
  readonly origins: Record<string, string> = {};

  constructor(opts: WorldSeed) {
    this.profile = opts.profile;
    this.emulation = emulationFrom(opts.emulation);
    this.operations = new Operations(this.clock);
    this.policies = new PolicyStore(this.clock);
    this.faults = new FaultInjector(opts.faults, opts.seed);
    this.auth0Actions = new ActionStore(this.clock, () => this.profile.actions);
    this.issuedSecrets.add(this.accessToken).add(this.auth0M2M.client_secret);
    this.seed();
  }

  private seed(): void {
    const now = this.clock.iso();
    this.folders.set('345678901234', { id: '345678901234', parent: `organizations/${this.organization.id}` });
    const add = (p: Project) => {
      this.projects.set(p.projectId, p);
      this.services.set(p.projectNumber, new Map());
    };
    // The project the sandbox hands out: directly under the organization.
    add({
      projectId: 'sandbox-project',
      projectNumber: '415104041262',
      name: 'Sandbox project',
      parent: { type: 'organization', id: this.organization.id },
      createTime: now,
    });
    // One under a folder (organization found through getAncestry) and one with no organization at all.
    add({
      projectId: 'sandbox-folder-project',
      projectNumber: '628205712753',
      name: 'Project in a folder',
      parent: { type: 'folder', id: '345678901234' },
      createTime: now,
    });
    add({
      projectId: 'sandbox-no-org',
      projectNumber: '985566250549',
      name: 'Project without organization',
      createTime: now,
    });
    // A new project has Service Usage and Resource Manager on; IAM, Run and IAP must be enabled.
    for (const p of this.projects.values()) {
      for (const s of ['serviceusage.googleapis.com', 'cloudresourcemanager.googleapis.com']) {
        this.services.get(p.projectNumber)!.set(s, { state: 'ENABLED', enabledAt: 0 });
      }
    }
    this.googleTokens.set(this.accessToken, {
      principal: 'user:developer@sandbox.example',
      deniedPermissions: new Set(),
    });
    // The developer owns every project, as a person running the wizard on their own project would.
    for (const p of this.projects.values()) {
      this.policies.set(`crm:projects/${p.projectNumber}`, {
        bindings: [{ role: 'roles/owner', members: ['user:developer@sandbox.example'] }],
      });
    }
    // Auth0: the connections, test users and roles (auth0/directory.ts).
    seedDirectory(this);
  }

  get testUser(): Auth0User {
    return this.auth0Users[0];
  }
  get mainProject(): Project {
    return this.projects.get('sandbox-project')!;
  }

  /** Finds a project by id or number. */
  project(ref: string): Project | undefined {
    const byId = this.projects.get(ref);
    if (byId) return byId;
    for (const p of this.projects.values()) if (p.projectNumber === ref) return p;
    return undefined;
  }

  /** The organization that contains a project (walking folders), if any. */
  organizationOf(p: Project): string | undefined {
    if (!p.parent) return undefined;
    if (p.parent.type === 'organization') return p.parent.id;
    let parent = this.folders.get(p.parent.id)?.parent;
    while (parent?.startsWith('folders/')) parent = this.folders.get(parent.slice(8))?.parent;
    return parent?.startsWith('organizations/') ? parent.slice(14) : undefined;
  }

  /** True when the API is enabled and the enablement has propagated. */
  serviceEnabled(projectNumber: string, service: string): boolean {
    const s = this.services.get(projectNumber)?.get(service);
    return !!s && s.state === 'ENABLED' && this.clock.now() >= s.enabledAt + this.profile.enablePropagationMs;
  }

  newUniqueId(): string {
    return randomDigits(21);
  }
  newUuid(): string {
    return randomUUID();
  }

  /** Crash testing: SIGKILL `pid` right after the `count`-th mutating request from now. */
  killAfter?: { count: number; pid: number; seen: number };

  record(r: Omit<RequestRecord, 'seq' | 'at'>): RequestRecord {
    const rec = { ...r, seq: ++this.seq, at: this.clock.now() };
    this.requests.push(rec);
    const k = this.killAfter;
    if (k && rec.mutating && rec.status < 400 && ++k.seen === k.count) {
      this.killAfter = undefined;
      // After the change was made and its answer handed to the socket, as a crash would be.
      setImmediate(() => {
        try {
          process.kill(k.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      });
    }
    return rec;
  }

  /** All resources, without secrets: the inspection endpoint's answer. */
  /** Other admins' edits that land right after the next read of a policy (control POST /race). */
  readonly policyRaces = new Map<string, { role: string; member: string }[]>();

  /**
   * A policy as getIamPolicy answers it. A queued race edit is applied right after the read, so
   * the reader's etag is stale by the time it writes (409 ABORTED): the concurrent-edit case.
   */
  readPolicy(key: string): Policy {
    const read = this.policies.get(key);
    const edit = this.policyRaces.get(key)?.shift();
    if (edit) {
      const bindings = [...(read.bindings ?? [])].map((b) => ({ ...b, members: [...b.members] }));
      const b = bindings.find((x) => x.role === edit.role && !x.condition);
      if (b) b.members.push(edit.member);
      else bindings.push({ role: edit.role, members: [edit.member] });
      this.policies.set(key, { ...read, bindings });
    }
    return read;
  }

  /** Stores (or, with undefined, clears) an IAP resource's settings, remembering when. */
  setIapSettings(name: string, record: IapSettingsRecord | undefined): void {
    if (record) this.iapSettings.set(name, record);
    else this.iapSettings.delete(name);
    const h = this.iapSettingsHistory.get(name) ?? [];
    h.push({ at: this.clock.now(), record: record && structuredClone(record) });
    this.iapSettingsHistory.set(name, h);
  }

  /**
   * The settings the data path sees: the last write at least `delayMs` old (assumption: IAP
   * settings reach the proxy on the same schedule as IAM changes, "a minute or two" after an
   * update, gcp-api.md 11). Settings placed in the map directly count as long propagated.
   */
  iapSettingsAsOf(name: string, delayMs: number): IapSettingsRecord | undefined {
    const h = this.iapSettingsHistory.get(name);
    if (!h) return this.iapSettings.get(name);
    const cutoff = this.clock.now() - delayMs;
    let seen: IapSettingsRecord | undefined;
    for (const v of h) {
      if (v.at > cutoff) break;
      seen = v.record;
    }
    return seen;
  }

  snapshot(): Record<string, unknown> {
    const strip = <T extends object>(o: T, keys: string[]) =>
      Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
    return {
      emulation: this.emulation,
      organization: this.organization,
      projects: [...this.projects.values()],
      services: Object.fromEntries(
        [...this.services].map(([n, m]) => [n, Object.fromEntries([...m].map(([s, v]) => [s, v.state]))]),
      ),
      serviceIdentities: Object.fromEntries(this.serviceIdentities),
      serviceAccounts: [...this.serviceAccounts.values()],
      workforcePools: [...this.pools.values()],
      workforceProviders: [...this.providers.values()].map((p) => ({
        ...p,
        oidc: strip(p.oidc, ['clientSecretPlain']),
      })),
      oauthClients: [...this.oauthClients.values()],
      oauthCredentials: [...this.credentials.values()].map((c) => ({
        ...strip(c, ['clientSecret']),
        clientSecretSha256: sha256Hex(c.clientSecret),
      })),
      runServices: [...this.runServices.values()].map((s) => s.resource),
      iapSettings: [...this.iapSettings.values()].map((s) => s.settings),
      orgPolicies: [...this.orgPolicies.values()],
      iamPolicies: Object.fromEntries(this.policies.resources().map((r) => [r, this.policies.get(r)])),
      auth0Clients: [...this.auth0Clients.values()].map((c) => strip(c, ['client_secret'])),
      auth0Connections: this.auth0Connections,
      auth0Users: this.auth0Users.map((u) => strip(u, ['password'])),
      auth0Roles: this.auth0Roles,
      ...this.auth0Actions.snapshot(),
      auth0ActionExecutions: this.auth0ActionExecutions,
      auth0CustomDomains: this.auth0CustomDomains,
      operations: this.operations.list().map((o) => ({ name: o.name, api: o.api, done: o.done, error: o.error })),
    };
  }
}
