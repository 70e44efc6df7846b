// The deploy stage's resources: the APIs init enables, the runtime service account, the Cloud Run
// service and the IAP service agent's invoker grant. The agent itself is not a resource here: the
// provider's google_project_service_identity is google-beta only and "does not support import"
// (its docs), and Google keeps the agent once generated; the README says so.
import { attr, expr, template } from '../hcl.js';
import {
  ADDR,
  adopted,
  keyed,
  lifecycle,
  ref,
  resource,
  v,
  type ImportSpec,
  type Section,
  type VariableSpec,
} from '../tf.js';
import { serviceResource } from './run-service.js';
import type { ExportInput } from '../live.js';

export const INVOKER_ROLE = 'roles/run.invoker';
const AGENT_DOMAIN = '@gcp-sa-iap.iam.gserviceaccount.com';

/** The IAP agent's member, as the invoker policy names it. */
export const agentMember = (projectNumber: string) => `serviceAccount:service-${projectNumber}${AGENT_DOMAIN}`;

export function deploySection(x: ExportInput): Section {
  const { state, live } = x;
  const i = state.inputs;
  const r = state.stages.deploy?.resources ?? {};
  const imports: ImportSpec[] = [];
  const variables: VariableSpec[] = [];
  const notes: string[] = [];

  // Enabled APIs: a destroy leaves them enabled (disable_on_destroy unset), as iap-auth0's does.
  const apis = live.enabledApis;
  for (const api of apis) imports.push({ to: keyed(ADDR.apis, api), id: `${i.project}/${api}` });
  const items = [
    resource(ADDR.apis, [
      attr('for_each', expr(`toset([${apis.map((a) => JSON.stringify(a)).join(', ')}])`)),
      attr('project', v('project')),
      attr('service', expr('each.value')),
    ]),
  ];

  const sa = live.serviceAccount;
  if (sa?.email) {
    imports.push({ to: ADDR.account, id: `projects/${i.project}/serviceAccounts/${sa.email}` });
    items.push(
      resource(ADDR.account, [
        attr('account_id', sa.email.split('@')[0]),
        attr('project', v('project')),
        ...(sa.displayName ? [attr('display_name', sa.displayName)] : []),
        ...(sa.description ? [attr('description', sa.description)] : []),
        ...(sa.disabled ? [attr('disabled', true)] : []),
      ]),
    );
  }

  imports.push({ to: ADDR.service, id: r.service });
  items.push(
    resource(ADDR.service, [
      ...serviceResource(live.service, !!sa?.email, variables, notes),
      ...lifecycle({ adopted: adopted(state, 'deploy', 'service') }),
    ]),
  );

  // The grant the IAP agent needs; its id names the member exactly as the policy holds it.
  const agent = agentMember(i.projectNumber ?? '');
  imports.push({ to: ADDR.invoker, id: `${r.service} ${INVOKER_ROLE} ${agent}` });
  items.push(
    resource(ADDR.invoker, [
      attr('project', v('project')),
      attr('location', v('region')),
      attr('name', ref(ADDR.service, 'name')),
      attr('role', INVOKER_ROLE),
      attr('member', template('serviceAccount:service-', ref(ADDR.project, 'number'), AGENT_DOMAIN)),
    ]),
  );
  return { file: 'cloud-run.tf', items, imports, variables, notes };
}
