// The deploy stage's decisions, pure: from what was read (the APIs, the service, its runtime account, who may
// invoke it), the changes apply carries out. Exported for tests and for apply, which takes the same decision
// again on what is there after a create met 409.
import { IAP_AUDIENCE } from '../../../lib/ids.js';
import { membersOf, type Policy } from '../../iam-policy.js';
import { refusal, type CodedError } from '../../coded-error.js';
import {
  adoptedNote,
  decideUse,
  markedDescription,
  markedLabels,
  parseDescription,
  purposeOf,
  sameLabels,
  sameMarker,
  type Marker,
  type UseDecision,
} from '../../ownership.js';
import { fieldOf, recordedAs } from '../../records.js';
import { REQUIRED_APIS } from '../../apis.js';
import { serviceMarker } from '../../fates.js';
import { refused, type Change } from '../../stage.js';
import type { CoreContext } from '../../context.js';
import { INVOKER, PUBLIC, type Service, type Account, type Ctx, stage, st, names, servicePurpose } from './names.js';

export const serviceDecision = (ctx: Ctx, s: Service): UseDecision =>
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
