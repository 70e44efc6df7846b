// The sandbox: a local Google Cloud (Service Usage, Resource Manager, IAM, Cloud Run, IAP), an
// Auth0 tenant and the browser sign-in chain (front doors, workforce sign-in origin, IAP's
// redirect handler), all on loopback with free ports. Usable in-process (tests, demo) and as the
// `iap-auth0 sandbox` command.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { World, emulationFrom, type Emulation } from './world.js';
import { googleApiHandler, listen, type Listener } from './core/http.js';
import { tokenInfoHandler } from './google/tokeninfo.js';
import { parseFaultSpec } from './core/faults.js';
import { profileByName, withConsistency, type ConsistencyKind } from './core/profile.js';
import { createTls } from './core/tls.js';
import { serviceUsageRouter } from './google/serviceusage.js';
import { crmRouter } from './google/crm.js';
import { iamRouter } from './google/iam.js';
import { runRouter } from './google/run.js';
import { iapRouter } from './google/iap.js';
import { orgPolicyRouter } from './google/orgpolicy.js';
import { seedDomainRestriction } from './google/org-policies.js';
import { startAuth0 } from './auth0/server.js';
import { startBrowserChain } from './frontdoor/index.js';
import { controlHandler } from './control.js';

export interface SandboxOptions {
  profile?: 'fast' | 'realistic';
  /** Fault SPEC, see core/faults.ts. */
  faults?: string;
  seed?: number;
  /** Folder for the CA file; a temporary folder (removed on stop) by default. */
  dir?: string;
  /** Folder holding a CA to reuse (created there when missing); see core/tls.ts. */
  caDir?: string;
  /** Overrides the profile's IAM/IAP propagation delay (to rehearse `verify --wait`). */
  propagationMs?: number;
  /**
   * Overrides the profile's eventual-consistency windows after a create (all of them, or some by
   * kind): how long a new service account, OAuth client or credential, or service agent stays unusable.
   */
  consistencyMs?: number | Partial<Record<ConsistencyKind, number>>;
  /** Organization policies the organization enforces from the start (only iam.allowedPolicyMemberDomains is known). */
  orgPolicies?: OrgConstraint[];
  /** What the workforce sign-in does after /authorize (default direct); see World.emulation. */
  signinHops?: Emulation['signinHops'];
  /** Whether workforce IAP settings on a service take effect (default applied); see World.emulation. */
  iapServiceSettings?: Emulation['iapServiceSettings'];
  /**
   * Gives the Auth0 tenant a ready custom domain on a second loopback origin: discovery,
   * /authorize, Universal Login and tokens there carry iss = that origin; the Management API
   * stays the tenant's (AUTH0_DOMAIN). See docs/SANDBOX.md "Auth0 custom domain".
   */
  auth0CustomDomain?: boolean;
}

/** The organization policy constraints the sandbox can enforce. */
export const ORG_CONSTRAINTS = ['iam.allowedPolicyMemberDomains'] as const;
export type OrgConstraint = (typeof ORG_CONSTRAINTS)[number];

export interface Sandbox {
  world: World;
  /** The KEY=VALUE environment a client needs to use this sandbox. */
  env: Record<string, string>;
  /** Base URL of the inspection/control endpoint. */
  controlUrl: string;
  /** The Auth0 tenant's custom domain (host:port), when started with auth0CustomDomain. */
  auth0CustomDomain?: string;
  stop(): Promise<void>;
}

export const ENV_KEYS = [
  'CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM',
  'CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN',
  'CLOUDSDK_API_ENDPOINT_OVERRIDES_IAP',
  'CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER',
  'CLOUDSDK_API_ENDPOINT_OVERRIDES_SERVICEUSAGE',
  'CLOUDSDK_API_ENDPOINT_OVERRIDES_ORGPOLICY',
  'CLOUDSDK_AUTH_ACCESS_TOKEN',
  'GOOGLE_CLOUD_PROJECT',
  'AUTH0_DOMAIN',
  'AUTH0_CLIENT_ID',
  'AUTH0_CLIENT_SECRET',
  'NODE_EXTRA_CA_CERTS',
  'IAP_AUTH0_SIGNIN_ORIGIN',
  'IAP_AUTH0_TEST_USER_EMAIL',
  'IAP_AUTH0_TEST_USER_PASSWORD',
  'IAP_AUTH0_IAP_JWKS_URL',
  'IAP_AUTH0_SANDBOX_URL',
  'IAP_AUTH0_GOOGLE_TOKENINFO_URL',
] as const;

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const base = profileByName(opts.profile ?? 'fast');
  const propagated = opts.propagationMs === undefined ? base : { ...base, iamPropagationMs: opts.propagationMs };
  const profile = opts.consistencyMs === undefined ? propagated : withConsistency(propagated, opts.consistencyMs);
  const faults = parseFaultSpec(opts.faults);
  const emulation = emulationFrom({ signinHops: opts.signinHops, iapServiceSettings: opts.iapServiceSettings });
  const seed = opts.seed ?? 1;
  const ownDir = !opts.dir;
  const dir = opts.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-sandbox-')));
  const world = new World({ seed, profile, faults, emulation });
  for (const c of opts.orgPolicies ?? []) {
    if (!(ORG_CONSTRAINTS as readonly string[]).includes(c))
      throw new Error(`unknown organization policy "${c}": use ${ORG_CONSTRAINTS.join(' or ')}`);
    seedDomainRestriction(world);
  }
  const listeners: Listener[] = [];
  const closers: (() => Promise<void>)[] = [];
  try {
    const tls = await createTls(dir, opts.caDir);
    const api = async (
      name: Parameters<typeof googleApiHandler>[1],
      router: Parameters<typeof googleApiHandler>[2],
    ) => {
      const l = await listen(googleApiHandler(world, name, router));
      listeners.push(l);
      world.origins[name] = l.origin;
      return l.origin + '/';
    };
    const serviceusage = await api('serviceusage', serviceUsageRouter(world));
    const crm = await api('cloudresourcemanager', crmRouter(world));
    const iam = await api('iam', iamRouter(world));
    const run = await api('run', runRouter(world));
    const iap = await api('iap', iapRouter(world));
    const orgpolicy = await api('orgpolicy', orgPolicyRouter(world));
    const auth0 = await startAuth0(world, tls, { customDomain: !!opts.auth0CustomDomain });
    closers.push(auth0.close);
    world.origins.auth0 = auth0.origin;
    if (auth0.customDomain) world.origins.auth0CustomDomain = auth0.customDomain.origin;
    const chain = await startBrowserChain(world, tls);
    closers.push(chain.close);
    const tokenInfo = await listen(tokenInfoHandler(world));
    listeners.push(tokenInfo);
    world.origins.tokeninfo = tokenInfo.origin;
    const control = await listen(controlHandler(world));
    listeners.push(control);
    world.origins.control = control.origin;
    const env: Record<string, string> = {
      CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM: iam,
      CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN: run,
      CLOUDSDK_API_ENDPOINT_OVERRIDES_IAP: iap,
      CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER: crm,
      CLOUDSDK_API_ENDPOINT_OVERRIDES_SERVICEUSAGE: serviceusage,
      CLOUDSDK_API_ENDPOINT_OVERRIDES_ORGPOLICY: orgpolicy,
      CLOUDSDK_AUTH_ACCESS_TOKEN: world.accessToken,
      GOOGLE_CLOUD_PROJECT: world.mainProject.projectId,
      AUTH0_DOMAIN: auth0.domain,
      AUTH0_CLIENT_ID: world.auth0M2M.client_id,
      AUTH0_CLIENT_SECRET: world.auth0M2M.client_secret,
      NODE_EXTRA_CA_CERTS: tls.caFile,
      IAP_AUTH0_SIGNIN_ORIGIN: chain.signinOrigin,
      IAP_AUTH0_TEST_USER_EMAIL: world.testUser.email,
      IAP_AUTH0_TEST_USER_PASSWORD: world.testUser.password,
      IAP_AUTH0_IAP_JWKS_URL: chain.jwksUrl,
      IAP_AUTH0_SANDBOX_URL: control.origin,
      IAP_AUTH0_GOOGLE_TOKENINFO_URL: `${tokenInfo.origin}/tokeninfo`,
    };
    let stopped = false;
    return {
      world,
      env,
      controlUrl: control.origin,
      ...(auth0.customDomain ? { auth0CustomDomain: auth0.customDomain.domain } : {}),
      async stop() {
        if (stopped) return;
        stopped = true;
        world.operations.stop();
        await Promise.all([...listeners.map((l) => l.close()), ...closers.map((c) => c())]);
        if (ownDir) await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    world.operations.stop();
    await Promise.allSettled([...listeners.map((l) => l.close()), ...closers.map((c) => c())]);
    if (ownDir) await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** KEY=VALUE lines, in a stable order; values never need quoting (no spaces or newlines). */
export function formatEnv(env: Record<string, string>): string {
  return (
    ENV_KEYS.filter((k) => env[k] !== undefined)
      .map((k) => `${k}=${env[k]}`)
      .join('\n') + '\n'
  );
}
