// The deploy stage's checks for iap-auth0 verify: read only, and never throwing (runCheck turns an error into
// a failed check).
import { gdata } from '../../google-call.js';
import { unlessNotFound } from '../../google-errors.js';
import { membersOf, type Policy } from '../../iam-policy.js';
import { parseLabels, setupName } from '../../ownership.js';
import { runCheck, ok, failed, firstFailure, type CheckResult, type Outcome } from '../../check.js';
import type { CoreContext } from '../../context.js';
import { INVOKER, PUBLIC, type Service, type Ctx, st, names } from './names.js';
import { serviceDecision } from './decide.js';

/**
 * The service is there, Ready, with IAP on, at the recorded URL, and this setup's; the IAP agent may invoke it; the
 * public may not.
 */
export async function verifyDeploy(ctx: CoreContext): Promise<CheckResult[]> {
  const n = names(ctx);
  const service = checkService(ctx);
  const account = st(ctx).resources.serviceAccount ? checkAccount(ctx) : undefined;
  // One read of the service's policy for the two checks on who may invoke.
  const policy = unlessNotFound(() =>
    gdata(ctx, () =>
      ctx.google.run.projects.locations.services.getIamPolicy({
        resource: n.service,
        'options.requestedPolicyVersion': 3,
      }),
    ),
  );
  policy.catch(() => undefined);
  return Promise.all([
    service,
    ...(account ? [account] : []),
    checkAgentInvoker(ctx, policy),
    checkNotPublic(ctx, policy),
  ]);
}

/** The service as it is now: there, Ready, with IAP on, at the recorded URL, and this setup's. */
function checkService(ctx: CoreContext): Promise<CheckResult> {
  const n = names(ctx);
  return runCheck(
    'deploy',
    'run-service',
    'Cloud Run service',
    async () => {
      const s = await unlessNotFound(() =>
        gdata(ctx, () => ctx.google.run.projects.locations.services.get({ name: n.service })),
      );
      if (!s) return failed(`${n.service} no longer exists`, 'run iap-auth0 init to deploy it again');
      return judgeService(ctx, s);
    },
    ctx.inputs.project,
    ctx.signal,
  );
}

/** What verify says of the service as read: the first thing wrong with it, else its URL. */
function judgeService(ctx: Ctx, s: Service): Outcome {
  const recordedUri = st(ctx).resources.uri;
  const d = serviceDecision(ctx, s);
  const labelled =
    'use' in d &&
    (d.use === 'adopted'
      ? parseLabels(s.labels)?.shared.includes(ctx.inputs.setupId)
      : parseLabels(s.labels)?.owner === ctx.inputs.setupId);
  return firstFailure(
    [
      [
        s.iapEnabled !== true,
        failed(
          `IAP is switched off on ${ctx.inputs.service} (iapEnabled is false)`,
          'run iap-auth0 init: it switches IAP back on',
        ),
      ],
      [
        (s.ingress ?? 'INGRESS_TRAFFIC_ALL') !== 'INGRESS_TRAFFIC_ALL',
        failed(
          `ingress is ${s.ingress}: browsers on the internet cannot reach it`,
          'run iap-auth0 init (sets ingress back to all)',
        ),
      ],
      [
        s.invokerIamDisabled === true,
        failed(
          'the invoker check is disabled (invokerIamDisabled): requests need no IAM permission',
          'run iap-auth0 init (turns the invoker check back on)',
        ),
      ],
      [
        s.terminalCondition?.state === 'CONDITION_FAILED',
        failed(
          'the service is not ready: ' +
            `${s.terminalCondition?.message ?? s.terminalCondition?.reason ?? 'revision failed'}`,
          'check the revision logs in the Cloud console; a bad image or a crash at start-up is the usual cause',
        ),
      ],
      [
        !!recordedUri && !!s.uri && s.uri !== recordedUri,
        failed(`its URL is now ${s.uri}, not the recorded ${recordedUri}`, 'run iap-auth0 init to record the new URL'),
      ],
      [
        'refuse' in d,
        failed(
          'the service carries no iap-auth0 marker of this setup (labels or description): ' +
            ('refuse' in d && d.owner ? `it belongs to ${setupName(d.owner)}` : 'it is not recorded as adopted either'),
          'the state file may have been edited: restore it',
        ),
      ],
      [
        !labelled,
        failed(
          `the service no longer carries this setup's iap-auth0 labels ` +
            `(${d && 'use' in d && d.use === 'adopted' ? 'iap-auth0-shared' : 'managed-by, iap-auth0-setup'}` +
            ')',
          'run iap-auth0 init to put them back',
        ),
      ],
    ],
    `${s.uri ?? names(ctx).service}, IAP on`,
  );
}

/** The runtime account a new service was given: still there, and enabled. */
function checkAccount(ctx: CoreContext): Promise<CheckResult> {
  const n = names(ctx);
  return runCheck(
    'deploy',
    'service-account',
    'Runtime service account',
    async () => {
      const sa = await unlessNotFound(() =>
        gdata(ctx, () => ctx.google.iam.projects.serviceAccounts.get({ name: n.saName })),
      );
      if (!sa)
        return failed(
          `${n.saEmail} no longer exists: new revisions cannot deploy`,
          'run iap-auth0 init to create it again',
        );
      return sa.disabled
        ? failed(`${n.saEmail} is disabled`, `enable it: gcloud iam service-accounts enable ${n.saEmail}`)
        : ok(n.saEmail);
    },
    ctx.inputs.project,
    ctx.signal,
  );
}

/** The IAP service agent still holds roles/run.invoker: without it signed-in users get Cloud Run's 403. */
function checkAgentInvoker(ctx: CoreContext, policy: Promise<Policy | undefined>): Promise<CheckResult> {
  const agent = st(ctx).resources.iapAgent ?? names(ctx).agent;
  return runCheck(
    'deploy',
    'iap-agent-invoker',
    'IAP service agent may invoke',
    async () => {
      const p = await policy;
      if (!p) return failed('the service does not exist, so neither does its policy', 'run iap-auth0 init');
      return membersOf(p, INVOKER).includes(`serviceAccount:${agent}`)
        ? ok(`${agent} holds ${INVOKER}`)
        : failed(
            `${agent} lost ${INVOKER}: signed-in users would get Cloud Run's 403`,
            'run iap-auth0 init (grants it again)',
          );
    },
    ctx.inputs.project,
    ctx.signal,
  );
}

/** Neither allUsers nor allAuthenticatedUsers may invoke: either would reach the run.app URL around IAP. */
function checkNotPublic(ctx: CoreContext, policy: Promise<Policy | undefined>): Promise<CheckResult> {
  return runCheck(
    'deploy',
    'no-public-invoker',
    'No public invoker',
    async () => {
      const p = await policy;
      const open = p ? membersOf(p, INVOKER).filter((m) => PUBLIC.includes(m)) : [];
      return open.length
        ? failed(
            `${open.join(' and ')} may invoke the service: its run.app URL can be reached around IAP`,
            'run iap-auth0 init (removes them), or gcloud run services remove-iam-policy-binding',
          )
        : ok('neither allUsers nor allAuthenticatedUsers may invoke');
    },
    ctx.inputs.project,
    ctx.signal,
  );
}
