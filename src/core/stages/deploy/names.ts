// The deploy stage's names: the service, its runtime account and the IAP agent as this setup names them,
// and what their descriptions say they are for. Shared by its decisions, apply, verify and destroy.
import { IAP_AGENT_EMAIL } from '../../../lib/ids.js';
import { derivedIds } from '../../../inputs/schema.js';
import type { CoreContext } from '../../context.js';
import type { run_v2 } from '@googleapis/run';
import type { iam_v1 } from '@googleapis/iam';

export const stage = 'deploy' as const;
export const INVOKER = 'roles/run.invoker';
/** Members that would let anyone invoke the service, around IAP (peers P11). */
export const PUBLIC = ['allUsers', 'allAuthenticatedUsers'];

export type Service = run_v2.Schema$GoogleCloudRunV2Service;
export type Account = iam_v1.Schema$ServiceAccount;
export type Ctx = Pick<CoreContext, 'inputs' | 'state'>;

/** The deploy stage's record in the state file. */
export const st = (ctx: Pick<CoreContext, 'state'>) => ctx.state.stage('deploy');

/** The service, its runtime account (the recorded one, else the one this setup derives) and the IAP agent. */
export const names = (ctx: Pick<CoreContext, 'inputs' | 'state'>) => {
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

/** What the markers' descriptions say the service and its runtime account are for. */
export const servicePurpose = (ctx: Ctx) => `Cloud Run service ${ctx.inputs.service} behind IAP with Auth0 sign-in`;
export const saPurpose = (ctx: Ctx) =>
  `runtime identity of Cloud Run service ${ctx.inputs.service} in ${ctx.inputs.region}`;
