// Cloud Resource Manager v1 and v3 (gcp-api.md section 3): projects with their number and parent,
// getAncestry for projects in folders, organizations, and project IAM. Unknown projects answer 403.
import { GoogleError, errorInfo } from '../core/errors.js';
import { Router, requirePermission, type ApiRequest } from '../core/http.js';
import { projectOr403, requireMembersExist } from './common.js';
import { DRS_TEXT, requirePermittedMembers } from './org-policies.js';
import type { Project, World } from '../world.js';

export function crmRouter(world: World): Router {
  const r = new Router();
  const get = (req: ApiRequest) => {
    const p = projectOr403(world, req.params.p, 'resourcemanager.projects.get');
    requirePermission(req, 'resourcemanager.projects.get', `projects/${p.projectId}`);
    return p;
  };
  const etag = (p: Project) => `W/"${Buffer.from(p.projectId).toString('base64url').slice(0, 12)}"`;

  r.get(/^\/v1\/projects\/(?<p>[^/:]+)$/, (req) => {
    const p = get(req);
    return {
      json: {
        projectNumber: p.projectNumber,
        projectId: p.projectId,
        lifecycleState: 'ACTIVE',
        name: p.name,
        createTime: p.createTime,
        labels: {},
        ...(p.parent ? { parent: p.parent } : {}),
      },
    };
  });
  r.get(/^\/v3\/projects\/(?<p>[^/:]+)$/, (req) => {
    const p = get(req);
    return {
      json: {
        name: `projects/${p.projectNumber}`,
        projectId: p.projectId,
        state: 'ACTIVE',
        displayName: p.name,
        createTime: p.createTime,
        updateTime: p.createTime,
        etag: etag(p),
        ...(p.parent
          ? { parent: `${p.parent.type === 'organization' ? 'organizations' : 'folders'}/${p.parent.id}` }
          : {}),
      },
    };
  });
  r.post(/^\/v1\/projects\/(?<p>[^/:]+):getAncestry$/, (req) => {
    const p = get(req);
    const ancestor: { resourceId: { type: string; id: string } }[] = [
      { resourceId: { type: 'project', id: p.projectId } },
    ];
    let parent = p.parent
      ? `${p.parent.type === 'organization' ? 'organizations' : 'folders'}/${p.parent.id}`
      : undefined;
    while (parent) {
      const [kind, id] = parent.split('/');
      ancestor.push({ resourceId: { type: kind === 'folders' ? 'folder' : 'organization', id } });
      parent = kind === 'folders' ? world.folders.get(id)?.parent : undefined;
    }
    return { json: { ancestor } };
  });
  r.get(/^\/v3\/organizations\/(?<o>[^/:]+)$/, (req) => {
    if (req.params.o !== world.organization.id) {
      throw new GoogleError(
        'PERMISSION_DENIED',
        `Permission 'resourcemanager.organizations.get' denied on resource ` +
          `'//cloudresourcemanager.googleapis.com/organizations/${req.params.o}' (or it may not exist).`,
        [errorInfo('IAM_PERMISSION_DENIED', 'iam.googleapis.com', { permission: 'resourcemanager.organizations.get' })],
      );
    }
    return {
      json: {
        name: `organizations/${world.organization.id}`,
        displayName: world.organization.displayName,
        state: 'ACTIVE',
        directoryCustomerId: world.organization.directoryCustomerId,
        createTime: world.mainProject.createTime,
      },
    };
  });

  addProjectIamRoutes(r, world, get);
  return r;
}

function addProjectIamRoutes(r: Router, world: World, get: (req: ApiRequest) => Project): void {
  // Project IAM: POST for both get and set (unlike Cloud Run); allUsers is refused on projects.
  const key = (p: Project) => `crm:projects/${p.projectNumber}`;
  for (const v of ['v1', 'v3']) {
    r.post(new RegExp(`^/${v}/projects/(?<p>[^/:]+):getIamPolicy$`), (req) => {
      const p = get(req);
      requirePermission(req, 'resourcemanager.projects.getIamPolicy', `projects/${p.projectId}`);
      return { json: world.readPolicy(key(p)) };
    });
    r.post(new RegExp(`^/${v}/projects/(?<p>[^/:]+):setIamPolicy$`), (req) => {
      const p = get(req);
      requirePermission(req, 'resourcemanager.projects.setIamPolicy', `projects/${p.projectId}`);
      const policy = req.body?.policy ?? {};
      requireMembersExist(world, policy.bindings);
      requirePermittedMembers(
        world,
        `projects/${p.projectNumber}`,
        world.policies.get(key(p)),
        policy.bindings,
        DRS_TEXT.crm,
      );
      return { json: world.policies.set(key(p), policy, { rejectPublic: true }) };
    });
  }
}
