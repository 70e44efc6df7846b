// Stage 1: the Cloud Run service with native IAP. Enables the APIs, generates the IAP service
// agent (enabling IAP does not create it: "The IAP service account is not provisioned", peers
// P4), lets the IAP agent invoke the service (P3), and removes a public invoker: it would let
// *.run.app bypass IAP (P11). The service operation is recorded before it is polled, so a resumed
// run polls it instead of creating again (P20).
//
// Your app stays your app: on a service that exists, init changes only what IAP needs (IAP on,
// ingress all, the invoker check on), never the image, the runtime service account, the env or
// other containers; the image changes only when --image is given on that run. A new service gets
// a runtime service account of its own and the IAP_AUDIENCE variable. Ownership is read from the
// service's labels (managed-by, iap-auth0-setup, iap-auth0-shared) and description; a service
// someone else made is adopted only with --adopt, and then carries only an iap-auth0-shared label.
import { IAP_AGENT_EMAIL, IAP_AUDIENCE, serviceAccountId } from '../../lib/ids.js';
import { derivedIds } from '../../inputs/schema.js';
import { DEFAULT_IMAGE } from '../../inputs/resolve.js';
import { gdata, gonce, planRead } from '../google-call.js';
import { googleFailure, isConflict, unlessNotFound } from '../google-errors.js';
import { pollOperation, OperationError } from '../poll.js';
import { addMembers, removeMembers, membersOf, type Policy, type PolicyAccess } from '../iam-policy.js';
import { refusal, type CodedError } from '../coded-error.js';
import {
  adoptedNote,
  decideFate,
  decideUse,
  markedDescription,
  markedLabels,
  parseDescription,
  parseLabels,
  purposeOf,
  sameLabels,
  sameMarker,
  setupName,
  type Fate,
  type Marker,
  type UseDecision,
} from '../ownership.js';
import { fieldOf, recordedAs, recordPrevious, recordUse } from '../records.js';
import { runCheck, ok, failed, firstFailure, type CheckResult } from '../check.js';
import { sleep } from '../retry.js';
import { delays } from '../backoff.js';
import { accountUnsettled, agentUnsettled, readAfterConflict, untilSettled } from '../settle.js';
import { domainRestricted } from '../org-policy.js';
import { missingApis, enableApis, REQUIRED_APIS } from '../apis.js';
import { serviceFate, serviceMarker } from '../fates.js';
import { DependencyFailed, refused, type Change, type Stage, type StageContext } from '../stage.js';
import type { CoreContext } from '../context.js';
import type { run_v2 } from '@googleapis/run';
import type { iam_v1 } from '@googleapis/iam';

export const INVOKER = 'roles/run.invoker';
const PUBLIC = ['allUsers', 'allAuthenticatedUsers'];

type Service = run_v2.Schema$GoogleCloudRunV2Service;
type Account = iam_v1.Schema$ServiceAccount;
type Ctx = Pick<CoreContext, 'inputs' | 'state'>;

const st = (ctx: Pick<CoreContext, 'state'>) => ctx.state.stage('deploy');
const names = (ctx: Pick<CoreContext, 'inputs' | 'state'>) => {
  const i = ctx.inputs;
  const saEmail =
    st(ctx).resources.serviceAccount ??
    `${derivedIds(i.project, i.region, i.service).serviceAccount}@${i.project}.iam.gserviceaccount.com`;
  return {
    parent: `projects/${i.project}/locations/${i.region}`,
    service: `projects/${i.project}/locations/${i.region}/services/${i.service}`,
    accountId: saEmail.split('@')[0],
    saEmail,
    saName: `projects/${i.project}/serviceAccounts/${saEmail}`,
    agent: IAP_AGENT_EMAIL(i.projectNumber),
  };
};
const servicePurpose = (ctx: Ctx) => `Cloud Run service ${ctx.inputs.service} behind IAP with Auth0 sign-in`;
const saPurpose = (ctx: Ctx) => `runtime identity of Cloud Run service ${ctx.inputs.service} in ${ctx.inputs.region}`;

const serviceDecision = (ctx: Ctx, s: Service): UseDecision =>
  decideUse(serviceMarker(s), ctx.inputs.setupId, recordedAs(st(ctx), 'service', names(ctx).service), ctx.inputs.adopt);
const saDecision = (ctx: Ctx, sa: Account): UseDecision =>
  decideUse(
    parseDescription(sa.description),
    ctx.inputs.setupId,
    recordedAs(st(ctx), 'serviceAccount', names(ctx).saEmail),
    ctx.inputs.adopt,
  );
const refuseService = (ctx: Ctx, d: UseDecision) =>
  refusal(d as Extract<UseDecision, { refuse: unknown }>, `the Cloud Run service ${names(ctx).service}`, {
    flag: '--service',
    stateFile: ctx.state.file,
    field: fieldOf('deploy', 'service'),
    me: ctx.inputs.setupId,
  });

/** The service fields IAP needs, and which of them `s` lacks. */
function iapFields(s: Service): { mask: string[]; body: Service; previous: Record<string, string> } {
  const mask: string[] = [];
  if (s.iapEnabled !== true) mask.push('iapEnabled');
  if ((s.ingress ?? 'INGRESS_TRAFFIC_ALL') !== 'INGRESS_TRAFFIC_ALL') mask.push('ingress');
  if (s.invokerIamDisabled) mask.push('invokerIamDisabled');
  const previous = Object.fromEntries(mask.map((f) => [f, String((s as Record<string, unknown>)[f] ?? '')]));
  return { mask, body: { iapEnabled: true, ingress: 'INGRESS_TRAFFIC_ALL', invokerIamDisabled: false }, previous };
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

/** What init changes on an existing service: IAP's fields, the marker, and the image only if asked for. */
function serviceChanges(
  ctx: Ctx,
  s: Service,
  d: Extract<UseDecision, { use: unknown }>,
): { mask: string[]; body: Service; previous: Record<string, string>; imageFrom?: string } {
  const { mask, body, previous } = iapFields(s);
  const labels = markedLabels(s.labels, d.marker ?? serviceMarker(s));
  if (!sameLabels(labels, s.labels)) {
    mask.push('labels');
    body.labels = labels;
  }
  if (d.use === 'created' && parseDescription(s.description)?.owner !== ctx.inputs.setupId) {
    mask.push('description');
    body.description = markedDescription(
      { owner: ctx.inputs.setupId, shared: [] },
      purposeOf(s.description) || servicePurpose(ctx),
      512,
    );
  }
  const c0 = s.template?.containers?.[0];
  const want = ctx.inputs.deployImage;
  if (want && c0 && c0.image !== want) {
    // Only the image of the first container: its env, the other containers, the runtime account
    // and every other template field are sent back as they are.
    mask.push('template');
    body.template = {
      ...s.template,
      containers: [{ ...c0, image: want }, ...(s.template?.containers?.slice(1) ?? [])],
    };
    return { mask, body, previous, imageFrom: c0.image ?? undefined };
  }
  return { mask, body, previous };
}

const isReady = (s: Service) =>
  !s.reconciling && s.terminalCondition?.type === 'Ready' && s.terminalCondition?.state === 'CONDITION_SUCCEEDED';

/**
 * What the deploy stage reads to plan: the APIs, the service, its runtime account (for a new service) and who may
 * invoke it.
 */
export interface DeployReads {
  missingApis: string[];
  service?: Service;
  account?: Account;
  policy?: Policy;
}

/** The runtime account of a service this run creates. */
export type AccountPlan = { change: Change } & (
  | { do: 'create' }
  | { do: 'refuse'; error: CodedError }
  | { do: 'use'; use: 'created' | 'adopted'; account: Account; patch?: Marker }
);
/** The service: created, or used as it is with the fields IAP needs patched. */
export type ServicePlan = { change: Change } & (
  | { do: 'create' }
  | { do: 'refuse'; error: CodedError }
  | {
      do: 'use';
      use: 'created' | 'adopted';
      mask: string[];
      body: Service;
      previous: Record<string, string>;
      imageFrom?: string;
    }
);

export interface DeployDecision {
  changes: Change[];
  /** The APIs to enable (none: no request). */
  apis: string[];
  /** Generate the IAP service agent (it has no read endpoint: generated once per setup, recorded). */
  agent: boolean;
  account?: AccountPlan;
  service: ServicePlan;
  /** Members to add to, and to remove from, roles/run.invoker. */
  grant: string[];
  revoke: string[];
}

const stage = 'deploy' as const;

/** Pure: the runtime account's decision, from the account as read (undefined: absent). */
export function decideAccount(ctx: Pick<CoreContext, 'inputs' | 'state'>, sa: Account | undefined): AccountPlan {
  const n = names(ctx);
  const resource = `service account ${n.saEmail}`;
  if (!sa)
    return {
      do: 'create',
      change: { stage, action: 'create', resource, reason: "the new service's runtime identity" },
    };
  const d = saDecision(ctx, sa);
  if ('refuse' in d) {
    const error = refusal(d, `the service account ${n.saEmail}`, {
      flag: '--service',
      stateFile: ctx.state.file,
      field: fieldOf('deploy', 'serviceAccount'),
      me: ctx.inputs.setupId,
    });
    return { do: 'refuse', error, change: refused(stage, resource, error) };
  }
  // This setup's account whose marker an earlier version wrote (or someone edited): put right.
  const patch =
    d.use === 'created' && d.marker && !sameMarker(d.marker, parseDescription(sa.description)) ? d.marker : undefined;
  const adopting = d.use === 'adopted' && recordedAs(st(ctx), 'serviceAccount', n.saEmail) !== 'adopted';
  const action = adopting ? 'adopt' : patch ? 'update' : 'none';
  return {
    do: 'use',
    use: d.use,
    account: sa,
    ...(patch ? { patch } : {}),
    change: {
      stage,
      action,
      resource,
      reason: adopting
        ? `the new service's runtime identity: ${adoptedNote(d.marker)} (--adopt)`
        : patch
          ? 'its iap-auth0 marker is put right'
          : "the new service's runtime identity, already there",
      ...(patch ? { fields: ['description'] } : {}),
    },
  };
}

/** Pure: the service's decision, from the service as read (undefined: absent). */
export function decideService(ctx: Pick<CoreContext, 'inputs' | 'state'>, s: Service | undefined): ServicePlan {
  const n = names(ctx);
  if (!s) {
    const env =
      ctx.inputs.audienceEnv !== false
        ? `, env IAP_AUDIENCE=${IAP_AUDIENCE(ctx.inputs.projectNumber, ctx.inputs.region, ctx.inputs.service)} ` +
          '(--no-audience-env to skip)'
        : '';
    return {
      do: 'create',
      change: {
        stage,
        action: 'create',
        resource: n.service,
        reason: `image ${ctx.inputs.deployImage ?? ctx.inputs.image}, runs as ${n.saEmail}, IAP on${env}`,
      },
    };
  }
  const d = serviceDecision(ctx, s);
  if ('refuse' in d) {
    const error = refuseService(ctx, d);
    return { do: 'refuse', error, change: refused(stage, n.service, error) };
  }
  const c = serviceChanges(ctx, s, d);
  const image = c.imageFrom
    ? `image ${c.imageFrom} → ${ctx.inputs.deployImage} (--image)`
    : `keeps image ${s.template?.containers?.[0]?.image}`;
  const iap = c.mask.filter((f) => ['iapEnabled', 'ingress', 'invokerIamDisabled'].includes(f));
  const reason = [
    image,
    `keeps service account ${s.template?.serviceAccount ?? '(default)'}`,
    iap.length ? `sets ${iap.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  const adopting = d.use === 'adopted' && !recordedAs(st(ctx), 'service', n.service);
  const action = adopting ? 'adopt' : c.mask.length ? 'update' : 'none';
  return {
    do: 'use',
    use: d.use,
    ...c,
    change: { stage, action, resource: n.service, reason, ...(c.mask.length ? { fields: c.mask } : {}) },
  };
}

/** Pure: everything the deploy stage will do, from what it read. */
export function decideDeploy(ctx: Pick<CoreContext, 'inputs' | 'state'>, r: DeployReads): DeployDecision {
  const n = names(ctx);
  const service = decideService(ctx, r.service);
  const account = service.do === 'create' ? decideAccount(ctx, r.account) : undefined;
  const agent = !st(ctx).resources.iapAgent;
  const agentEmail = st(ctx).resources.iapAgent ?? n.agent;
  const invokers = r.policy ? membersOf(r.policy, INVOKER) : [];
  const grant = invokers.includes(`serviceAccount:${agentEmail}`) ? [] : [`serviceAccount:${agentEmail}`];
  const revoke = invokers.filter((m) => PUBLIC.includes(m));
  const changes: Change[] = [
    ...(account ? [account.change] : []),
    service.change,
    {
      stage,
      action: agent ? 'create' : 'none',
      resource: `IAP service agent ${agentEmail}`,
      reason: agent
        ? 'IAP signs its requests to the service as this agent; enabling IAP does not create it'
        : 'generated by an earlier run',
    },
    grant.length
      ? {
          stage,
          action: 'grant',
          resource: `${INVOKER} on the service`,
          members: grant,
          reason: `the IAP service agent ${agentEmail} must invoke the service`,
          ...(agent ? { awaits: 'the generated IAP service agent' } : {}),
        }
      : { stage, action: 'none', resource: `${INVOKER} on the service`, reason: 'the IAP service agent may invoke it' },
    ...(revoke.length
      ? [
          {
            stage,
            action: 'revoke' as const,
            resource: `${INVOKER} on the service`,
            members: revoke,
            reason: 'a public invoker would let anyone reach the service around IAP',
          },
        ]
      : []),
    r.missingApis.length
      ? {
          stage,
          action: 'update',
          resource: `the enabled APIs of projects/${ctx.inputs.projectNumber}`,
          fields: r.missingApis,
          reason: 'iap-auth0 and IAP use them',
        }
      : {
          stage,
          action: 'none',
          resource: `the enabled APIs of projects/${ctx.inputs.projectNumber}`,
          reason: `${REQUIRED_APIS.join(', ')} are enabled`,
        },
  ];
  return { changes, apis: r.missingApis, agent, ...(account ? { account } : {}), service, grant, revoke };
}

export const deployStage: Stage = {
  id: 'deploy',
  verify: verifyDeploy,
  owned: (recorded) => {
    const s = recorded.stage('deploy');
    const r = s.resources;
    const adopted = s.adopted?.includes('service');
    return [
      r.service &&
        (adopted
          ? `nothing of Cloud Run service ${r.service} (adopted): IAP settings it changed are put back, the ` +
            'service stays'
          : `Cloud Run service ${r.service}`),
      r.serviceAccount && !s.adopted?.includes('serviceAccount') && `service account ${r.serviceAccount}`,
    ].filter((x): x is string => !!x);
  },
  destroy: destroyDeploy,

  async read(ctx) {
    const n = names(ctx);
    const [missing, service] = await Promise.all([
      missingApis(ctx),
      planRead(ctx, () => ctx.google.run.projects.locations.services.get({ name: n.service })),
    ]);
    const [account, policy] = await Promise.all([
      service ? undefined : planRead(ctx, () => ctx.google.iam.projects.serviceAccounts.get({ name: n.saName })),
      service
        ? planRead(ctx, () =>
            ctx.google.run.projects.locations.services.getIamPolicy({
              resource: n.service,
              'options.requestedPolicyVersion': 3,
            }),
          )
        : undefined,
    ]);
    return () => {
      const d = decideDeploy(ctx, { missingApis: missing, service, account, policy });
      return {
        stage,
        changes: d.changes,
        prospects: { service: { uri: service?.uri ?? undefined } },
        apply: (c) => applyDeploy(c, d),
        shared: { apisReady: (c) => enableApis(c, d.apis) },
      };
    };
  },
};

/** Executes the deploy decision: the account and service (created or patched), the agent, the invoker grants. */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: not yet split into named steps (issue 13, item 4)
async function applyDeploy(ctx: StageContext, d: DeployDecision): Promise<string> {
  const n = names(ctx);
  const step = (text: string) => ctx.emit({ type: 'step', stage, text });
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

  // The IAP service agent: idempotent, no read endpoint; the email may be absent in the answer.
  // Nothing but the invoker grant needs it, so it is generated while the service deploys (once
  // the setup's claim holds: a run that loses it changes nothing in the project).
  let agentGeneratedAt: number | undefined; // set when this run generates the agent: its grant may wait for it
  const agentReady = !d.agent
    ? Promise.resolve()
    : (async () => {
        await claimed;
        step('generating the IAP service agent');
        const su = ctx.google.serviceusageBeta;
        const op = await gdata(
          ctx,
          () =>
            su.services.generateServiceIdentity({
              parent: `projects/${ctx.inputs.projectNumber}/services/iap.googleapis.com`,
            }),
          'deploy',
        );
        const done = await pollOperation((name) => su.operations.get({ name }), op, { signal: ctx.signal });
        agentGeneratedAt = Date.now();
        await ctx.state.recordResource(
          'deploy',
          'iapAgent',
          (done.response as { email?: string } | undefined)?.email ?? n.agent,
        );
      })();
  agentReady.catch(() => undefined); // awaited below; a failure surfaces there

  const services = ctx.google.run.projects.locations.services;
  const ops = ctx.google.run.projects.locations.operations;
  // Cloud Run operations have a long-poll :wait, so the deploy is seen done the moment it is,
  // without polling; each wait is capped at 10 s to report progress, and aborts on Ctrl-C.
  const pollRun = async (opName: string) => {
    const start = Date.now();
    for (;;) {
      const op = await gdata(
        ctx,
        () => ops.wait({ name: opName, requestBody: { timeout: '10s' } }, { signal: ctx.signal }),
        'deploy',
      );
      if (op.done) {
        if (op.error)
          throw new OperationError(
            opName,
            op.error.code ?? undefined,
            op.error.message ?? 'Cloud Run operation failed',
          );
        break;
      }
      ctx.emit({ type: 'waiting', stage, text: 'Cloud Run is deploying', elapsedMs: Date.now() - start });
    }
    await ctx.state.recordOperation('deploy', 'service', undefined);
  };
  const recorded = st(ctx).operations.service;
  if (recorded) {
    step('waiting for the deployment a previous run started');
    await unlessNotFound(() => pollRun(recorded)); // an operation that is gone finished long ago
  }
  let plan: ServicePlan = d.service;
  if (plan.do === 'create') {
    const accountSince = await ensureServiceAccount(ctx, d.account!, claimed);
    await claimed;
    step(`deploying ${ctx.inputs.service} (${ctx.inputs.deployImage ?? ctx.inputs.image}) with IAP on`);
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
        await pollRun(op.name);
      }
    } catch (e) {
      if (!isConflict(e)) throw e;
      // Created by a retried request, or by another run (a race): the one decision taken again on
      // what is there now.
      plan = decideService(ctx, await gdata(ctx, () => services.get({ name: n.service }), 'deploy'));
      if (plan.do === 'refuse') throw plan.error;
    }
  }
  if (plan.do === 'use') {
    if (plan.use === 'adopted') await recordPrevious(ctx, 'deploy', { ...plan.previous, of: n.service });
    await recordUse(ctx, 'deploy', 'service', n.service, plan.use);
    if (plan.mask.length) {
      step(
        `updating ${ctx.inputs.service}: ` +
          `${plan.mask.join(', ')}${plan.imageFrom ? ` (image ${plan.imageFrom} → ${ctx.inputs.deployImage})` : ''}`,
      );
      const body = plan.body,
        mask = plan.mask;
      const op = await gdata(
        ctx,
        () => services.patch({ name: n.service, updateMask: mask.join(','), requestBody: body }),
        'deploy',
      );
      if (op.name) {
        await ctx.state.recordOperation('deploy', 'service', op.name);
        await pollRun(op.name);
      }
    }
  }
  // Ready means the operation finished and the service reconciled (gcp-api.md 5.3).
  let s: Service;
  for (const pauses = delays({ firstMs: 100, factor: 2, maxMs: 2000 }); ; ) {
    s = await gdata(ctx, () => services.get({ name: n.service }), 'deploy');
    if (isReady(s)) break;
    if (s.terminalCondition?.state === 'CONDITION_FAILED')
      throw new Error(
        `Cloud Run could not deploy ${ctx.inputs.service}: ` +
          `${s.terminalCondition.message ?? s.terminalCondition.reason}`,
      );
    await sleep(pauses.next().value, ctx.signal);
  }
  if (s.uri) await ctx.state.recordResource('deploy', 'uri', s.uri);

  // Who may invoke: the IAP agent yes, the public no, as planned (the read-modify-write re-reads
  // only for the etag, and writes nothing for a member already there or already gone).
  await agentReady;
  const policy: PolicyAccess = {
    get: () =>
      gdata(ctx, () => services.getIamPolicy({ resource: n.service, 'options.requestedPolicyVersion': 3 }), 'deploy'),
    // One attempt: addMembers/removeMembers retry the whole read-modify-write.
    set: (p) => gonce(() => services.setIamPolicy({ resource: n.service, requestBody: { policy: p } }), ctx),
  };
  let added: string[] = [];
  if (d.grant.length) {
    // The agent as generated (its email from the operation), which the plan could only name.
    const agentEmail = st(ctx).resources.iapAgent ?? n.agent;
    const agent = `serviceAccount:${agentEmail}`;
    // An agent this run just generated cannot be named in a policy for a while ("does not exist");
    // domain-restricted sharing refuses it outright (a coded error with Google's documented fix).
    added = await untilSettled(
      ctx,
      { stage, what: 'the new IAP service agent', since: agentGeneratedAt, unsettled: agentUnsettled(agentEmail) },
      () => addMembers(policy, INVOKER, [agent], ctx.signal),
    ).catch((e) => {
      throw domainRestricted(googleFailure(e), ctx.inputs.project, [agent], `${INVOKER} on ${n.service}`) ?? e;
    });
    if (added.length) step(`granted ${INVOKER} to the IAP service agent`);
  }
  if (d.revoke.length) {
    const removed = await removeMembers(policy, INVOKER, d.revoke, ctx.signal);
    if (removed.length) step(`removed ${removed.join(', ')} from ${INVOKER}: it would let anyone bypass IAP`);
  }
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

/**
 * The service is there, Ready, with IAP on, at the recorded URL, and this setup's; the IAP agent may invoke it; the
 * public may not.
 */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: not yet split into named steps (issue 13, item 4)
async function verifyDeploy(ctx: CoreContext): Promise<CheckResult[]> {
  const n = names(ctx);
  const r = st(ctx).resources;
  const services = ctx.google.run.projects.locations.services;
  const service = runCheck(
    'deploy',
    'run-service',
    'Cloud Run service',
    async () => {
      const s = await unlessNotFound(() => gdata(ctx, () => services.get({ name: n.service })));
      if (!s) return failed(`${n.service} no longer exists`, 'run iap-auth0 init to deploy it again');
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
            !!r.uri && !!s.uri && s.uri !== r.uri,
            failed(`its URL is now ${s.uri}, not the recorded ${r.uri}`, 'run iap-auth0 init to record the new URL'),
          ],
          [
            'refuse' in d,
            failed(
              'the service carries no iap-auth0 marker of this setup (labels or description): ' +
                ('refuse' in d && d.owner
                  ? `it belongs to ${setupName(d.owner)}`
                  : 'it is not recorded as adopted either'),
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
        `${s.uri ?? n.service}, IAP on`,
      );
    },
    ctx.inputs.project,
    ctx.signal,
  );
  const account = !r.serviceAccount
    ? undefined
    : runCheck(
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
  const policy = unlessNotFound(() =>
    gdata(ctx, () => services.getIamPolicy({ resource: n.service, 'options.requestedPolicyVersion': 3 })),
  );
  policy.catch(() => undefined);
  const agent = r.iapAgent ?? n.agent;
  const invoker = runCheck(
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
  const notPublic = runCheck(
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
  return Promise.all([service, ...(account ? [account] : []), invoker, notPublic]);
}

/**
 * This setup's service: deleted (waiting until it is gone), with its runtime account. One that
 * another setup shares: handed over with its account. One this setup adopted: IAP's fields put
 * back as they were, except that a service is never made public again.
 */
async function destroyDeploy(ctx: CoreContext): Promise<string> {
  const r = st(ctx).resources;
  const services = ctx.google.run.projects.locations.services;
  const step = (text: string) => ctx.emit({ type: 'step', stage: 'deploy', text });
  const done: string[] = [];
  const found = await serviceFate(ctx);
  const fate = found?.fate;
  if (r.service && !found) {
    // Gone, or a delete already under way (a run killed mid-way): wait for it to finish.
    await waitGone(ctx, r.service);
    done.push(`Cloud Run service ${r.service} was already gone`);
  } else if (fate?.fate === 'delete') {
    step(`deleting ${r.service}`);
    // A delete already under way answers 400 FAILED_PRECONDITION; the wait below covers both.
    await unlessNotFound(() => gdata(ctx, () => services.delete({ name: r.service }), 'deploy')).catch((e) => {
      if (googleFailure(e)?.status !== 'FAILED_PRECONDITION') throw e;
    });
    await waitGone(ctx, r.service);
    done.push(`deleted Cloud Run service ${r.service}`);
  } else if (fate?.fate === 'hand-over' || fate?.fate === 'unshare') {
    const s = found!.service;
    const body: Service = { labels: markedLabels(s.labels, fate.marker) };
    const mask = ['labels'];
    if (fate.fate === 'hand-over') {
      mask.push('description');
      body.description = markedDescription(
        { owner: fate.marker.owner, shared: [] },
        purposeOf(s.description) || servicePurpose(ctx),
        512,
      );
    }
    await patchAndWait(ctx, r.service, mask, body);
    done.push(
      fate.fate === 'hand-over'
        ? `kept Cloud Run service ${r.service}: handed over to iap-auth0 setup ${fate.to}, which still uses it`
        : `kept Cloud Run service ${r.service}: another setup's, no longer shared with this one`,
    );
  } else if (fate?.fate === 'release') {
    done.push(await releaseService(ctx, found!.service));
  } else if (fate?.fate === 'not-ours') {
    done.push(`kept Cloud Run service ${r.service}: another setup's, which no longer lists this one`);
  } else if (fate) {
    throw new Error(`the Cloud Run service ${r.service} no longer carries this setup's iap-auth0 marker: kept`);
  }
  // The runtime accounts: the one this setup recorded, and the one the service runs as (a service
  // handed over by another setup brings its account along), each only while it carries our marker.
  const accounts = new Set([
    ...(r.serviceAccount && !st(ctx).adopted?.includes('serviceAccount') ? [r.serviceAccount] : []),
    ...(fate?.fate === 'delete' || fate?.fate === 'hand-over'
      ? [found!.service.template?.serviceAccount].filter((x): x is string => !!x)
      : []),
  ]);
  for (const email of accounts) done.push(await destroyAccount(ctx, email, fate));
  return done.filter(Boolean).length ? done.filter(Boolean).join('; ') : 'nothing to delete';
}

/** Deletes a runtime account this setup owns, or hands it over with the service that runs as it. */
async function destroyAccount(ctx: CoreContext, email: string, serviceFate: Fate | undefined): Promise<string> {
  const sas = ctx.google.iam.projects.serviceAccounts;
  const name = `projects/${ctx.inputs.project}/serviceAccounts/${email}`;
  const sa = await unlessNotFound(() => gdata(ctx, () => sas.get({ name }), 'deploy'));
  if (!sa) return '';
  const fate = decideFate(
    parseDescription(sa.description),
    ctx.inputs.setupId,
    recordedAs(st(ctx), 'serviceAccount', email),
  );
  if (fate.fate === 'delete' && serviceFate?.fate === 'hand-over') {
    // The service keeps running as this account: it goes with the service to its new owner.
    await gdata(
      ctx,
      () =>
        sas.patch({
          name,
          requestBody: {
            serviceAccount: {
              description: markedDescription(
                { owner: serviceFate.to, shared: [] },
                purposeOf(sa.description) || saPurpose(ctx),
                256,
              ),
            },
            updateMask: 'description',
          },
        }),
      'deploy',
    );
    return `kept service account ${email}: handed over with the service`;
  }
  if (fate.fate === 'delete') {
    await unlessNotFound(() => gdata(ctx, () => sas.delete({ name }), 'deploy'));
    return `deleted service account ${email}`;
  }
  return recordedAs(st(ctx), 'serviceAccount', email)
    ? `kept service account ${email}: it does not carry this setup's marker`
    : '';
}

/** An adopted service: IAP's fields and the invoker grant put back as they were; never public again. */
async function releaseService(ctx: CoreContext, s: Service): Promise<string> {
  const name = st(ctx).resources.service;
  const prev = st(ctx).previous ?? {};
  const mask: string[] = [];
  const body: Service = {};
  if (prev.iapEnabled !== undefined && s.iapEnabled === true && prev.iapEnabled !== 'true') {
    mask.push('iapEnabled');
    body.iapEnabled = false;
  }
  if (prev.ingress && s.ingress === 'INGRESS_TRAFFIC_ALL' && prev.ingress !== 'INGRESS_TRAFFIC_ALL') {
    mask.push('ingress');
    body.ingress = prev.ingress;
  }
  const labels = markedLabels(
    s.labels,
    (() => {
      const m = serviceMarker(s);
      return m && { ...m, shared: m.shared.filter((x) => x !== ctx.inputs.setupId) };
    })(),
  );
  if (!sameLabels(labels, s.labels)) {
    mask.push('labels');
    body.labels = labels;
  }
  if (mask.length) {
    ctx.emit({
      type: 'step',
      stage: 'deploy',
      text: `putting back what iap-auth0 changed on ${name}: ${mask.join(', ')}`,
    });
    await patchAndWait(ctx, name, mask, body);
  }
  const agentGrants = (st(ctx).added ?? []).filter((m) => m.startsWith('serviceAccount:'));
  if (agentGrants.length && body.iapEnabled === false) {
    const services = ctx.google.run.projects.locations.services;
    await removeMembers(
      {
        get: () =>
          gdata(ctx, () => services.getIamPolicy({ resource: name, 'options.requestedPolicyVersion': 3 }), 'deploy'),
        set: (p) => gonce(() => services.setIamPolicy({ resource: name, requestBody: { policy: p } }), ctx),
      },
      INVOKER,
      agentGrants,
      ctx.signal,
    );
  }
  const publicBefore = prev.invokerIamDisabled === 'true';
  return (
    `kept Cloud Run service ${name} (adopted, not created by iap-auth0): ` +
    (mask.filter((f) => f !== 'labels').length
      ? `put back ${mask.filter((f) => f !== 'labels').join(' and ')}`
      : "nothing of IAP's to put back") +
    (body.iapEnabled === false
      ? '; it stays private: iap-auth0 never makes a service public again' +
        (publicBefore ? ' (its invoker check was off before)' : '')
      : '')
  );
}

async function patchAndWait(ctx: CoreContext, name: string, mask: string[], body: Service): Promise<void> {
  const op = await gdata(
    ctx,
    () => ctx.google.run.projects.locations.services.patch({ name, updateMask: mask.join(','), requestBody: body }),
    'deploy',
  );
  if (op.name && !op.done)
    await pollOperation((n) => ctx.google.run.projects.locations.operations.get({ name: n }), op, {
      signal: ctx.signal,
    });
}

async function waitGone(ctx: CoreContext, name: string): Promise<void> {
  const services = ctx.google.run.projects.locations.services;
  let s = await unlessNotFound(() => gdata(ctx, () => services.get({ name }), 'deploy'));
  for (const pauses = delays({ firstMs: 100, factor: 2, maxMs: 2000 }), start = Date.now(); s; ) {
    await sleep(pauses.next().value, ctx.signal);
    s = await unlessNotFound(() => gdata(ctx, () => services.get({ name }), 'deploy'));
    if (s)
      ctx.emit({
        type: 'waiting',
        stage: 'deploy',
        text: 'Cloud Run is deleting the service',
        elapsedMs: Date.now() - start,
      });
  }
}
