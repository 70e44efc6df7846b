// Pure: what in the live setup no longer matches what the state file records and the export would
// import. An import block for a grant that is gone fails at `terraform plan` ("Cannot find
// binding"), and IAP settings pointing elsewhere would be silently repointed by the first apply:
// both are for `iap-auth0 init` to repair before the export, never for the export to paper over.
import { POOL_RESOURCE } from '../../lib/ids.js';
import { agentMember, INVOKER_ROLE } from './resources/deploy.js';
import { ACCESSOR_ROLE } from './resources/iap.js';
import type { IamPolicy } from '../../google/iap-client.js';
import type { ExportInput } from './live.js';

const holds = (p: IamPolicy, role: string, member: string) =>
  (p.bindings ?? []).some((b) => b.role === role && !b.condition && (b.members ?? []).includes(member));

export function driftProblems(x: ExportInput): string[] {
  const { state, live } = x;
  const i = state.inputs;
  const problems: string[] = [];
  const agent = agentMember(i.projectNumber ?? '');
  if (!holds(live.invokerPolicy, INVOKER_ROLE, agent)) problems.push(`${agent} no longer holds ${INVOKER_ROLE}`);
  for (const m of state.stages.access?.added ?? [])
    if (!holds(live.accessPolicy, ACCESSOR_ROLE, m)) problems.push(`${m} no longer holds ${ACCESSOR_ROLE}`);
  const w = live.iapSettings.accessSettings?.workforceIdentitySettings;
  if (
    JSON.stringify(w?.workforcePools ?? []) !== JSON.stringify([POOL_RESOURCE(i.pool)]) ||
    w?.oauth2?.clientId !== live.oauthClient.clientId
  )
    problems.push(
      `the IAP settings of ${state.stages['iap-settings']?.resources.iapResource} do not name this setup's pool ` +
        'and OAuth client',
    );
  // An unbound Action is worse: the auth0 provider's readTriggerAction (resource_trigger_action.go)
  // keeps the id whether or not it finds the binding, so the import would succeed, Terraform would
  // believe the Action bound, and no plan would ever bind it (sign-ins then lack the groups claim).
  const actionId = state.stages['auth0-action']?.resources.actionId;
  if (actionId && live.action && live.actionBound === false)
    problems.push(`the post-login Action ${actionId} is no longer bound to Auth0's post-login trigger`);
  const mismatch = (what: string, recorded: string | undefined, now: string | null | undefined) =>
    recorded && now && recorded !== now ? [`${what} is ${now}, the state file records ${recorded}`] : [];
  problems.push(
    ...mismatch('the OAuth client id', state.stages['oauth-client']?.resources.clientId, live.oauthClient.clientId),
    ...mismatch(
      "the workforce provider's attribute condition",
      state.stages['workforce-pool']?.resources.providerCondition,
      live.provider.attributeCondition || '(none)',
    ),
    ...mismatch(
      "the workforce provider's client id",
      state.stages['auth0-app']?.resources.clientId,
      live.provider.oidc?.clientId,
    ),
  );
  return problems;
}
