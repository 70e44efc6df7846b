// Stage 1: the Cloud Run service with native IAP. Enables the APIs, generates the IAP service
// agent (enabling IAP does not create it: "The IAP service account is not provisioned", peers
// P4), creates the runtime service account, creates or updates the service (iapEnabled, ingress
// all, our label), and lets the IAP agent invoke it (P3). A public invoker is removed: it would
// let *.run.app bypass IAP (P11). The service operation is recorded before it is polled, so a
// resumed run polls it instead of creating again (P20).
import { IAP_AGENT_EMAIL, IAP_AUDIENCE, serviceAccountId } from '../../lib/ids.js';
import { derivedIds } from '../../inputs/schema.js';
import { gdata, gonce, planRead } from '../google-call.js';
import { googleFailure, isConflict, unlessNotFound } from '../google-errors.js';
import { pollOperation, OperationError } from '../poll.js';
import { addMembers, removeMembers, membersOf, type PolicyAccess } from '../iam-policy.js';
import { notOurs } from '../coded-error.js';
import { runCheck, ok, failed, firstFailure, type CheckResult } from '../check.js';
import { sleep } from '../retry.js';
import type { CoreContext } from '../context.js';
import type { PlanItem, Stage } from '../stage.js';
import type { run_v2 } from '@googleapis/run';

const LABEL = { 'managed-by': 'iap-auth0' };
const SA_MARKER = 'Managed by iap-auth0';
export const INVOKER = 'roles/run.invoker';

type Service = run_v2.Schema$GoogleCloudRunV2Service;

const names = (ctx: Pick<CoreContext, 'inputs'>) => {
  const i = ctx.inputs;
  const accountId = derivedIds(i.project, i.service).serviceAccount;
  return {
    parent: `projects/${i.project}/locations/${i.region}`,
    service: `projects/${i.project}/locations/${i.region}/services/${i.service}`,
    accountId, saEmail: `${accountId}@${i.project}.iam.gserviceaccount.com`,
    agent: IAP_AGENT_EMAIL(i.projectNumber),
  };
};


/** The fields iap-auth0 owns on the service, and whether `s` already has them. */
function serviceDiff(ctx: CoreContext, s: Service, saEmail: string): { mask: string[]; body: Service } {
  const mask: string[] = [];
  if (s.iapEnabled !== true) mask.push('iapEnabled');
  if (s.ingress !== 'INGRESS_TRAFFIC_ALL') mask.push('ingress');
  if (s.invokerIamDisabled) mask.push('invokerIamDisabled');
  const t = s.template ?? {};
  // IAP_AUDIENCE lets the app verify x-goog-iap-jwt-assertion without hard-coding the audience.
  const c0 = t.containers?.[0] ?? {};
  const audience = IAP_AUDIENCE(ctx.inputs.projectNumber, ctx.inputs.region, ctx.inputs.service);
  const wantEnv = ctx.inputs.audienceEnv !== false;
  const envOk = !wantEnv || (c0.env ?? []).some((e) => e.name === 'IAP_AUDIENCE' && e.value === audience);
  if (t.serviceAccount !== saEmail || c0.image !== ctx.inputs.image || !envOk) mask.push('template');
  if (s.labels?.['managed-by'] !== 'iap-auth0') mask.push('labels');
  const body: Service = {
    iapEnabled: true, ingress: 'INGRESS_TRAFFIC_ALL', invokerIamDisabled: false, launchStage: 'BETA',
    labels: { ...(s.labels ?? {}), ...LABEL },
    template: { ...t, serviceAccount: saEmail, containers: [{
      ...c0, image: ctx.inputs.image,
      ...(wantEnv ? { env: [...(c0.env ?? []).filter((e) => e.name !== 'IAP_AUDIENCE'), { name: 'IAP_AUDIENCE', value: audience }] } : {}),
    }, ...(t.containers?.slice(1) ?? [])] },
  };
  return { mask, body };
}

const isReady = (s: Service) => !s.reconciling && s.terminalCondition?.type === 'Ready' && s.terminalCondition?.state === 'CONDITION_SUCCEEDED';

export const deployStage: Stage = {
  id: 'deploy',
  title: 'Deploy to Cloud Run',
  verify: verifyDeploy,
  owned: (ctx) => {
    const r = ctx.state.stage('deploy').resources;
    return [r.service && `Cloud Run service ${r.service}`, r.serviceAccount && `service account ${r.serviceAccount}`].filter((x): x is string => !!x);
  },
  destroy: destroyDeploy,

  async plan(ctx) {
    const n = names(ctx);
    const items: PlanItem[] = [];
    const sa = await planRead(ctx, () => ctx.google.iam.projects.serviceAccounts.get({ name: `projects/${ctx.inputs.project}/serviceAccounts/${n.saEmail}` }));
    items.push({ stage: 'deploy', action: sa ? 'none' : 'create', resource: `service account ${n.saEmail}` });
    const s = await planRead(ctx, () => ctx.google.run.projects.locations.services.get({ name: n.service }));
    const audienceEnv = ctx.inputs.audienceEnv !== false ? `, env IAP_AUDIENCE=${IAP_AUDIENCE(ctx.inputs.projectNumber, ctx.inputs.region, ctx.inputs.service)} (--no-audience-env to skip)` : '';
    if (!s) items.push({ stage: 'deploy', action: 'create', resource: n.service, detail: `image ${ctx.inputs.image}, IAP on${audienceEnv}` });
    else {
      const ours = s.labels?.['managed-by'] === 'iap-auth0' || ctx.state.stage('deploy').resources.service === n.service;
      const { mask } = serviceDiff(ctx as CoreContext, s, n.saEmail);
      items.push({ stage: 'deploy', action: !ours ? 'adopt' : mask.length ? 'update' : 'none', resource: n.service, detail: mask.length ? `change ${mask.join(', ')}` : undefined });
    }
    items.push({ stage: 'deploy', action: 'none', resource: `IAP service agent ${n.agent} may invoke the service`, detail: 'granted if missing' });
    return items;
  },

  async apply(ctx) {
    const n = names(ctx);
    const step = (text: string) => ctx.emit({ type: 'step', stage: 'deploy', text });
    await ctx.apisReady();

    // The IAP service agent: idempotent, no read endpoint; the email may be absent in the answer.
    // Nothing but the invoker grant needs it, so it is generated while the service deploys.
    const agentReady = ctx.state.stage('deploy').resources.iapAgent ? Promise.resolve() : (async () => {
      step('generating the IAP service agent');
      const su = ctx.google.serviceusageBeta;
      const op = await gdata(ctx, () => su.services.generateServiceIdentity({ parent: `projects/${ctx.inputs.projectNumber}/services/iap.googleapis.com` }), 'deploy');
      const done = await pollOperation((name) => su.operations.get({ name }), op, { signal: ctx.signal });
      await ctx.state.recordResource('deploy', 'iapAgent', (done.response as { email?: string } | undefined)?.email ?? n.agent);
    })();
    agentReady.catch(() => undefined); // awaited below; a failure surfaces there

    // Runtime service account.
    const saName = `projects/${ctx.inputs.project}/serviceAccounts/${n.saEmail}`;
    const sas = ctx.google.iam.projects.serviceAccounts;
    let sa = await unlessNotFound(() => gdata(ctx, () => sas.get({ name: saName }), 'deploy'));
    if (!sa) {
      if (serviceAccountId(n.accountId)) throw new Error(serviceAccountId(n.accountId));
      step(`creating service account ${n.saEmail}`);
      try {
        sa = await gdata(ctx, () => sas.create({ name: `projects/${ctx.inputs.project}`, requestBody: { accountId: n.accountId,
          serviceAccount: { displayName: `${ctx.inputs.service} (iap-auth0)`.slice(0, 100), description: `${SA_MARKER}: runtime identity of Cloud Run service ${ctx.inputs.service}` } } }), 'deploy');
      } catch (e) {
        if (!isConflict(e)) throw e;
        sa = await gdata(ctx, () => sas.get({ name: saName }), 'deploy');
      }
    } else if (!sa.description?.startsWith(SA_MARKER) && ctx.state.stage('deploy').resources.serviceAccount !== n.saEmail && !ctx.inputs.adopt) {
      throw notOurs(`the service account ${n.saEmail}`, '--service');
    }
    await ctx.state.recordResource('deploy', 'serviceAccount', n.saEmail);

    // The service: resume a recorded operation, else create or update.
    const services = ctx.google.run.projects.locations.services;
    const ops = ctx.google.run.projects.locations.operations;
    // Cloud Run operations have a long-poll :wait, so the deploy is seen done the moment it is,
    // without polling; each wait is capped at 10 s to report progress, and aborts on Ctrl-C.
    const pollRun = async (opName: string) => {
      const start = Date.now();
      for (;;) {
        const op = await gdata(ctx, () => ops.wait({ name: opName, requestBody: { timeout: '10s' } }, { signal: ctx.signal }), 'deploy');
        if (op.done) {
          if (op.error) throw new OperationError(opName, op.error.code ?? undefined, op.error.message ?? 'Cloud Run operation failed');
          break;
        }
        ctx.emit({ type: 'waiting', stage: 'deploy', text: 'Cloud Run is deploying', elapsedMs: Date.now() - start });
      }
      await ctx.state.recordOperation('deploy', 'service', undefined);
    };
    const recorded = ctx.state.stage('deploy').operations.service;
    if (recorded) {
      step('waiting for the deployment a previous run started');
      await unlessNotFound(() => pollRun(recorded)); // an operation that is gone finished long ago
    }
    let s = await unlessNotFound(() => gdata(ctx, () => services.get({ name: n.service }), 'deploy'));
    if (!s) {
      step(`deploying ${ctx.inputs.service} (${ctx.inputs.image}) with IAP on`);
      const { body } = serviceDiff(ctx, {}, n.saEmail);
      let op;
      try {
        op = await gdata(ctx, () => services.create({ parent: n.parent, serviceId: ctx.inputs.service, requestBody: body }), 'deploy');
      } catch (e) {
        if (!isConflict(e)) throw e; // created by a retried request, or by a run killed before recording
      }
      if (op?.name) { await ctx.state.recordOperation('deploy', 'service', op.name); await pollRun(op.name); }
    } else {
      const ours = s.labels?.['managed-by'] === 'iap-auth0' || ctx.state.stage('deploy').resources.service === n.service;
      if (!ours && !ctx.inputs.adopt) throw notOurs(`the Cloud Run service ${n.service}`, '--service');
      const { mask, body } = serviceDiff(ctx, s, n.saEmail);
      if (mask.length) {
        step(`updating ${ctx.inputs.service}: ${mask.join(', ')}`);
        const op = await gdata(ctx, () => services.patch({ name: n.service, updateMask: mask.join(','), requestBody: body }), 'deploy');
        if (op.name) { await ctx.state.recordOperation('deploy', 'service', op.name); await pollRun(op.name); }
      }
    }
    await ctx.state.recordResource('deploy', 'service', n.service);
    // Ready means the operation finished and the service reconciled (gcp-api.md 5.3).
    for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
      s = await gdata(ctx, () => services.get({ name: n.service }), 'deploy');
      if (isReady(s)) break;
      if (s.terminalCondition?.state === 'CONDITION_FAILED') throw new Error(`Cloud Run could not deploy ${ctx.inputs.service}: ${s.terminalCondition.message ?? s.terminalCondition.reason}`);
      await sleep(delay, ctx.signal);
    }
    if (s.uri) await ctx.state.recordResource('deploy', 'uri', s.uri);

    // Who may invoke: the IAP agent yes, the public no.
    await agentReady;
    const policy: PolicyAccess = {
      get: () => gdata(ctx, () => services.getIamPolicy({ resource: n.service, 'options.requestedPolicyVersion': 3 }), 'deploy'),
      // One attempt: addMembers/removeMembers retry the whole read-modify-write.
      set: (p) => gonce(() => services.setIamPolicy({ resource: n.service, requestBody: { policy: p as never } })),
    };
    const agent = `serviceAccount:${ctx.state.stage('deploy').resources.iapAgent ?? n.agent}`;
    const added = await addMembers(policy, INVOKER, [agent], ctx.signal);
    if (added.length) step(`granted ${INVOKER} to the IAP service agent`);
    const current = await policy.get();
    const publicMembers = membersOf(current, INVOKER).filter((m) => m === 'allUsers' || m === 'allAuthenticatedUsers');
    if (publicMembers.length) {
      await removeMembers(policy, INVOKER, publicMembers, ctx.signal);
      step(`removed ${publicMembers.join(', ')} from ${INVOKER}: it would let anyone bypass IAP`);
    }
    await ctx.state.updateStage('deploy', (st) => { st.added = [...new Set([...(st.added ?? []), ...added])]; });
    return `${ctx.inputs.service} on Cloud Run with IAP on: ${s.uri ?? '(no URL)'}`;
  },
};


/** The service is there, Ready, with IAP on, at the recorded URL; the IAP agent may invoke it; the public may not. */
async function verifyDeploy(ctx: CoreContext): Promise<CheckResult[]> {
  const n = names(ctx);
  const r = ctx.state.stage('deploy').resources;
  const services = ctx.google.run.projects.locations.services;
  const service = runCheck('deploy', 'run-service', 'Cloud Run service', async () => {
    const s = await unlessNotFound(() => gdata(ctx, () => services.get({ name: n.service })));
    if (!s) return failed(`${n.service} no longer exists`, 'run iap-auth0 init to deploy it again');
    return firstFailure([
      [s.iapEnabled !== true, failed(`IAP is switched off on ${ctx.inputs.service} (iapEnabled is false)`, 'run iap-auth0 init: it switches IAP back on')],
      [(s.ingress ?? 'INGRESS_TRAFFIC_ALL') !== 'INGRESS_TRAFFIC_ALL', failed(`ingress is ${s.ingress}: browsers on the internet cannot reach it`, 'run iap-auth0 init (sets ingress back to all)')],
      [s.invokerIamDisabled === true, failed('the invoker check is disabled (invokerIamDisabled): requests need no IAM permission', 'run iap-auth0 init (turns the invoker check back on)')],
      [s.terminalCondition?.state === 'CONDITION_FAILED', failed(`the service is not ready: ${s.terminalCondition?.message ?? s.terminalCondition?.reason ?? 'revision failed'}`, 'check the revision logs in the Cloud console; a bad image or a crash at start-up is the usual cause')],
      [!!r.uri && !!s.uri && s.uri !== r.uri, failed(`its URL is now ${s.uri}, not the recorded ${r.uri}`, 'run iap-auth0 init to record the new URL')],
    ], `${s.uri ?? n.service}, IAP on`);
  }, ctx.inputs.project);
  const account = runCheck('deploy', 'service-account', 'Runtime service account', async () => {
    const sa = await unlessNotFound(() => gdata(ctx, () => ctx.google.iam.projects.serviceAccounts.get({ name: `projects/${ctx.inputs.project}/serviceAccounts/${n.saEmail}` })));
    if (!sa) return failed(`${n.saEmail} no longer exists: new revisions cannot deploy`, 'run iap-auth0 init to create it again');
    return sa.disabled ? failed(`${n.saEmail} is disabled`, `enable it: gcloud iam service-accounts enable ${n.saEmail}`) : ok(n.saEmail);
  }, ctx.inputs.project);
  const policy = unlessNotFound(() => gdata(ctx, () => services.getIamPolicy({ resource: n.service, 'options.requestedPolicyVersion': 3 })));
  policy.catch(() => undefined);
  const agent = r.iapAgent ?? n.agent;
  const invoker = runCheck('deploy', 'iap-agent-invoker', 'IAP service agent may invoke', async () => {
    const p = await policy;
    if (!p) return failed('the service does not exist, so neither does its policy', 'run iap-auth0 init');
    return membersOf(p, INVOKER).includes(`serviceAccount:${agent}`) ? ok(`${agent} holds ${INVOKER}`)
      : failed(`${agent} lost ${INVOKER}: signed-in users would get Cloud Run's 403`, 'run iap-auth0 init (grants it again)');
  }, ctx.inputs.project);
  const notPublic = runCheck('deploy', 'no-public-invoker', 'No public invoker', async () => {
    const p = await policy;
    const open = p ? membersOf(p, INVOKER).filter((m) => m === 'allUsers' || m === 'allAuthenticatedUsers') : [];
    return open.length ? failed(`${open.join(' and ')} may invoke the service: its run.app URL can be reached around IAP`, 'run iap-auth0 init (removes them), or gcloud run services remove-iam-policy-binding')
      : ok('neither allUsers nor allAuthenticatedUsers may invoke');
  }, ctx.inputs.project);
  return Promise.all([service, account, invoker, notPublic]);
}

/** Deletes the service (waiting until it is gone) and the runtime service account. */
async function destroyDeploy(ctx: CoreContext): Promise<string> {
  const r = ctx.state.stage('deploy').resources;
  const done: string[] = [];
  const services = ctx.google.run.projects.locations.services;
  if (r.service) {
    let s = await unlessNotFound(() => gdata(ctx, () => services.get({ name: r.service }), 'deploy'));
    if (s && !s.deleteTime) {
      ctx.emit({ type: 'step', stage: 'deploy', text: `deleting ${r.service}` });
      // A delete already under way (a run killed mid-way) answers 400 FAILED_PRECONDITION; the
      // wait below covers both.
      await unlessNotFound(() => gdata(ctx, () => services.delete({ name: r.service }), 'deploy')).catch((e) => {
        if (googleFailure(e)?.status !== 'FAILED_PRECONDITION') throw e;
      });
    }
    for (let delay = 100, start = Date.now(); s; delay = Math.min(delay * 2, 2000)) {
      await sleep(delay, ctx.signal);
      s = await unlessNotFound(() => gdata(ctx, () => services.get({ name: r.service }), 'deploy'));
      if (s) ctx.emit({ type: 'waiting', stage: 'deploy', text: 'Cloud Run is deleting the service', elapsedMs: Date.now() - start });
    }
    done.push(`service ${ctx.inputs.service}`);
  }
  if (r.serviceAccount) {
    await unlessNotFound(() => gdata(ctx, () => ctx.google.iam.projects.serviceAccounts.delete({ name: `projects/${ctx.inputs.project}/serviceAccounts/${r.serviceAccount}` }), 'deploy'));
    done.push(`service account ${r.serviceAccount}`);
  }
  return done.length ? `deleted ${done.join(' and ')}` : 'nothing to delete';
}
