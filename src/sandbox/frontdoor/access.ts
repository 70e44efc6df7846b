// The front door's decisions, free of HTTP: given the world and the facts of one request, which
// page or which identity. Everything IAM-related reads the *effective* policy (what the data path
// sees after world.profile.iamPropagationMs), never the one just written (gcp-api.md 11).
import type { RunService, World, WorkforcePool, WorkforceProvider } from '../world.js';
import { IAP_AGENT_EMAIL, IAP_RUN_RESOURCE, POOL_RESOURCE } from '../facts/google-names.js';
import { effectiveIapSettings } from '../google/iap.js';
import type { MappedIdentity } from './attribute-mapping.js';

export const IAP_ACCESSOR_ROLE = 'roles/iap.httpsResourceAccessor';
export const RUN_INVOKER_ROLE = 'roles/run.invoker';

export interface ServiceRef {
  key: string;
  projectNumber: string;
  region: string;
  serviceId: string;
}

export function parseServiceKey(key: string): ServiceRef {
  const [projectNumber, region, serviceId] = key.split('/');
  return { key, projectNumber, region, serviceId };
}

/** The IAP settings fields the data path acts on. */
export interface EffectiveIap {
  settings: {
    accessSettings?: {
      identitySources?: string[];
      workforceIdentitySettings?: {
        workforcePools?: string[];
        oauth2?: { clientId?: string; clientSecretSha256?: string };
      };
      oauthSettings?: { clientId?: string; loginHint?: string };
      [k: string]: unknown;
    };
    applicationSettings?: { accessDeniedPageSettings?: { accessDeniedPageUri?: string }; [k: string]: unknown };
  };
  /** The plaintext OAuth client secret stored with the level that set workforceIdentitySettings. */
  secretPlain?: string;
}

/** Settings with inheritance (organization → … → service), as the IAP emulation computes them. */
export function effectiveIapFor(world: World, s: ServiceRef): EffectiveIap {
  const e = effectiveIapSettings(world, s.projectNumber, s.region, s.serviceId);
  return {
    settings: {
      accessSettings: e.accessSettings as EffectiveIap['settings']['accessSettings'],
      applicationSettings: e.applicationSettings,
    },
    secretPlain: e.oauth2ClientSecret,
  };
}

export type SigninTarget =
  | { kind: 'google' }
  | { kind: 'wif'; pool: string; clientId: string; provider?: WorkforceProvider }
  | { kind: 'misconfigured'; detail: string };

export type EntryDecision =
  | { kind: 'not-found' }
  | { kind: 'ingress-blocked' }
  /** IAP off and allUsers may invoke: the app, with no identity headers. */
  | { kind: 'public' }
  /** IAP off and the anonymous caller is not an invoker: Cloud Run's 403. */
  | { kind: 'forbidden' }
  | { kind: 'agent-missing' }
  | { kind: 'iap'; iap: EffectiveIap; target: SigninTarget };

const delay = (world: World) => world.profile.iamPropagationMs;

/** Members holding run.invoker on the service, on the service or inherited from the project. */
export function runInvokers(world: World, s: ServiceRef): Set<string> {
  const d = delay(world);
  return new Set([
    ...world.policies.membersWithRole(
      `run:projects/${s.projectNumber}/locations/${s.region}/services/${s.serviceId}`,
      RUN_INVOKER_ROLE,
      d,
    ),
    ...world.policies.membersWithRole(`crm:projects/${s.projectNumber}`, RUN_INVOKER_ROLE, d),
  ]);
}

/** Steps 1-4 of the front door: everything decided before looking at the caller's session. */
export function entryDecision(world: World, s: ServiceRef, svc: RunService | undefined): EntryDecision {
  const r = svc?.resource as
    | { ingress?: string; iapEnabled?: boolean; uri?: string; invokerIamDisabled?: boolean }
    | undefined;
  // A service still being created (no uri until its first revision is Ready), failed or being
  // deleted serves nothing: Cloud Run's 404.
  if (!svc || svc.deleting || !r?.uri) return { kind: 'not-found' };
  // Unset ingress is the API default, INGRESS_TRAFFIC_ALL. Assumption: internal-only ingress seen
  // from outside is Cloud Run's plain 404.
  if ((r.ingress ?? 'INGRESS_TRAFFIC_ALL') !== 'INGRESS_TRAFFIC_ALL') return { kind: 'ingress-blocked' };
  // invokerIamDisabled turns Cloud Run's invoker check off altogether (public service).
  if (!r.iapEnabled)
    return r.invokerIamDisabled || runInvokers(world, s).has('allUsers') ? { kind: 'public' } : { kind: 'forbidden' };
  if (!world.serviceIdentities.has(`${s.projectNumber}/iap.googleapis.com`)) return { kind: 'agent-missing' };
  const iap = effectiveIapFor(world, s);
  return { kind: 'iap', iap, target: signinTarget(world, iap) };
}

/** Where IAP sends a browser without a session (gcp-api.md 9.3 identitySources, 10.1). */
export function signinTarget(world: World, iap: EffectiveIap): SigninTarget {
  const access = iap.settings.accessSettings ?? {};
  const wif = access.workforceIdentitySettings;
  const poolName = wif?.workforcePools?.[0];
  const clientId = wif?.oauth2?.clientId;
  // No pool: Google identity, IAP's default. identitySources UNSPECIFIED means "IAP relies on
  // which identity settings are fully configured … If none is set, default to use Google identity".
  if (!poolName) return { kind: 'google' };
  if (!clientId) {
    // Assumption: a pool without IAP's OAuth client cannot sign anyone in; IAP shows an error page.
    return {
      kind: 'misconfigured',
      detail: `workforceIdentitySettings names ${poolName} but oauth2.clientId is not set.`,
    };
  }
  const pool = /^locations\/global\/workforcePools\/([^/]+)$/.exec(poolName)?.[1] ?? poolName;
  return { kind: 'wif', pool, clientId, provider: pickProvider(world, pool) };
}

/**
 * The provider IAP hands off to: the pool's first ACTIVE, enabled provider; failing that any
 * provider (the sign-in origin then reports it disabled or deleted); none when the pool has none.
 */
export function pickProvider(world: World, pool: string): WorkforceProvider | undefined {
  const all = [...world.providers.values()].filter((p) => p.poolId === pool);
  return all.find((p) => p.state === 'ACTIVE' && !p.disabled) ?? all[0];
}

export const usablePool = (p: WorkforcePool | undefined): p is WorkforcePool =>
  !!p && p.state === 'ACTIVE' && !p.disabled;
export const usableProvider = (p: WorkforceProvider | undefined): p is WorkforceProvider =>
  !!p && p.state === 'ACTIVE' && !p.disabled;

/**
 * Every IAM member string that designates this workforce identity (gcp-api.md 6, 9.4): the forms
 * of Google's "Principal identifiers" page, table "Principal identifiers for allow policies"
 * (https://cloud.google.com/iam/docs/principal-identifiers): a single identity
 * `principal://…/workforcePools/POOL_ID/subject/SUBJECT_ATTRIBUTE_VALUE`, all identities in a group
 * `principalSet://…/group/GROUP_ID`, all identities with a specific attribute value
 * `principalSet://…/attribute.ATTRIBUTE_NAME/ATTRIBUTE_VALUE` (what --allow email: grants, with
 * attribute.email), and the whole pool `principalSet://…/*`. The IAM v1 reference's Binding.members
 * lists the same four.
 */
export function memberForms(pool: string, id: Pick<MappedIdentity, 'subject' | 'groups' | 'attributes'>): string[] {
  const base = `iam.googleapis.com/${POOL_RESOURCE(pool)}`;
  const out = [`principal://${base}/subject/${id.subject}`, `principalSet://${base}/*`];
  for (const g of id.groups) out.push(`principalSet://${base}/group/${g}`);
  for (const [name, values] of Object.entries(id.attributes))
    for (const v of values) out.push(`principalSet://${base}/attribute.${name}/${v}`);
  return out;
}

export const iamPrincipal = (pool: string, subject: string) =>
  `principal://iam.googleapis.com/${POOL_RESOURCE(pool)}/subject/${subject}`;

/** The IAP resources whose policy grants access to the service, most specific first. */
export function iapPolicyResources(s: ServiceRef): string[] {
  return [
    `iap:${IAP_RUN_RESOURCE(s.projectNumber, s.region, s.serviceId)}`,
    `iap:projects/${s.projectNumber}/iap_web`,
    `iap:projects/${s.projectNumber}`,
    `crm:projects/${s.projectNumber}`,
  ];
}

export type AccessDecision =
  | { kind: 'denied'; accessDeniedPageUri?: string }
  | { kind: 'no-invoker' }
  | { kind: 'allowed' };

/** Steps 8-9 of the front door: IAP's own authorization, then Cloud Run's check of the IAP agent. */
export function accessDecision(
  world: World,
  s: ServiceRef,
  svc: RunService | undefined,
  iap: EffectiveIap,
  pool: string,
  id: Pick<MappedIdentity, 'subject' | 'groups' | 'attributes'>,
): AccessDecision {
  const forms = new Set(memberForms(pool, id));
  // Assumption: allUsers / allAuthenticatedUsers bound to the accessor role admit any signed-in
  // workforce user as well.
  forms.add('allUsers');
  forms.add('allAuthenticatedUsers');
  const allowed = iapPolicyResources(s).some((r) =>
    world.policies.membersWithRole(r, IAP_ACCESSOR_ROLE, delay(world)).some((m) => forms.has(m)),
  );
  if (!allowed)
    return {
      kind: 'denied',
      accessDeniedPageUri: iap.settings.applicationSettings?.accessDeniedPageSettings?.accessDeniedPageUri || undefined,
    };
  const invokerCheckOff = (svc?.resource as { invokerIamDisabled?: boolean } | undefined)?.invokerIamDisabled === true;
  if (!invokerCheckOff && !runInvokers(world, s).has(`serviceAccount:${IAP_AGENT_EMAIL(s.projectNumber)}`))
    return { kind: 'no-invoker' };
  return { kind: 'allowed' };
}

/** Parses a google.protobuf.Duration string ("3600s", "43200.5s"); 1 hour when unset or invalid. */
export function durationMs(text: string | undefined): number {
  const m = /^(\d+(?:\.\d+)?)s$/.exec(text ?? '');
  return m ? Math.round(Number(m[1]) * 1000) : 3_600_000;
}
