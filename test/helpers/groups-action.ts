// The post-login Action a real tenant needs before group grants can work, installed through the
// Management API with the real SDK (create, deploy, bind after the Actions already bound): it puts
// the user's Auth0 roles and the groups its enterprise connection sends into one namespaced claim,
// which the workforce provider maps to google.groups. The sandbox's tenant adds no claim by
// itself, so every sandbox test that needs the claim installs this first (the product installs its own
// for --allow role:/group:: src/core/stages/auth0-action/).
import type { ManagementClient } from 'auth0';

/** The claim, written out as iap-auth0 documents it (not taken from the product's code). */
export const GROUPS_CLAIM = 'https://iap-auth0.dev/groups';

export const GROUPS_ACTION_CODE = `exports.onExecutePostLogin = async (event, api) => {
  const names = [...((event.authorization && event.authorization.roles) || []), ...(event.user.groups || [])];
  api.idToken.setCustomClaim('${GROUPS_CLAIM}', [...new Set(names)]);
};`;

/** Creates, deploys and binds the Action (after any already bound); answers its id. */
export async function installGroupsAction(mgmt: ManagementClient): Promise<string> {
  const action = await mgmt.actions.create({
    name: 'groups claim (test)',
    supported_triggers: [{ id: 'post-login', version: 'v3' }],
    code: GROUPS_ACTION_CODE,
  });
  await mgmt.actions.deploy(action.id!);
  const bound = await mgmt.actions.triggers.bindings.list('post-login');
  await mgmt.actions.triggers.bindings.updateMany('post-login', {
    bindings: [
      ...bound.data.map((b) => ({ ref: { type: 'binding_id' as const, value: b.id! } })),
      { ref: { type: 'action_id' as const, value: action.id! } },
    ],
  });
  return action.id!;
}
