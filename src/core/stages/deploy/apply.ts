// The deploy stage's apply: carries out the decision (decide.ts) and nothing else, re-reading only to resolve
// a race (a create that met 409, an IAM etag) or to wait.
import { IAP_AUDIENCE, serviceAccountId } from '../../../lib/ids.js';
import { DEFAULT_IMAGE } from '../../../inputs/resolve.js';
import { gdata, opReader } from '../../google-call.js';
import { googleFailure, isConflict, unlessNotFound } from '../../google-errors.js';
import { pollOperation } from '../../poll.js';
import { addMembers, removeMembers } from '../../iam-policy.js';
import { markedDescription, markedLabels, purposeOf } from '../../ownership.js';
import { recordPrevious, recordUse } from '../../records.js';
import { pollUntil } from '../../backoff.js';
import { accountUnsettled, agentUnsettled, readAfterConflict, untilSettled } from '../../settle.js';
import { domainRestricted } from '../../org-policy.js';
import { DependencyFailed, type StageContext } from '../../stage.js';
import type { CoreContext } from '../../context.js';
import { INVOKER, type Service, type Account, stage, st, names, servicePurpose, saPurpose } from './names.js';
import { type AccountPlan, type ServicePlan, type DeployDecision, decideAccount, decideService } from './decide.js';
import { SERVICE_BACKOFF, waitRunOperation, invokerPolicy } from './cloud-run.js';

/** Executes the deploy decision: the account and service (created or patched), the agent, the invoker grants. */
export async function applyDeploy(ctx: StageContext, d: DeployDecision): Promise<string> {
  const n = names(ctx);
  if (d.service.do === 'refuse') throw d.service.error;
  if (d.account?.do === 'refuse') throw d.account.error;
  await ctx.apisReady();
  // The setup's claim on its pool runs alongside the reads below; nothing is created before it
  // holds, so a run that loses the claim changes nothing in the project.
  const claimed = ctx.claim().then(
    () => undefined,
    (e) => {
      throw new DependencyFailed('deploy', 'workforce-pool', e);
    },
  );
  claimed.catch(() => undefined); // awaited before each create
  // Nothing but the invoker grant needs the IAP service agent, so it is generated while the service deploys.
  const agentReady = d.agent ? generateAgent(ctx, claimed) : Promise.resolve(undefined);
  agentReady.catch(() => undefined); // awaited below; a failure surfaces there

  await resumeDeployment(ctx);
  const plan = await deployService(ctx, d, claimed);
  const s = await waitReady(ctx);
  if (s.uri) await ctx.state.recordResource('deploy', 'uri', s.uri);
  const added = await setInvokers(ctx, d, await agentReady);
  await ctx.state.updateStage('deploy', (x) => {
    x.added = [...new Set([...(x.added ?? []), ...added])];
  });
  ctx.provide('service', { name: n.service, uri: s.uri ?? undefined });
  const kept =
    plan.do === 'use' && plan.use === 'adopted'
      ? `; kept its image ${s.template?.containers?.[0]?.image} and service account ${s.template?.serviceAccount}`
      : '';
  return `${ctx.inputs.service} on Cloud Run with IAP on: ${s.uri ?? '(no URL)'}${kept}`;
}

/**
 * The IAP service agent: idempotent, no read endpoint; the email may be absent in the answer. Generated once
 * the setup's claim holds (a run that loses it changes nothing in the project). Returns when it was generated:
 * the invoker grant may have to wait for it.
 */
async function generateAgent(ctx: StageContext, claimed: Promise<void>): Promise<number> {
  await claimed;
  ctx.emit({ type: 'step', stage, text: 'generating the IAP service agent' });
  const su = ctx.google.serviceusageBeta;
  const op = await gdata(
    ctx,
    () =>
      su.services.generateServiceIdentity({
        parent: `projects/${ctx.inputs.projectNumber}/services/iap.googleapis.com`,
      }),
    'deploy',
  );
  const done = await pollOperation(
    opReader(ctx, (name) => su.operations.get({ name }), 'deploy'),
    op,
    {
      signal: ctx.signal,
    },
  );
  const generatedAt = Date.now();
  await ctx.state.recordResource(
    'deploy',
    'iapAgent',
    (done.response as { email?: string } | undefined)?.email ?? names(ctx).agent,
  );
  return generatedAt;
}

/** A deployment an earlier run started and recorded (it was killed while waiting): waited for, not started again. */
async function resumeDeployment(ctx: StageContext): Promise<void> {
  const recorded = st(ctx).operations.service;
  if (!recorded) return;
  ctx.emit({ type: 'step', stage, text: 'waiting for the deployment a previous run started' });
  await unlessNotFound(() => waitRunOperation(ctx, recorded)); // an operation that is gone finished long ago
}

/** The service as planned: created, or patched with what IAP needs. Returns the plan that was carried out. */
async function deployService(ctx: StageContext, d: DeployDecision, claimed: Promise<void>): Promise<ServicePlan> {
  const plan = d.service.do === 'create' ? await createService(ctx, d, claimed) : d.service;
  if (plan.do === 'use') await useService(ctx, plan);
  return plan;
}

/**
 * Creates the service (and its runtime account first). A create that meets 409 (a retried request, or another
 * run: a race) returns the one decision taken again on what is there now, for `useService` to carry out.
 */
async function createService(ctx: StageContext, d: DeployDecision, claimed: Promise<void>): Promise<ServicePlan> {
  const n = names(ctx);
  const services = ctx.google.run.projects.locations.services;
  const accountSince = await ensureServiceAccount(ctx, d.account!, claimed);
  await claimed;
  ctx.emit({
    type: 'step',
    stage,
    text: `deploying ${ctx.inputs.service} (${ctx.inputs.deployImage ?? ctx.inputs.image}) with IAP on`,
  });
  try {
    // A service account this run just created cannot be run as for a while (actAs 403).
    const op = await untilSettled(
      ctx,
      { stage, what: 'the new service account', since: accountSince, unsettled: accountUnsettled(n.saEmail) },
      () =>
        gdata(
          ctx,
          () =>
            services.create({
              parent: n.parent,
              serviceId: ctx.inputs.service,
              requestBody: newService(ctx, n.saEmail),
            }),
          'deploy',
        ),
    );
    // Created with IAP's fields and this setup's marker: nothing to check or patch.
    await recordUse(ctx, 'deploy', 'service', n.service, 'created');
    if (op.name) {
      await ctx.state.recordOperation('deploy', 'service', op.name);
      await waitRunOperation(ctx, op.name);
    }
    return d.service;
  } catch (e) {
    if (!isConflict(e)) throw e;
    const plan = decideService(ctx, await gdata(ctx, () => services.get({ name: n.service }), 'deploy'));
    if (plan.do === 'refuse') throw plan.error;
    return plan;
  }
}

/** A service that exists, used as planned: recorded (with what an adopted one was before), IAP's fields patched. */
async function useService(ctx: StageContext, plan: Extract<ServicePlan, { do: 'use' }>): Promise<void> {
  const n = names(ctx);
  if (plan.use === 'adopted') await recordPrevious(ctx, 'deploy', { ...plan.previous, of: n.service });
  await recordUse(ctx, 'deploy', 'service', n.service, plan.use);
  if (!plan.mask.length) return;
  ctx.emit({
    type: 'step',
    stage,
    text:
      `updating ${ctx.inputs.service}: ` +
      `${plan.mask.join(', ')}${plan.imageFrom ? ` (image ${plan.imageFrom} → ${ctx.inputs.deployImage})` : ''}`,
  });
  const op = await gdata(
    ctx,
    () =>
      ctx.google.run.projects.locations.services.patch({
        name: n.service,
        updateMask: plan.mask.join(','),
        requestBody: plan.body,
      }),
    'deploy',
  );
  if (op.name) {
    await ctx.state.recordOperation('deploy', 'service', op.name);
    await waitRunOperation(ctx, op.name);
  }
}

/** A new service: IAP on, the runtime account, the image, IAP_AUDIENCE, this setup's marker. */
function newService(ctx: CoreContext, saEmail: string): Service {
  const audience = IAP_AUDIENCE(ctx.inputs.projectNumber, ctx.inputs.region, ctx.inputs.service);
  const marker = { owner: ctx.inputs.setupId, shared: [] };
  return {
    iapEnabled: true,
    ingress: 'INGRESS_TRAFFIC_ALL',
    invokerIamDisabled: false,
    launchStage: 'BETA',
    labels: markedLabels({}, marker),
    description: markedDescription(marker, servicePurpose(ctx), 512),
    template: {
      serviceAccount: saEmail,
      containers: [
        {
          image: ctx.inputs.deployImage ?? ctx.inputs.image ?? DEFAULT_IMAGE,
          // IAP_AUDIENCE lets the app verify x-goog-iap-jwt-assertion without hard-coding the audience.
          ...(ctx.inputs.audienceEnv !== false ? { env: [{ name: 'IAP_AUDIENCE', value: audience }] } : {}),
        },
      ],
    },
  };
}

const isReady = (s: Service) =>
  !s.reconciling && s.terminalCondition?.type === 'Ready' && s.terminalCondition?.state === 'CONDITION_SUCCEEDED';

/** The service once Ready: the operation finished and the service reconciled (gcp-api.md 5.3); a failed one throws. */
async function waitReady(ctx: StageContext): Promise<Service> {
  const name = names(ctx).service;
  const { value: s } = await pollUntil(
    () => gdata(ctx, () => ctx.google.run.projects.locations.services.get({ name }), 'deploy'),
    (x) => isReady(x) || x.terminalCondition?.state === 'CONDITION_FAILED',
    { backoff: SERVICE_BACKOFF, signal: ctx.signal },
  );
  if (!isReady(s))
    throw new Error(
      `Cloud Run could not deploy ${ctx.inputs.service}: ` +
        `${s.terminalCondition?.message ?? s.terminalCondition?.reason}`,
    );
  return s;
}

/**
 * Who may invoke: the IAP agent yes, the public no, as planned (the read-modify-write re-reads only for the etag,
 * and writes nothing for a member already there or already gone). Returns the members this run added.
 */
async function setInvokers(ctx: StageContext, d: DeployDecision, agentSince: number | undefined): Promise<string[]> {
  const n = names(ctx);
  const policy = invokerPolicy(ctx, n.service);
  let added: string[] = [];
  if (d.grant.length) {
    // The agent as generated (its email from the operation), which the plan could only name.
    const agentEmail = st(ctx).resources.iapAgent ?? n.agent;
    const agent = `serviceAccount:${agentEmail}`;
    // An agent this run just generated cannot be named in a policy for a while ("does not exist");
    // domain-restricted sharing refuses it outright (a coded error with Google's documented fix).
    added = await untilSettled(
      ctx,
      { stage, what: 'the new IAP service agent', since: agentSince, unsettled: agentUnsettled(agentEmail) },
      () => addMembers(policy, INVOKER, [agent], ctx.signal),
    ).catch((e) => {
      throw domainRestricted(googleFailure(e), ctx.inputs.project, [agent], `${INVOKER} on ${n.service}`) ?? e;
    });
    if (added.length) ctx.emit({ type: 'step', stage, text: `granted ${INVOKER} to the IAP service agent` });
  }
  if (d.revoke.length) {
    const removed = await removeMembers(policy, INVOKER, d.revoke, ctx.signal);
    if (removed.length)
      ctx.emit({
        type: 'step',
        stage,
        text: `removed ${removed.join(', ')} from ${INVOKER}: it would let anyone bypass IAP`,
      });
  }
  return added;
}

/**
 * The runtime service account of a service iap-auth0 creates, as planned: this setup's own, or
 * (with --adopt) one that exists. Returns when this run created it (or found it too new to read),
 * so that the service create can wait for it to become usable; undefined for an account that was there.
 */
async function ensureServiceAccount(
  ctx: CoreContext,
  planned: AccountPlan,
  claimed: Promise<void>,
): Promise<number | undefined> {
  const n = names(ctx);
  const sas = ctx.google.iam.projects.serviceAccounts;
  let a = planned;
  let since: number | undefined;
  if (a.do === 'create') {
    await claimed;
    const bad = serviceAccountId(n.accountId);
    if (bad) throw new Error(bad);
    ctx.emit({ type: 'step', stage, text: `creating service account ${n.saEmail}` });
    try {
      await gdata(
        ctx,
        () =>
          sas.create({
            name: `projects/${ctx.inputs.project}`,
            requestBody: {
              accountId: n.accountId,
              serviceAccount: {
                displayName: `${ctx.inputs.service} (iap-auth0)`.slice(0, 100),
                description: markedDescription({ owner: ctx.inputs.setupId, shared: [] }, saPurpose(ctx), 256),
              },
            },
          }),
        'deploy',
      );
      await recordUse(ctx, 'deploy', 'serviceAccount', n.saEmail, 'created');
      return Date.now();
    } catch (e) {
      if (!isConflict(e)) throw e;
      // It exists (a retried create that had succeeded, or another run's), maybe too new to read:
      // the one decision taken again on what is there.
      let sa: Account;
      ({ value: sa, since } = await readAfterConflict(ctx, 'deploy', 'the new service account', () =>
        gdata(ctx, () => sas.get({ name: n.saName }), 'deploy'),
      ));
      a = decideAccount(ctx, sa);
    }
  }
  if (a.do === 'refuse') throw a.error;
  if (a.do === 'create')
    throw new Error(`the service account ${n.saEmail} answered that it exists, then could not be read`);
  if (a.patch) {
    const description = markedDescription(a.patch, purposeOf(a.account.description) || saPurpose(ctx), 256);
    await gdata(
      ctx,
      () => sas.patch({ name: n.saName, requestBody: { serviceAccount: { description }, updateMask: 'description' } }),
      'deploy',
    );
  }
  await recordUse(ctx, 'deploy', 'serviceAccount', n.saEmail, a.use);
  return since;
}
