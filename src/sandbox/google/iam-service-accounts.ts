// IAM service accounts (gcp-api.md section 4): synchronous create/get/list/delete. An account id
// is reusable right after delete (unlike pools); with `projects/-` a missing account is 403.
import { randomBytes } from 'node:crypto';
import { GoogleError, errorInfo, invalid, notFound, resourceInfo } from '../core/errors.js';
import { Router, requirePermission, type ApiRequest } from '../core/http.js';
import { serviceAccountId } from '../../lib/ids.js';
import { projectOr403, requireEnabled } from './common.js';
import type { ServiceAccount, World } from '../world.js';

export function addServiceAccountRoutes(r: Router, world: World): void {
  const view = (sa: ServiceAccount) => ({
    name: `projects/${sa.projectId}/serviceAccounts/${sa.email}`, projectId: sa.projectId, uniqueId: sa.uniqueId, email: sa.email,
    ...(sa.displayName ? { displayName: sa.displayName } : {}), ...(sa.description ? { description: sa.description } : {}),
    etag: sa.etag, oauth2ClientId: sa.oauth2ClientId, disabled: sa.disabled,
  });
  const project = (req: ApiRequest) => {
    const p = projectOr403(world, req.params.p, 'iam.serviceAccounts.list');
    requireEnabled(world, p, 'iam.googleapis.com');
    return p;
  };
  const find = (req: ApiRequest): ServiceAccount => {
    const ref = req.params.sa;
    const wildcard = req.params.p === '-';
    const p = wildcard ? undefined : project(req);
    const sa = [...world.serviceAccounts.values()].find((s) => (s.email === ref || s.uniqueId === ref) && (!p || s.projectId === p.projectId));
    if (!sa) {
      if (wildcard) {
        const permission = req.method === 'DELETE' ? 'iam.serviceAccounts.delete' : 'iam.serviceAccounts.get';
        throw new GoogleError('PERMISSION_DENIED', `Permission '${permission}' denied on resource (or it may not exist).`,
          [errorInfo('IAM_PERMISSION_DENIED', 'iam.googleapis.com', { permission })]);
      }
      throw notFound(`Unknown service account`, `projects/${req.params.p}/serviceAccounts/${ref}`);
    }
    // With projects/- the account's own project is the consumer whose IAM API must be on.
    if (wildcard) requireEnabled(world, world.project(sa.projectId)!, 'iam.googleapis.com');
    return sa;
  };

  r.post(/^\/v1\/projects\/(?<p>[^/]+)\/serviceAccounts$/, (req) => {
    const p = project(req);
    requirePermission(req, 'iam.serviceAccounts.create', `projects/${p.projectId}`);
    const accountId = String(req.body?.accountId ?? '');
    const problem = serviceAccountId(accountId);
    if (problem) throw invalid(`${problem}.`, 'account_id');
    const input = req.body?.serviceAccount ?? {};
    if (input.displayName && Buffer.byteLength(String(input.displayName)) > 100) throw invalid('displayName must be at most 100 bytes.', 'service_account.display_name');
    if (input.description && Buffer.byteLength(String(input.description)) > 256) throw invalid('description must be at most 256 bytes.', 'service_account.description');
    const email = `${accountId}@${p.projectId}.iam.gserviceaccount.com`;
    if (world.serviceAccounts.has(email)) {
      throw new GoogleError('ALREADY_EXISTS', `Service account ${accountId} already exists within project projects/${p.projectId}.`,
        [resourceInfo(`projects/${p.projectId}/serviceAccounts/${email}`)]);
    }
    const sa: ServiceAccount = {
      projectId: p.projectId, accountId, email, uniqueId: world.newUniqueId(), displayName: input.displayName, description: input.description,
      disabled: false, etag: randomBytes(6).toString('base64'), oauth2ClientId: world.newUniqueId(), createdAt: world.clock.now(),
    };
    world.serviceAccounts.set(email, sa);
    return { json: view(sa) };
  });
  r.get(/^\/v1\/projects\/(?<p>[^/]+)\/serviceAccounts$/, (req) => {
    const p = project(req);
    const accounts = [...world.serviceAccounts.values()].filter((s) => s.projectId === p.projectId).map(view);
    return { json: accounts.length ? { accounts } : {} };
  });
  r.get(/^\/v1\/projects\/(?<p>[^/]+)\/serviceAccounts\/(?<sa>[^/:]+)$/, (req) => ({ json: view(find(req)) }));
  r.delete(/^\/v1\/projects\/(?<p>[^/]+)\/serviceAccounts\/(?<sa>[^/:]+)$/, (req) => {
    const sa = find(req);
    requirePermission(req, 'iam.serviceAccounts.delete', `projects/${sa.projectId}/serviceAccounts/${sa.email}`);
    world.serviceAccounts.delete(sa.email);
    return { json: {} };
  });
}
