// IAM workforce pools and providers (gcp-api.md sections 6-7). Both are organization-level,
// globally named, created/changed/deleted through long-running operations, and soft-deleted for
// 30 days during which their id stays taken.
//
// Choice (the reference is silent): a create records the resource at request time, visible to GET
// as ACTIVE at once, while its operation stays done:false for the profile's duration. A second
// create of the same id during that time is 409, as it would be for real.
import { createHash, randomBytes } from 'node:crypto';
import { parse as parseCel } from '@marcbachmann/cel-js';
import {
  GoogleError,
  alreadyExists,
  errorInfo,
  failedPrecondition,
  invalid,
  notFound,
  permissionDenied,
} from '../core/errors.js';
import { Operations } from '../core/operations.js';
import { type Router, requirePermission, type ApiRequest, type ApiResult } from '../core/http.js';
import { POOL_RESOURCE, PROVIDER_RESOURCE } from '../facts/google-names.js';
import { workforcePoolId, workforceProviderId } from '../facts/id-rules.js';
import { copyPath, page, requireEnabled, requiredMask } from './common.js';
import { markActive, markDeleted, purgeExpired, softDeleteView } from './iam-soft-delete.js';
import type { WorkforcePool, WorkforceProvider, World } from '../world.js';
import type { OperationKind } from '../core/profile.js';

const POOLS = '/v1/locations/global/workforcePools';
const POOL_FIELDS = ['displayName', 'description', 'sessionDuration', 'disabled', 'accessRestrictions'];
const PROVIDER_FIELDS = [
  'displayName',
  'description',
  'disabled',
  'attributeMapping',
  'attributeCondition',
  'oidc',
  'saml',
];
const MAPPING_KEY =
  /^(google\.(subject|groups|display_name|profile_photo|posix_username|email)|attribute\.[a-z0-9_]{1,100})$/;
const CLAIMS_BEHAVIORS = ['MERGE_USER_INFO_OVER_ID_TOKEN_CLAIMS', 'ONLY_ID_TOKEN_CLAIMS'];

/** IAM operation ids look like `bigar6mzulbamefi4653maqqae000000` (gcp-api.md 1.3): base32, zero-padded. */
const operationId = () =>
  Array.from(randomBytes(26), (b) => 'abcdefghijklmnopqrstuvwxyz234567'[b % 32]).join('') + '000000';

/**
 * Google answers with a thumbprint of the secret, never the secret. Here: base64url SHA-256 of the
 * secret plus a per-write salt, so that, as for real (gcp-api.md 7.3), it changes on every write,
 * even of the same secret, and cannot be used to test guesses.
 */
const thumbprint = (secret: string) => createHash('sha256').update(secret).update(randomBytes(16)).digest('base64url');

/** What every workforce route shares: the world, and the steps each call takes on it. */
interface Workforce {
  world: World;
  purge: () => void;
  consumer: (req: ApiRequest) => void;
  orgResource: () => string;
  operation: (resourceName: string, kind: OperationKind, complete: () => void) => Record<string, unknown>;
  getPool: (id: string) => WorkforcePool;
  poolForWrite: (req: ApiRequest, permission: string) => WorkforcePool;
  findProvider: (pool: WorkforcePool, id: string) => WorkforceProvider;
}

export function addWorkforceRoutes(r: Router, world: World): void {
  const w = workforceSteps(world);
  addPoolRoutes(r, w);
  addProviderRoutes(r, w);

  const { consumer } = w;
  // Operations of pools and providers live under the resource they belong to.
  r.get(new RegExp(`^${POOLS}/(?<rest>[^:]+/operations/[^/:]+)$`), (req) => {
    consumer(req);
    const name = `locations/global/workforcePools/${req.params.rest}`;
    const op = world.operations.get(name);
    if (op?.api !== 'iam') throw notFound(`Operation ${name} was not found.`);
    return { json: Operations.toJSON(op) };
  });
}

function workforceSteps(world: World): Workforce {
  /** Purges what is past its 30 days. A purged pool takes its providers along, so a pool created
   *  again under the same id starts without the old ones. */
  const purge = () => {
    purgeExpired(world, world.pools, (poolId) => {
      for (const [k, v] of world.providers) if (v.poolId === poolId) world.providers.delete(k);
    });
    purgeExpired(world, world.providers);
  };

  /**
   * Org-level calls bill the X-Goog-User-Project project when one is named (gcp-api.md 1.2): it must
   * exist, the caller must be allowed to use it, and it must have the IAM API on. Without the
   * header there is no consumer project to check.
   */
  const consumer = (req: ApiRequest) => {
    const h = req.headers['x-goog-user-project'];
    const ref = (Array.isArray(h) ? h[0] : h)?.trim();
    if (!ref) return;
    const p = world.project(ref);
    if (!p || req.principal?.deniedPermissions.has('serviceusage.services.use')) {
      throw new GoogleError(
        'PERMISSION_DENIED',
        `Caller does not have required permission to use project ${ref}. Grant the caller the ` +
          'roles/serviceusage.serviceUsageConsumer role, or a custom role with the serviceusage.services.use ' +
          `permission, by visiting https://console.developers.google.com/iam-admin/iam/admin?project=${ref} and ` +
          'then retry. Propagation of the new permission may take a few minutes.',
        [
          errorInfo('USER_PROJECT_DENIED', 'googleapis.com', {
            consumer: `projects/${ref}`,
            service: 'iam.googleapis.com',
          }),
        ],
      );
    }
    requireEnabled(world, p, 'iam.googleapis.com');
  };
  const orgResource = () => `organizations/${world.organization.id}`;

  const operation = (resourceName: string, kind: OperationKind, complete: () => void) =>
    Operations.toJSON(
      world.operations.start({
        name: `${resourceName}/operations/${operationId()}`,
        api: 'iam',
        durationMs: world.profile.operationMs[kind],
        // IAM operations carry no response: callers GET the resource afterwards (gcp-api.md 1.3).
        complete: () => {
          complete();
          return {};
        },
      }),
    );
  const getPool = (id: string): WorkforcePool => {
    purge();
    const p = world.pools.get(id);
    if (!p) throw notFound('Requested entity was not found.', POOL_RESOURCE(id));
    return p;
  };
  const poolForWrite = (req: ApiRequest, permission: string): WorkforcePool => {
    const pool = getPool(req.params.pool);
    requirePermission(req, permission, pool.parent);
    if (pool.state === 'DELETED')
      throw failedPrecondition(`Workforce pool ${pool.poolId} is deleted; undelete it before changing its providers.`);
    return pool;
  };
  const findProvider = (pool: WorkforcePool, id: string): WorkforceProvider => {
    const v = world.providers.get(providerKey(pool.poolId, id));
    if (!v) throw notFound('Requested entity was not found.', PROVIDER_RESOURCE(pool.poolId, id));
    return v;
  };
  return { world, purge, consumer, orgResource, operation, getPool, poolForWrite, findProvider };
}

const poolView = (p: WorkforcePool) => ({
  name: POOL_RESOURCE(p.poolId),
  parent: p.parent,
  ...(p.displayName ? { displayName: p.displayName } : {}),
  ...(p.description ? { description: p.description } : {}),
  ...softDeleteView(p),
  disabled: p.disabled,
  sessionDuration: p.sessionDuration,
  ...(p.accessRestrictions ? { accessRestrictions: p.accessRestrictions } : {}),
});
const providerView = (v: WorkforceProvider) => ({
  name: PROVIDER_RESOURCE(v.poolId, v.providerId),
  ...(v.displayName ? { displayName: v.displayName } : {}),
  ...(v.description ? { description: v.description } : {}),
  ...softDeleteView(v),
  disabled: v.disabled,
  attributeMapping: v.attributeMapping,
  ...(v.attributeCondition ? { attributeCondition: v.attributeCondition } : {}),
  ...(v.saml
    ? { saml: { idpMetadataXml: v.saml.idpMetadataXml } }
    : {
        oidc: {
          issuerUri: v.oidc.issuerUri,
          clientId: v.oidc.clientId,
          // The plaintext is input-only (gcp-api.md 7.1).
          ...(v.oidc.clientSecretThumbprint
            ? { clientSecret: { value: { thumbprint: v.oidc.clientSecretThumbprint } } }
            : {}),
          ...(v.oidc.webSsoConfig ? { webSsoConfig: v.oidc.webSsoConfig } : {}),
        },
      }),
});

const checkText = (b: any, what: string) => {
  if (b.displayName !== undefined && String(b.displayName).length > 32)
    throw invalid('displayName must be at most 32 characters.', `${what}.display_name`);
  if (b.description !== undefined && String(b.description).length > 256)
    throw invalid('description must be at most 256 characters.', `${what}.description`);
};
const checkPoolFields = (b: any) => {
  checkText(b, 'workforce_pool');
  if (b.sessionDuration !== undefined) {
    const m = /^(\d+)(?:\.\d+)?s$/.exec(String(b.sessionDuration));
    const secs = m ? Number(m[1]) : NaN;
    if (!(secs >= 900 && secs <= 43200))
      throw invalid(
        'sessionDuration must be between 900s (15 minutes) and 43200s (12 hours).',
        'workforce_pool.session_duration',
      );
  }
};

function addPoolRoutes(r: Router, w: Workforce): void {
  const { world, consumer, orgResource, purge, getPool, operation } = w;
  r.post(new RegExp(`^${POOLS}$`), (req) => createPool(w, req));
  r.get(new RegExp(`^${POOLS}$`), (req) => {
    consumer(req);
    const parent = req.query.get('parent');
    if (!parent) throw invalid('Field parent is required: organizations/{ORGANIZATION_ID}.', 'parent');
    if (parent !== orgResource()) throw permissionDenied('iam.workforcePools.list', parent);
    requirePermission(req, 'iam.workforcePools.list', parent);
    purge();
    const showDeleted = req.query.get('showDeleted') === 'true';
    const all = [...world.pools.values()]
      .filter((p) => p.parent === parent && (showDeleted || p.state === 'ACTIVE'))
      .sort((a, b) => a.poolId.localeCompare(b.poolId))
      .map(poolView);
    const { items, nextPageToken } = page(all, req);
    return {
      json: { ...(items.length ? { workforcePools: items } : {}), ...(nextPageToken ? { nextPageToken } : {}) },
    };
  });
  r.get(new RegExp(`^${POOLS}/(?<pool>[^/:]+)$`), (req) => {
    consumer(req);
    const p = getPool(req.params.pool);
    requirePermission(req, 'iam.workforcePools.get', p.parent);
    return { json: poolView(p) };
  });
  r.patch(new RegExp(`^${POOLS}/(?<pool>[^/:]+)$`), (req) => {
    consumer(req);
    const p = getPool(req.params.pool);
    requirePermission(req, 'iam.workforcePools.update', p.parent);
    const mask = requiredMask(req, POOL_FIELDS);
    if (p.state === 'DELETED') throw failedPrecondition('You cannot update deleted pools.');
    const b = req.body ?? {};
    checkPoolFields(b);
    return {
      json: operation(POOL_RESOURCE(p.poolId), 'poolUpdate', () => {
        for (const f of mask) {
          if (f === 'disabled') p.disabled = !!b.disabled;
          else if (f === 'sessionDuration')
            p.sessionDuration = b.sessionDuration ?? '3600s'; // cleared = back to the default
          else copyPath(p as any, b, f);
        }
      }),
    };
  });
  r.delete(new RegExp(`^${POOLS}/(?<pool>[^/:]+)$`), (req) => {
    consumer(req);
    const p = getPool(req.params.pool);
    requirePermission(req, 'iam.workforcePools.delete', p.parent);
    // Assumption: deleting a pool that is already soft-deleted is NOT_FOUND (there is nothing to delete).
    if (p.state === 'DELETED') throw notFound('Requested entity was not found.', POOL_RESOURCE(p.poolId));
    return { json: operation(POOL_RESOURCE(p.poolId), 'poolDelete', () => markDeleted(world, p)) };
  });
  r.post(new RegExp(`^${POOLS}/(?<pool>[^/:]+):undelete$`), (req) => {
    consumer(req);
    const p = getPool(req.params.pool);
    requirePermission(req, 'iam.workforcePools.undelete', p.parent);
    if (p.state !== 'DELETED') throw failedPrecondition(`Workforce pool ${p.poolId} is not deleted.`);
    return { json: operation(POOL_RESOURCE(p.poolId), 'poolUndelete', () => markActive(p)) };
  });
}

function createPool(w: Workforce, req: ApiRequest): ApiResult {
  const { world, consumer, orgResource, purge, operation } = w;
  consumer(req);
  const id = req.query.get('workforcePoolId') ?? '';
  const problem = workforcePoolId(id);
  if (problem) throw invalid(`${problem}.`, 'workforce_pool_id');
  const b = req.body ?? {};
  const parent = String(b.parent ?? '');
  if (!/^organizations\/\d+$/.test(parent))
    throw invalid('parent must be organizations/{ORGANIZATION_ID}.', 'workforce_pool.parent');
  // Another organization, or one that does not exist: the caller has no permission there.
  if (parent !== orgResource()) throw permissionDenied('iam.workforcePools.create', parent);
  requirePermission(req, 'iam.workforcePools.create', parent);
  checkPoolFields(b);
  purge();
  const existing = world.pools.get(id);
  if (existing) {
    // Pool ids are global, and a deleted one stays reserved until it is purged. The wording for a
    // burned id is an assumption (gcp-api.md 15).
    throw alreadyExists(
      existing.state === 'DELETED'
        ? `Workforce pool ${id} was deleted recently; its id cannot be reused until ${existing.expireTime}. ` +
            'Undelete it instead.'
        : 'Requested entity already exists',
      POOL_RESOURCE(id),
    );
  }
  const pool: WorkforcePool = {
    poolId: id,
    parent,
    displayName: b.displayName,
    description: b.description,
    sessionDuration: b.sessionDuration ?? '3600s',
    disabled: !!b.disabled,
    state: 'ACTIVE',
    accessRestrictions: b.accessRestrictions,
    createdAt: world.clock.now(),
  };
  world.pools.set(id, pool);
  return { json: operation(POOL_RESOURCE(id), 'poolCreate', () => undefined) };
}

// --- providers ------------------------------------------------------------------------------
// Deleting a pool leaves its providers' own state alone (undeleting the pool brings them back);
// while the pool is deleted they can still be read, but not created or changed (assumption).
const providerKey = (pool: string, prov: string) => `${pool}/${prov}`;
const checkMapping = (m: unknown) => {
  const field = 'workforce_pool_provider.attribute_mapping';
  if (!m || typeof m !== 'object' || !(m as Record<string, unknown>)['google.subject'])
    throw invalid('attributeMapping must contain a mapping for google.subject.', field);
  const entries = Object.entries(m as Record<string, unknown>);
  if (entries.filter(([k]) => k.startsWith('attribute.')).length > 50)
    throw invalid('At most 50 custom attributes can be mapped.', field);
  for (const [k, v] of entries) {
    if (!MAPPING_KEY.test(k)) {
      throw invalid(
        `Invalid attribute mapping key "${k}": use google.subject, google.groups, google.display_name, ` +
          'google.profile_photo, google.posix_username, google.email or attribute.NAME.',
        field,
      );
    }
    celOrThrow(String(v), `attributeMapping["${k}"]`, 2048);
  }
};
/** The oidc block as it will be stored (create, or the result of a patch). */
const checkOidc = (o: WorkforceProvider['oidc']) => {
  const f = 'workforce_pool_provider.oidc';
  let url: URL | undefined;
  try {
    url = new URL(String(o.issuerUri ?? ''));
  } catch {
    /* reported below */
  }
  if (url?.protocol !== 'https:') throw invalid('oidc.issuerUri must be a valid https URL.', `${f}.issuer_uri`);
  if (!o.clientId) throw invalid('oidc.clientId is required.', `${f}.client_id`);
  const sso = o.webSsoConfig;
  if (!sso) throw invalid('oidc.webSsoConfig is required.', `${f}.web_sso_config`);
  if (!['CODE', 'ID_TOKEN'].includes(String(sso.responseType)))
    throw invalid('webSsoConfig.responseType must be CODE or ID_TOKEN.', `${f}.web_sso_config.response_type`);
  if (!CLAIMS_BEHAVIORS.includes(String(sso.assertionClaimsBehavior))) {
    throw invalid(
      `webSsoConfig.assertionClaimsBehavior must be ${CLAIMS_BEHAVIORS.join(' or ')}.`,
      `${f}.web_sso_config.assertion_claims_behavior`,
    );
  }
  if (sso.responseType === 'ID_TOKEN' && sso.assertionClaimsBehavior === 'MERGE_USER_INFO_OVER_ID_TOKEN_CLAIMS') {
    throw invalid('MERGE_USER_INFO_OVER_ID_TOKEN_CLAIMS requires responseType CODE.', `${f}.web_sso_config`);
  }
  const scopes = sso.additionalScopes ?? [];
  if (!Array.isArray(scopes) || scopes.length > 10)
    throw invalid('At most 10 additionalScopes are allowed.', `${f}.web_sso_config.additional_scopes`);
  if (scopes.some((s) => String(s).length > 256))
    throw invalid('Each additional scope must be at most 256 characters.', `${f}.web_sso_config.additional_scopes`);
  if (sso.responseType === 'CODE' && !o.clientSecretPlain) {
    throw invalid('oidc.clientSecret is required when webSsoConfig.responseType is CODE.', `${f}.client_secret`);
  }
};
const secretFields = (plain: unknown) =>
  plain ? { clientSecretPlain: String(plain), clientSecretThumbprint: thumbprint(String(plain)) } : {};
const oidcFromBody = (o: any): WorkforceProvider['oidc'] => ({
  issuerUri: o?.issuerUri,
  clientId: o?.clientId,
  webSsoConfig: o?.webSsoConfig ? structuredClone(o.webSsoConfig) : undefined,
  ...secretFields(o?.clientSecret?.value?.plainText),
});
const checkSaml = (s: any) => {
  if (!s || typeof s.idpMetadataXml !== 'string' || !s.idpMetadataXml.trim())
    throw invalid('saml.idpMetadataXml is required.', 'workforce_pool_provider.saml.idp_metadata_xml');
};

function addProviderRoutes(r: Router, w: Workforce): void {
  const { world, consumer, getPool, operation, poolForWrite, findProvider } = w;
  r.post(new RegExp(`^${POOLS}/(?<pool>[^/:]+)/providers$`), (req) => createProvider(w, req));
  r.get(new RegExp(`^${POOLS}/(?<pool>[^/:]+)/providers$`), (req) => {
    consumer(req);
    const pool = getPool(req.params.pool);
    requirePermission(req, 'iam.workforcePoolProviders.list', pool.parent);
    const showDeleted = req.query.get('showDeleted') === 'true';
    const all = [...world.providers.values()]
      .filter((v) => v.poolId === pool.poolId && (showDeleted || v.state === 'ACTIVE'))
      .sort((a, b) => a.providerId.localeCompare(b.providerId))
      .map(providerView);
    const { items, nextPageToken } = page(all, req);
    return {
      json: { ...(items.length ? { workforcePoolProviders: items } : {}), ...(nextPageToken ? { nextPageToken } : {}) },
    };
  });
  r.get(new RegExp(`^${POOLS}/(?<pool>[^/:]+)/providers/(?<prov>[^/:]+)$`), (req) => {
    consumer(req);
    const pool = getPool(req.params.pool);
    requirePermission(req, 'iam.workforcePoolProviders.get', pool.parent);
    return { json: providerView(findProvider(pool, req.params.prov)) };
  });
  r.patch(new RegExp(`^${POOLS}/(?<pool>[^/:]+)/providers/(?<prov>[^/:]+)$`), (req) => patchProvider(w, req));
  r.delete(new RegExp(`^${POOLS}/(?<pool>[^/:]+)/providers/(?<prov>[^/:]+)$`), (req) => {
    consumer(req);
    const v = findProvider(poolForWrite(req, 'iam.workforcePoolProviders.delete'), req.params.prov);
    // Assumption, as for pools: deleting a soft-deleted provider is NOT_FOUND.
    if (v.state === 'DELETED')
      throw notFound('Requested entity was not found.', PROVIDER_RESOURCE(v.poolId, v.providerId));
    return {
      json: operation(PROVIDER_RESOURCE(v.poolId, v.providerId), 'providerDelete', () => markDeleted(world, v)),
    };
  });
  r.post(new RegExp(`^${POOLS}/(?<pool>[^/:]+)/providers/(?<prov>[^/:]+):undelete$`), (req) => {
    consumer(req);
    const v = findProvider(poolForWrite(req, 'iam.workforcePoolProviders.undelete'), req.params.prov);
    if (v.state !== 'DELETED') throw failedPrecondition(`Workforce pool provider ${v.providerId} is not deleted.`);
    return { json: operation(PROVIDER_RESOURCE(v.poolId, v.providerId), 'providerUndelete', () => markActive(v)) };
  });
}

function createProvider(w: Workforce, req: ApiRequest): ApiResult {
  const { world, consumer, purge, operation, poolForWrite } = w;
  consumer(req);
  const pool = poolForWrite(req, 'iam.workforcePoolProviders.create');
  const id = req.query.get('workforcePoolProviderId') ?? '';
  const problem = workforceProviderId(id);
  if (problem) throw invalid(`${problem}.`, 'workforce_pool_provider_id');
  const b = req.body ?? {};
  checkText(b, 'workforce_pool_provider');
  if (!!b.oidc === !!b.saml) throw invalid('Exactly one of oidc or saml must be set.', 'workforce_pool_provider');
  checkMapping(b.attributeMapping);
  if (b.attributeCondition) celOrThrow(String(b.attributeCondition), 'attributeCondition', 4096);
  const v: WorkforceProvider = {
    poolId: pool.poolId,
    providerId: id,
    displayName: b.displayName,
    description: b.description,
    disabled: !!b.disabled,
    state: 'ACTIVE',
    attributeMapping: { ...b.attributeMapping },
    attributeCondition: b.attributeCondition || undefined,
    // SAML is stored and returned only; the sign-in emulation speaks OIDC.
    oidc: b.oidc ? oidcFromBody(b.oidc) : { issuerUri: '', clientId: '' },
    createdAt: world.clock.now(),
    ...(b.saml ? { saml: { idpMetadataXml: String(b.saml.idpMetadataXml ?? '') } } : {}),
  };
  if (b.saml) checkSaml(b.saml);
  else checkOidc(v.oidc);
  purge();
  const key = providerKey(pool.poolId, id);
  const existing = world.providers.get(key);
  if (existing) {
    throw alreadyExists(
      existing.state === 'DELETED'
        ? `Workforce pool provider ${id} was deleted recently; its id cannot be reused until ` +
            `${existing.expireTime}. Undelete it instead.`
        : 'Requested entity already exists',
      PROVIDER_RESOURCE(pool.poolId, id),
    );
  }
  world.providers.set(key, v);
  return { json: operation(PROVIDER_RESOURCE(pool.poolId, id), 'providerCreate', () => undefined) };
}

function patchProvider(w: Workforce, req: ApiRequest): ApiResult {
  const { consumer, operation, poolForWrite, findProvider } = w;
  consumer(req);
  const pool = poolForWrite(req, 'iam.workforcePoolProviders.update');
  const v = findProvider(pool, req.params.prov);
  const mask = requiredMask(req, PROVIDER_FIELDS);
  if (v.state === 'DELETED') throw failedPrecondition('You cannot update deleted providers.');
  const b = req.body ?? {};
  const sent = b.oidc ?? {};
  // Build and check the would-be result now, so a bad patch fails at once rather than in the operation.
  const next: WorkforceProvider = structuredClone(v);
  let oidcTouched = false;
  for (const f of mask) {
    if (f === 'oidc') {
      oidcTouched = true;
      // Assumption (gcp-api.md 7.4 [L]): an oidc patch without a new plaintext keeps the stored
      // secret, and one without webSsoConfig keeps the stored webSsoConfig.
      next.oidc = {
        issuerUri: sent.issuerUri,
        clientId: sent.clientId,
        webSsoConfig: sent.webSsoConfig ? structuredClone(sent.webSsoConfig) : v.oidc.webSsoConfig,
        ...(sent.clientSecret?.value?.plainText
          ? secretFields(sent.clientSecret.value.plainText)
          : { clientSecretPlain: v.oidc.clientSecretPlain, clientSecretThumbprint: v.oidc.clientSecretThumbprint }),
      };
    } else if (f.startsWith('oidc.clientSecret')) {
      oidcTouched = true;
      // Naming the secret path explicitly replaces it; sent without a plaintext, it clears it.
      delete next.oidc.clientSecretPlain;
      delete next.oidc.clientSecretThumbprint;
      Object.assign(next.oidc, secretFields(sent.clientSecret?.value?.plainText));
    } else if (f.startsWith('oidc.')) {
      oidcTouched = true;
      copyPath(next.oidc as Record<string, any>, sent, f.slice('oidc.'.length));
    } else if (f === 'disabled') next.disabled = !!b.disabled;
    else copyPath(next as unknown as Record<string, any>, b, f);
  }
  if (mask.some((f) => f === 'displayName' || f === 'description')) checkText(b, 'workforce_pool_provider');
  if (mask.includes('attributeMapping')) checkMapping(next.attributeMapping);
  if (mask.includes('attributeCondition') && next.attributeCondition)
    celOrThrow(String(next.attributeCondition), 'attributeCondition', 4096);
  if (oidcTouched && v.saml)
    throw invalid('This provider is a SAML provider; oidc cannot be set on it.', 'workforce_pool_provider.oidc');
  if (mask.some((f) => f === 'saml' || f.startsWith('saml.'))) {
    if (!v.saml)
      throw invalid('This provider is an OIDC provider; saml cannot be set on it.', 'workforce_pool_provider.saml');
    checkSaml(next.saml);
  }
  if (oidcTouched) checkOidc(next.oidc);
  return {
    json: operation(PROVIDER_RESOURCE(v.poolId, v.providerId), 'providerUpdate', () => {
      Object.assign(v, next);
    }),
  };
}

/** Parses a CEL expression the way IAM does at write time; a syntax error is a 400 naming the field. */
function celOrThrow(expr: string, field: string, max: number): void {
  if (expr.length > max) throw invalid(`${field} is longer than ${max} characters.`, field);
  try {
    parseCel(expr);
  } catch (e) {
    throw new GoogleError(
      'INVALID_ARGUMENT',
      `${field} is not a valid CEL expression: ${(e as Error).message.split('\n')[0]}`,
      [
        {
          '@type': 'type.googleapis.com/google.rpc.BadRequest',
          fieldViolations: [{ field, description: 'invalid CEL expression' }],
        },
      ],
    );
  }
}
