// Facts about the project every stage needs: its number (IAP names and audiences use the number,
// never the id) and its organization (workforce pools live there; a project without one cannot
// host this setup).
import { gdata } from './google-call.js';
import type { CoreContext } from './context.js';

export class NoOrganizationError extends Error {}

export async function projectFacts(
  ctx: Pick<CoreContext, 'google' | 'signal' | 'emit' | 'env'>,
  project: string,
): Promise<{ projectNumber: string; organization?: string }> {
  const p = await gdata(ctx, () => ctx.google.crmV3.projects.get({ name: `projects/${project}` }));
  const projectNumber = String(p.name).replace('projects/', '');
  if (p.parent?.startsWith('organizations/')) return { projectNumber, organization: p.parent.slice(14) };
  if (!p.parent) return { projectNumber };
  const anc = await gdata(ctx, () => ctx.google.crmV1.projects.getAncestry({ projectId: project, requestBody: {} }));
  const org = anc.ancestor?.find((a) => a.resourceId?.type === 'organization')?.resourceId?.id ?? undefined;
  return { projectNumber, organization: org };
}
