// IAM workforce pools and providers (gcp-api.md sections 6-7). Both are organization-level,
// globally named, created/changed/deleted through long-running operations, and soft-deleted for
// 30 days during which their id stays taken.
//
// Choice (the reference is silent): a create records the resource at request time, visible to GET
// as ACTIVE at once, while its operation stays done:false for the profile's duration. A second
// create of the same id during that time is 409, as it would be for real.
import { createHash, randomBytes } from 'node:crypto';
import { parse as parseCel } from '@marcbachmann/cel-js';
import { GoogleError, alreadyExists, failedPrecondition, invalid, notFound, permissionDenied } from '../core/errors.js';
import { Operations } from '../core/operations.js';
import { Router, requirePermission, type ApiRequest } from '../core/http.js';
import { workforcePoolId, workforceProviderId } from '../../lib/ids.js';
import { page, quotaProject, requireEnabled, requiredMask } from './common.js';
import { markActive, markDeleted, purgeExpired, softDeleteView } from './iam-soft-delete.js';
import type { WorkforcePool, WorkforceProvider, World } from '../world.js';
import type { OperationKind } from '../core/profile.js';

const POOLS = '/v1/locations/global/workforcePools';

export function addWorkforceRoutes(r: Router, world: World): void {
  const purge = () => {
    purgeExpired(world, world.pools);
    purgeExpired(world, world.providers);
  };
  /** Org-level calls bill the X-Goog-User-Project project when one is named: it must have IAM on. */
  const consumer = (req: ApiRequest) => {
    const p = quotaProject(world, req);
    if (p) requireEnabled(world, p, 'iam.googleapis.com');
  };
  const orgResource = () => `organizations/${world.organization.id}`;
  const poolView = (p: WorkforcePool) => ({
    name: `locations/global/workforcePools/${p.poolId}`, parent: p.parent,
    ...(p.displayName ? { displayName: p.displayName } : {}), ...(p.description ? { description: p.description } : {}),
    ...softDeleteView(p), disabled: p.disabled, sessionDuration: p.sessionDuration,
    ...(p.accessRestrictions ? { accessRestrictions: p.accessRestrictions } : {}),
  });
  const providerView = (v: WorkforceProvider) => ({
    name: `locations/global/workforcePools/${v.poolId}/providers/${v.providerId}`,
    ...(v.displayName ? { displayName: v.displayName } : {}), ...(v.description ? { description: v.description } : {}),
    ...softDeleteView(v), disabled: v.disabled, attributeMapping: v.attributeMapping,
    ...(v.attributeCondition ? { attributeCondition: v.attributeCondition } : {}),
    oidc: {
      issuerUri: v.oidc.issuerUri, clientId: v.oidc.clientId,
      // The plaintext is input-only; Google answers with a thumbprint that changes on every write.
      ...(v.oidc.clientSecretThumbprint ? { clientSecret: { value: { thumbprint: v.oidc.clientSecretThumbprint } } } : {}),
      ...(v.oidc.webSsoConfig ? { webSsoConfig: v.oidc.webSsoConfig } : {}),
    },
  });
  const operation = (resourceName: string, kind: OperationKind, complete: () => void) => Operations.toJSON(world.operations.start({
    name: `${resourceName}/operations/${randomBytes(16).toString('hex')}`, api: 'iam', durationMs: world.profile.operationMs[kind],
    // IAM operations carry no response: callers GET the resource afterwards (gcp-api.md 1.3).
    complete: () => { complete(); return {}; },
  }));

  const getPool = (id: string): WorkforcePool => {
    purge();
    const p = world.pools.get(id);
    if (!p) throw notFound(`Requested entity was not found.`, `locations/global/workforcePools/${id}`);
    return p;
  };
  const checkPoolFields = (b: any) => {
    if (b.displayName !== undefined && String(b.displayName).length > 32) throw invalid('displayName must be at most 32 characters.', 'workforce_pool.display_name');
    if (b.description !== undefined && String(b.description).length > 256) throw invalid('description must be at most 256 characters.', 'workforce_pool.description');
    if (b.sessionDuration !== undefined) {
      const m = /^(\d+)(?:\.\d+)?s$/.exec(String(b.sessionDuration));
      const secs = m ? Number(m[1]) : NaN;
      if (!(secs >= 900 && secs <= 43200)) throw invalid('sessionDuration must be between 900s (15 minutes) and 43200s (12 hours).', 'workforce_pool.session_duration');
    }
  };

  r.post(new RegExp(`^${POOLS}$`), (req) => {
    consumer(req);
    const id = req.query.get('workforcePoolId') ?? '';
    const problem = workforcePoolId(id);
    if (problem) throw invalid(`${problem}.`, 'workforce_pool_id');
    const b = req.body ?? {};
    const parent = String(b.parent ?? '');
    if (!/^organizations\/\d+$/.test(parent)) throw invalid('parent must be organizations/{ORGANIZATION_ID}.', 'workforce_pool.parent');
    if (parent !== orgResource()) throw permissionDenied('iam.workforcePools.create', parent);
    requirePermission(req, 'iam.workforcePools.create', parent);
    checkPoolFields(b);
    purge();
    const existing = world.pools.get(id);
    if (existing) {
      // Pool ids are global, and a deleted one stays reserved until it is purged.
      throw alreadyExists(existing.state === 'DELETED'
        ? `Workforce pool ${id} was deleted recently; its id cannot be reused until ${existing.expireTime}. Undelete it instead.`
        : `Requested entity already exists`, `locations/global/workforcePools/${id}`);
    }
    const pool: WorkforcePool = {
      poolId: id, parent, displayName: b.displayName, description: b.description, sessionDuration: b.sessionDuration ?? '3600s',
      disabled: !!b.disabled, state: 'ACTIVE', accessRestrictions: b.accessRestrictions, createdAt: world.clock.now(),
    };
    world.pools.set(id, pool);
    return { json: operation(`locations/global/workforcePools/${id}`, 'poolCreate', () => undefined) };
  });
  r.get(new RegExp(`^${POOLS}$`), (req) => {
    consumer(req);
    const parent = req.query.get('parent');
    if (!parent) throw invalid('Field parent is required: organizations/{ORGANIZATION_ID}.', 'parent');
    if (parent !== orgResource()) throw permissionDenied('iam.workforcePools.list', parent);
    requirePermission(req, 'iam.workforcePools.list', parent);
    purge();
    const showDeleted = req.query.get('showDeleted') === 'true';
    const all = [...world.pools.values()].filter((p) => p.parent === parent && (showDeleted || p.state === 'ACTIVE'))
      .sort((a, b) => a.poolId.localeCompare(b.poolId)).map(poolView);
    const { items, nextPageToken } = page(all, req);
    return { json: { ...(items.length ? { workforcePools: items } : {}), ...(nextPageToken ? { nextPageToken } : {}) } };
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
    const mask = requiredMask(req, ['displayName', 'description', 'sessionDuration', 'disabled', 'accessRestrictions']);
    if (p.state === 'DELETED') throw failedPrecondition('You cannot update deleted pools.');
    checkPoolFields(req.body ?? {});
    const b = req.body ?? {};
    return { json: operation(`locations/global/workforcePools/${p.poolId}`, 'poolUpdate', () => {
      for (const f of mask) (p as any)[f] = f === 'disabled' ? !!b.disabled : b[f];
    }) };
  });
  r.delete(new RegExp(`^${POOLS}/(?<pool>[^/:]+)$`), (req) => {
    consumer(req);
    const p = getPool(req.params.pool);
    requirePermission(req, 'iam.workforcePools.delete', p.parent);
    if (p.state === 'DELETED') throw notFound(`Requested entity was not found.`, `locations/global/workforcePools/${p.poolId}`);
    return { json: operation(`locations/global/workforcePools/${p.poolId}`, 'poolDelete', () => markDeleted(world, p)) };
  });
  r.post(new RegExp(`^${POOLS}/(?<pool>[^/:]+):undelete$`), (req) => {
    consumer(req);
    const p = getPool(req.params.pool);
    requirePermission(req, 'iam.workforcePools.undelete', p.parent);
    if (p.state !== 'DELETED') throw failedPrecondition(`Workforce pool ${p.poolId} is not deleted.`);
    return { json: operation(`locations/global/workforcePools/${p.poolId}`, 'poolUndelete', () => markActive(p)) };
  });

  // --- providers ------------------------------------------------------------------------------
  const providerKey = (pool: string, prov: string) => `${pool}/${prov}`;
  const getProvider = (req: ApiRequest): WorkforceProvider => {
    const pool = getPool(req.params.pool);
    requirePermission(req, 'iam.workforcePoolProviders.get', pool.parent);
    const v = world.providers.get(providerKey(pool.poolId, req.params.prov));
    if (!v) throw notFound('Requested entity was not found.', `locations/global/workforcePools/${pool.poolId}/providers/${req.params.prov}`);
    return v;
  };
  const thumbprint = (secret: string) => createHash('sha256').update(secret + randomBytes(8).toString('hex')).digest('base64url');
  /** Validates provider fields that were sent; `full` = a create, where the required ones must be there. */
  const checkProvider = (b: any, full: boolean, paths?: string[]) => {
    const has = (f: string) => full || !!paths?.some((p) => p === f || p.startsWith(f + '.') || f.startsWith(p + '.'));
    if (b.displayName !== undefined && String(b.displayName).length > 32) throw invalid('displayName must be at most 32 characters.', 'workforce_pool_provider.display_name');
    if (b.description !== undefined && String(b.description).length > 256) throw invalid('description must be at most 256 characters.', 'workforce_pool_provider.description');
    if (full && !!b.oidc === !!b.saml) throw invalid('Exactly one of oidc or saml must be set.', 'workforce_pool_provider');
    if (has('attributeMapping')) {
      const m = b.attributeMapping;
      if (!m || typeof m !== 'object' || !m['google.subject']) throw invalid('attributeMapping must contain a mapping for google.subject.', 'workforce_pool_provider.attribute_mapping');
      for (const [k, v] of Object.entries(m)) {
        if (!/^(google\.(subject|groups|display_name|profile_photo|posix_username|email)|attribute\.[a-z0-9_]{1,100})$/.test(k)) {
          throw invalid(`Invalid attribute mapping key "${k}": use google.subject, google.groups, google.display_name, google.profile_photo, google.posix_username, google.email or attribute.NAME.`, 'workforce_pool_provider.attribute_mapping');
        }
        celOrThrow(String(v), `attributeMapping["${k}"]`, 2048);
      }
    }
    if (has('attributeCondition') && b.attributeCondition) celOrThrow(String(b.attributeCondition), 'attributeCondition', 4096);
    if (b.oidc && has('oidc')) {
      const o = b.oidc;
      if (has('oidc.issuerUri')) {
        let url: URL | undefined;
        try { url = new URL(String(o.issuerUri)); } catch { /* handled below */ }
        if (!url || url.protocol !== 'https:') throw invalid('oidc.issuerUri must be a valid https URL.', 'workforce_pool_provider.oidc.issuer_uri');
      }
      if (has('oidc.clientId') && !o.clientId) throw invalid('oidc.clientId is required.', 'workforce_pool_provider.oidc.client_id');
      const sso = o.webSsoConfig;
      if (full && !sso) throw invalid('oidc.webSsoConfig is required.', 'workforce_pool_provider.oidc.web_sso_config');
      if (sso) {
        if (!['CODE', 'ID_TOKEN'].includes(sso.responseType)) throw invalid('webSsoConfig.responseType must be CODE or ID_TOKEN.', 'workforce_pool_provider.oidc.web_sso_config.response_type');
        if (!['MERGE_USER_INFO_OVER_ID_TOKEN_CLAIMS', 'ONLY_ID_TOKEN_CLAIMS'].includes(sso.assertionClaimsBehavior)) {
          throw invalid('webSsoConfig.assertionClaimsBehavior must be MERGE_USER_INFO_OVER_ID_TOKEN_CLAIMS or ONLY_ID_TOKEN_CLAIMS.', 'workforce_pool_provider.oidc.web_sso_config.assertion_claims_behavior');
        }
        if (sso.responseType === 'ID_TOKEN' && sso.assertionClaimsBehavior === 'MERGE_USER_INFO_OVER_ID_TOKEN_CLAIMS') {
          throw invalid('MERGE_USER_INFO_OVER_ID_TOKEN_CLAIMS requires responseType CODE.', 'workforce_pool_provider.oidc.web_sso_config');
        }
        if ((sso.additionalScopes ?? []).length > 10) throw invalid('At most 10 additionalScopes are allowed.', 'workforce_pool_provider.oidc.web_sso_config.additional_scopes');
      }
    }
  };
  const applyOidc = (v: WorkforceProvider, o: any, keepSecret: boolean) => {
    const secret = o?.clientSecret?.value?.plainText;
    v.oidc = {
      issuerUri: o.issuerUri, clientId: o.clientId, webSsoConfig: o.webSsoConfig,
      // Assumption: patching oidc without a new plaintext keeps the stored secret.
      ...(secret ? { clientSecretPlain: String(secret), clientSecretThumbprint: thumbprint(String(secret)) }
        : keepSecret ? { clientSecretPlain: v.oidc.clientSecretPlain, clientSecretThumbprint: v.oidc.clientSecretThumbprint } : {}),
    };
  };
  const requireCodeSecret = (v: WorkforceProvider) => {
    if (v.oidc.webSsoConfig?.responseType === 'CODE' && !v.oidc.clientSecretPlain) {
      throw invalid('oidc.clientSecret is required when webSsoConfig.responseType is CODE.', 'workforce_pool_provider.oidc.client_secret');
    }
  };

  r.post(new RegExp(`^${POOLS}/(?<pool>[^/:]+)/providers$`), (req) => {
    consumer(req);
    const pool = getPool(req.params.pool);
    requirePermission(req, 'iam.workforcePoolProviders.create', pool.parent);
    if (pool.state === 'DELETED') throw failedPrecondition(`Workforce pool ${pool.poolId} is deleted; undelete it before adding providers.`);
    const id = req.query.get('workforcePoolProviderId') ?? '';
    const problem = workforceProviderId(id);
    if (problem) throw invalid(`${problem}.`, 'workforce_pool_provider_id');
    const b = req.body ?? {};
    checkProvider(b, true);
    const key = providerKey(pool.poolId, id);
    purge();
    const existing = world.providers.get(key);
    if (existing) {
      throw alreadyExists(existing.state === 'DELETED'
        ? `Workforce pool provider ${id} was deleted recently; its id cannot be reused until ${existing.expireTime}. Undelete it instead.`
        : 'Requested entity already exists', `locations/global/workforcePools/${pool.poolId}/providers/${id}`);
    }
    const v: WorkforceProvider = {
      poolId: pool.poolId, providerId: id, displayName: b.displayName, description: b.description, disabled: !!b.disabled, state: 'ACTIVE',
      attributeMapping: { ...b.attributeMapping }, attributeCondition: b.attributeCondition || undefined,
      oidc: { issuerUri: '', clientId: '' }, createdAt: world.clock.now(),
    };
    if (b.oidc) applyOidc(v, b.oidc, false);
    requireCodeSecret(v);
    world.providers.set(key, v);
    return { json: operation(`locations/global/workforcePools/${pool.poolId}/providers/${id}`, 'providerCreate', () => undefined) };
  });
  r.get(new RegExp(`^${POOLS}/(?<pool>[^/:]+)/providers$`), (req) => {
    consumer(req);
    const pool = getPool(req.params.pool);
    requirePermission(req, 'iam.workforcePoolProviders.list', pool.parent);
    const showDeleted = req.query.get('showDeleted') === 'true';
    const all = [...world.providers.values()].filter((v) => v.poolId === pool.poolId && (showDeleted || v.state === 'ACTIVE')).map(providerView);
    const { items, nextPageToken } = page(all, req);
    return { json: { ...(items.length ? { workforcePoolProviders: items } : {}), ...(nextPageToken ? { nextPageToken } : {}) } };
  });
  r.get(new RegExp(`^${POOLS}/(?<pool>[^/:]+)/providers/(?<prov>[^/:]+)$`), (req) => { consumer(req); return { json: providerView(getProvider(req)) }; });
  r.patch(new RegExp(`^${POOLS}/(?<pool>[^/:]+)/providers/(?<prov>[^/:]+)$`), (req) => {
    consumer(req);
    const v = getProvider(req);
    const mask = requiredMask(req, ['displayName', 'description', 'disabled', 'attributeMapping', 'attributeCondition', 'oidc', 'detailedAuditLogging']);
    if (v.state === 'DELETED') throw failedPrecondition('You cannot update deleted providers.');
    const b = req.body ?? {};
    checkProvider(b, false, mask);
    // Validate the would-be result before answering, so a bad patch fails at once, not in the operation.
    const next: WorkforceProvider = structuredClone(v);
    for (const f of mask) {
      const top = f.split('.')[0];
      if (top === 'oidc') {
        const merged = { ...v.oidc, ...b.oidc, webSsoConfig: b.oidc?.webSsoConfig ?? v.oidc.webSsoConfig };
        applyOidc(next, merged, true);
      } else if (top === 'disabled') next.disabled = !!b.disabled;
      else (next as any)[top] = b[top];
    }
    requireCodeSecret(next);
    return { json: operation(`locations/global/workforcePools/${v.poolId}/providers/${v.providerId}`, 'providerUpdate', () => { Object.assign(v, next); }) };
  });
  r.delete(new RegExp(`^${POOLS}/(?<pool>[^/:]+)/providers/(?<prov>[^/:]+)$`), (req) => {
    consumer(req);
    const v = getProvider(req);
    if (v.state === 'DELETED') throw notFound('Requested entity was not found.', `locations/global/workforcePools/${v.poolId}/providers/${v.providerId}`);
    return { json: operation(`locations/global/workforcePools/${v.poolId}/providers/${v.providerId}`, 'providerDelete', () => markDeleted(world, v)) };
  });
  r.post(new RegExp(`^${POOLS}/(?<pool>[^/:]+)/providers/(?<prov>[^/:]+):undelete$`), (req) => {
    consumer(req);
    const v = getProvider(req);
    if (v.state !== 'DELETED') throw failedPrecondition(`Workforce pool provider ${v.providerId} is not deleted.`);
    return { json: operation(`locations/global/workforcePools/${v.poolId}/providers/${v.providerId}`, 'providerUndelete', () => markActive(v)) };
  });

  // Operations of pools and providers live under the resource they belong to.
  r.get(new RegExp(`^${POOLS}/(?<rest>[^:]+/operations/[^/:]+)$`), (req) => {
    const name = `locations/global/workforcePools/${req.params.rest}`;
    const op = world.operations.get(name);
    if (!op || op.api !== 'iam') throw notFound(`Operation ${name} was not found.`);
    return { json: Operations.toJSON(op) };
  });
}

/** Parses a CEL expression the way IAM does at write time; a syntax error is a 400 naming the field. */
function celOrThrow(expr: string, field: string, max: number): void {
  if (expr.length > max) throw invalid(`${field} is longer than ${max} characters.`, field);
  try { parseCel(expr); } catch (e) {
    throw new GoogleError('INVALID_ARGUMENT', `${field} is not a valid CEL expression: ${(e as Error).message.split('\n')[0]}`,
      [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field, description: 'invalid CEL expression' }] }]);
  }
}
