// Identity-Aware Proxy API v1 (gcp-api.md 9): get/update IAP settings and the IAM policy of IAP
// resources. Names are `{+name}` paths of any depth; iap-resources.ts decides which shapes are
// real. Settings live in world.iapSettings and policies under `iap:{name}`, both keyed by the
// name exactly as sent (so an ID-named or `cloud-run-` name is stored but never read by the data
// path, as with real IAP). effectiveIapSettings is the data path's view, for frontdoor/.
import { Router } from '../core/http.js';
import { requireMembersExist, updateMask } from './common.js';
import { iapResource } from './iap-resources.js';
import { applySettingsUpdate, settingsView } from './iap-settings.js';
import { checkPolicyVersion, grantedPermissions, maskedPolicy } from './iap-iam.js';
import { DRS_TEXT, requirePermittedMembers } from './org-policies.js';
import type { World } from '../world.js';

export { effectiveIapSettings, type EffectiveIapSettings } from './iap-settings.js';

export function iapRouter(world: World): Router {
  const router = new Router();

  router.get(/^\/v1\/(?<name>.+):iapSettings$/, (req) => {
    const res = iapResource(world, req, req.params.name, 'getSettings');
    return { json: settingsView(world.iapSettings.get(res.name), res.name) };
  });

  router.patch(/^\/v1\/(?<name>.+):iapSettings$/, (req) => {
    const res = iapResource(world, req, req.params.name, 'updateSettings');
    const next = applySettingsUpdate(world, res, world.iapSettings.get(res.name), req.body, updateMask(req));
    world.setIapSettings(res.name, next ?? undefined);
    return { json: settingsView(next, res.name) };
  });

  router.post(/^\/v1\/(?<name>.+):getIamPolicy$/, (req) => {
    const res = iapResource(world, req, req.params.name, 'getIamPolicy');
    checkPolicyVersion(req.body?.options?.requestedPolicyVersion);
    return { json: world.readPolicy(`iap:${res.name}`) };
  });

  router.post(/^\/v1\/(?<name>.+):setIamPolicy$/, (req) => {
    const res = iapResource(world, req, req.params.name, 'setIamPolicy');
    const key = `iap:${res.name}`;
    const policy = maskedPolicy(world.policies.get(key), req.body);
    requireMembersExist(world, policy.bindings);
    // Assumption: IAP answers domain-restricted sharing with Cloud Run's text (no IAP capture found).
    const node = res.project ? `projects/${res.project.projectNumber}` : res.name;
    requirePermittedMembers(world, node, world.policies.get(key), policy.bindings, DRS_TEXT.run);
    return { json: world.policies.set(key, policy) };
  });

  router.post(/^\/v1\/(?<name>.+):testIamPermissions$/, (req) => {
    iapResource(world, req, req.params.name, 'getIamPolicy');
    const granted = grantedPermissions(req, req.body?.permissions ?? []);
    return { json: granted.length ? { permissions: granted } : {} };
  });

  return router;
}
