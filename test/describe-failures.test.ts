// What a user reads for the two Google answers this part of the tool explains: domain-restricted
// sharing (a coded error with the constraint, the member and Google's fix for this project) and
// Cloud Run's actAs 403 (the permission, the account, and the grant that fixes it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeGoogleFailure, type GoogleFailure } from '../src/core/google-errors.js';
import { domainRestricted, isDomainRestricted } from '../src/core/org-policy.js';

const f = (httpStatus: number, status: string, message: string): GoogleFailure => ({
  httpStatus,
  status,
  message,
  metadata: {},
});
const RUN_DRS = f(
  400,
  'FAILED_PRECONDITION',
  'One or more users named in the policy do not belong to a permitted customer, perhaps due to an organization policy.',
);
const CRM_DRS = f(
  400,
  'FAILED_PRECONDITION',
  'One or more users named in the policy do not belong to a permitted customer.',
);

test("domain-restricted sharing: recognised in both of Google's wordings, explained with the fix", () => {
  assert.equal(isDomainRestricted(RUN_DRS), true);
  assert.equal(isDomainRestricted(CRM_DRS), true);
  assert.equal(isDomainRestricted(f(400, 'INVALID_ARGUMENT', 'Service account x does not exist.')), false);
  assert.equal(isDomainRestricted(f(403, 'PERMISSION_DENIED', 'do not belong to a permitted customer')), false);

  const d = describeGoogleFailure(RUN_DRS, 'my-proj');
  assert.equal(d.code, 'ORG_POLICY_DOMAIN_RESTRICTED');
  assert.match(
    d.message,
    /iam\.allowedPolicyMemberDomains \(domain-restricted sharing\) refuses a member of the policy/,
  );
  assert.match(d.hint, /gcloud org-policies set-policy/);
  assert.match(d.hint, /name: projects\/my-proj\/policies\/iam\.allowedPolicyMemberDomains/);
  assert.match(d.hint, /gcloud org-policies delete iam\.allowedPolicyMemberDomains --project=my-proj/);

  const agent = 'serviceAccount:service-123@gcp-sa-iap.iam.gserviceaccount.com';
  const e = domainRestricted(
    RUN_DRS,
    'my-proj',
    [agent],
    'roles/run.invoker on projects/my-proj/locations/r/services/s',
  )!;
  assert.equal(e.code, 'ORG_POLICY_DOMAIN_RESTRICTED');
  assert.match(
    e.message,
    /refuses serviceAccount:service-123@gcp-sa-iap\.iam\.gserviceaccount\.com in roles\/run\.invoker on/,
  );
  assert.match(e.hint!, /^the legacy constraint cannot exempt Google's service agents/);
  const pool = 'principalSet://iam.googleapis.com/locations/global/workforcePools/p/*';
  assert.match(
    domainRestricted(RUN_DRS, 'my-proj', [pool], 'x')!.hint!,
    /^these members are outside your organization's directory/,
  );
  assert.equal(domainRestricted(f(400, 'INVALID_ARGUMENT', 'Invalid member'), 'my-proj', [pool], 'x'), undefined);
});

test('actAs: the permission, the account and the grant', () => {
  const sa = 'iap-hello-r@my-proj.iam.gserviceaccount.com';
  const d = describeGoogleFailure(
    f(
      403,
      'PERMISSION_DENIED',
      `Permission 'iam.serviceaccounts.actAs' denied on service account ${sa} (or it may not exist).`,
    ),
    'my-proj',
  );
  assert.equal(d.code, 'GOOGLE_PERMISSION_DENIED');
  assert.equal(
    d.message,
    `missing permission iam.serviceAccounts.actAs on service account ${sa}, or the account does not exist.`,
  );
  assert.match(
    d.hint,
    new RegExp(
      '^let yourself run services as it: gcloud iam service-accounts add-iam-policy-binding ' +
        `${sa.replace(/\./g, '\\.')} --project my-proj --member=user:YOU@EXAMPLE\\.COM ` +
        '--role=roles/iam\\.serviceAccountUser',
    ),
  );
  // Other 403s keep their own explanation.
  assert.match(
    describeGoogleFailure(
      f(
        403,
        'PERMISSION_DENIED',
        "Permission 'run.services.create' denied on resource 'projects/p' (or it may not exist).",
      ),
      'p',
    ).hint,
    /roles\/run\.admin/,
  );
});
