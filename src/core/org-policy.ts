// Domain-restricted sharing: an organization policy on `iam.allowedPolicyMemberDomains` (enforced
// by default in organizations created since 2024-05-03) refuses IAM grants to members outside the
// organization's directory customer, with 400 FAILED_PRECONDITION "One or more users named in the
// policy do not belong to a permitted customer". The legacy constraint cannot admit Google's
// service agents, so the IAP service agent's run.invoker grant fails; workforce pool members may
// too (not on record). Google's workaround: allow all members for the project, grant, put the
// organization's policy back. Sources: docs/SANDBOX.md "Domain-restricted sharing".
import { CodedError } from './coded-error.js';
import type { GoogleFailure } from './google-errors.js';

export const DRS_CONSTRAINT = 'iam.allowedPolicyMemberDomains';
export const DRS_CODE = 'ORG_POLICY_DOMAIN_RESTRICTED';

/** Whether Google refused a policy write because of domain-restricted sharing. */
export function isDomainRestricted(f: GoogleFailure | undefined): boolean {
  return !!f && f.httpStatus === 400 && /do not belong to a permitted customer/i.test(f.message);
}

/**
 * The fix, as commands for this project: Google's documented project-level override of the
 * constraint (Org Policy API v2, `gcloud org-policies set-policy`), the re-run, and the removal
 * of the override. Grants made meanwhile stay: the constraint is not retroactive.
 */
export function domainRestrictedHint(project: string, members: string[] = []): string {
  const file = 'drs-allow-all.yaml';
  const policy = `name: projects/${project}/policies/${DRS_CONSTRAINT}\\nspec:\\n  rules:\\n  - allowAll: true\\n`;
  const why =
    members.length && !members.some(isServiceAgent)
      ? "these members are outside your organization's directory"
      : "the legacy constraint cannot exempt Google's service agents";
  return (
    `${why}; Google's documented way is to allow all members for this project, grant, ` +
    `then put the organization's policy back (needs roles/orgpolicy.policyAdmin). Run: gcloud services enable ` +
    `orgpolicy.googleapis.com --project=${project} ` +
    `&& printf '${policy}' > ${file} && gcloud org-policies set-policy ${file}; then re-run iap-auth0 init; ` +
    `then gcloud org-policies delete ${DRS_CONSTRAINT} --project=${project} (the grants stay: the policy is ` +
    'not retroactive; if the project had a policy ' +
    `of its own for this constraint, save it first with gcloud org-policies describe ${DRS_CONSTRAINT} ` +
    `--project=${project} and set it back instead)`
  );
}

/** A Google-managed service agent (service-N@gcp-sa-….iam.gserviceaccount.com and the older robot domains). */
const isServiceAgent = (member: string) =>
  /^serviceAccount:service-\d+@(gcp-sa-[a-z0-9-]+|serverless-robot-prod)\.iam\.gserviceaccount\.com$/.test(member);

/** The refusal as the user reads it, naming the constraint and the members (when known). */
export function describeDomainRestricted(
  f: GoogleFailure,
  project: string | undefined,
  members?: string[],
  where?: string,
): { code: string; message: string; hint: string } {
  const who = members?.length ? members.join(', ') : 'a member of the policy';
  return {
    code: DRS_CODE,
    message:
      `the organization policy ${DRS_CONSTRAINT} (domain-restricted sharing) refuses ` +
      `${who}${where ? ` in ${where}` : ''}: Google answered "${f.message}"`,
    hint: domainRestrictedHint(project ?? 'PROJECT_ID', members),
  };
}

/** A grant's failure as a coded error when domain-restricted sharing refused it; undefined otherwise. */
export function domainRestricted(
  f: GoogleFailure | undefined,
  project: string,
  members: string[],
  where: string,
): CodedError | undefined {
  if (!f || !isDomainRestricted(f)) return undefined;
  const d = describeDomainRestricted(f, project, members, where);
  return new CodedError(d.code, d.message, d.hint);
}
