// IAP v1 resource names (gcp-api.md 9.1): which shapes the API accepts, the project or
// organization behind each, and the IAM permission each level checks.
//
// Deliberate fidelity to two real pitfalls (gcp-api.md 12.2-12.3): a name with the project ID
// instead of the number (projects/my-project/iap_web/...) and one with `cloud-run-{region}`
// instead of `cloud_run-{region}` are ACCEPTED, stored and returned under that literal name, just
// as IAP does, but nothing ever reads them: the front door (effectiveIapSettings in
// iap-settings.ts, and the `iap:` policy it reads) only builds names with the project number and
// `cloud_run-`. Settings or grants written there are silently dead, which is the behaviour the
// CLI's verify step has to catch.
import { GoogleError, errorInfo, invalid } from '../core/errors.js';
import { requirePermission, type ApiRequest } from '../core/http.js';
import { requireEnabled } from './common.js';
import type { Project, World } from '../world.js';

export type IapLevel = 'organization' | 'folder' | 'project' | 'web' | 'webType' | 'webService' | 'webServiceVersion';

export interface IapResource {
  /** The name exactly as the caller sent it (the storage key). */
  name: string;
  level: IapLevel;
  project?: Project;
  /** The organization whose workforce pools this resource may use, if any. */
  organizationId?: string;
}

const REGION = '[a-z]+-[a-z]+[0-9]+';
// compute | compute-{region} | appengine-{app} | cloud_run-{region}; `cloud-run-{region}` is the
// accepted-but-dead misspelling (see the header comment).
const WEB_TYPE = new RegExp(
  `^(compute|compute-${REGION}|appengine-[a-z][a-z0-9.:-]*|cloud_run-${REGION}|cloud-run-${REGION})$`,
);
const PROJECT_NAME =
  /^projects\/([^/]+)(?:\/(iap_web)(?:\/([^/]+)(?:\/services\/([^/]+)(?:\/versions\/([^/]+))?)?)?)?$/;
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.~-]*$/;

// Permission prefix per level, as IAP's IAM model names them.
const PERMISSION_PREFIX: Record<IapLevel, string> = {
  organization: 'iap.organizations',
  folder: 'iap.folders',
  project: 'iap.projects',
  web: 'iap.web',
  webType: 'iap.webTypes',
  webService: 'iap.webServices',
  webServiceVersion: 'iap.webServiceVersions',
};

function denied(name: string, permission: string): GoogleError {
  return new GoogleError(
    'PERMISSION_DENIED',
    `Permission '${permission}' denied on resource '${name}' (or it may not exist).`,
    [errorInfo('IAM_PERMISSION_DENIED', 'iam.googleapis.com', { permission, resource: name })],
  );
}

/** The organization a folder sits in (walking parent folders). */
function folderOrganization(world: World, folderId: string): string | undefined {
  let parent = world.folders.get(folderId)?.parent;
  while (parent?.startsWith('folders/')) parent = world.folders.get(parent.slice(8))?.parent;
  return parent?.startsWith('organizations/') ? parent.slice(14) : undefined;
}

/**
 * Parses and checks an IAP resource name for a call that needs `verb` (e.g. "getSettings"):
 * 400 for a shape IAP does not know, 403 for an unknown project/folder/organization, the
 * SERVICE_DISABLED 403 when IAP is off in the project, 403 when the token lacks the permission.
 */
export function iapResource(world: World, req: ApiRequest, name: string, verb: string): IapResource {
  const bad = () =>
    invalid(
      `Invalid resource name "${name}". Expected organizations/{ORG}, folders/{FOLDER}, ` +
        'projects/{PROJECT_NUMBER}, projects/{PROJECT_NUMBER}/iap_web or ' +
        'projects/{PROJECT_NUMBER}/iap_web/{compute|compute-REGION|appengine-APP|cloud_run-REGION}' +
        '[/services/{SERVICE}[/versions/{VERSION}]].',
      'name',
    );
  let res: IapResource;
  const org = /^organizations\/([^/]+)$/.exec(name);
  const folder = /^folders\/([^/]+)$/.exec(name);
  const proj = PROJECT_NAME.exec(name);
  if (org) {
    if (!/^\d+$/.test(org[1])) throw bad();
    if (org[1] !== world.organization.id) throw denied(name, `${PERMISSION_PREFIX.organization}.${verb}`);
    res = { name, level: 'organization', organizationId: org[1] };
  } else if (folder) {
    if (!/^\d+$/.test(folder[1])) throw bad();
    if (!world.folders.has(folder[1])) throw denied(name, `${PERMISSION_PREFIX.folder}.${verb}`);
    res = { name, level: 'folder', organizationId: folderOrganization(world, folder[1]) };
  } else if (proj) {
    const [, ref, web, type, service, version] = proj;
    if (type !== undefined && !WEB_TYPE.test(type)) throw bad();
    if ((service !== undefined && !SEGMENT.test(service)) || (version !== undefined && !SEGMENT.test(version)))
      throw bad();
    const level: IapLevel =
      version !== undefined
        ? 'webServiceVersion'
        : service !== undefined
          ? 'webService'
          : type !== undefined
            ? 'webType'
            : web !== undefined
              ? 'web'
              : 'project';
    // The project may be named by ID or number; both resolve (an ID-named resource is stored under
    // its literal name and never read by the data path, see the header comment).
    const project = world.project(ref);
    if (!project) throw denied(name, `${PERMISSION_PREFIX[level]}.${verb}`);
    requireEnabled(world, project, 'iap.googleapis.com');
    res = { name, level, project, organizationId: world.organizationOf(project) };
  } else {
    throw bad();
  }
  requirePermission(req, `${PERMISSION_PREFIX[res.level]}.${verb}`, name);
  return res;
}
