// The post-login Action iap-auth0 manages for --allow role:/group: (auth0_action) and its one
// binding (auth0_trigger_action, import id `post-login::ACTION_ID`). auth0_trigger_action binds this
// Action alone and leaves the flow's other Actions as they are, as iap-auth0 does; the flow-wide
// auth0_trigger_actions would own every binding of the trigger. The code is repeated as it is (it
// names the Auth0 app's client id), and `deploy = true`, so an apply deploys what it writes.
import { attr, block } from '../hcl.js';
import { ADDR, ref, resource, type Section } from '../tf.js';
import type { ExportInput } from '../live.js';

const TRIGGER = 'post-login';

export function actionSection(x: ExportInput): Section | undefined {
  const a = x.live.action;
  if (!a) return undefined;
  const trigger = a.supported_triggers[0] ?? { id: TRIGGER, version: 'v3' };
  return {
    file: 'auth0-action.tf',
    items: [
      resource(ADDR.action, [
        attr('name', a.name),
        ...(a.runtime ? [attr('runtime', a.runtime)] : []),
        attr('deploy', true),
        attr('code', a.code),
        block('supported_triggers', [], [attr('id', trigger.id), attr('version', trigger.version)]),
      ]),
      resource(ADDR.triggerAction, [attr('trigger', trigger.id), attr('action_id', ref(ADDR.action, 'id'))]),
    ],
    imports: [
      { to: ADDR.action, id: a.id },
      { to: ADDR.triggerAction, id: `${trigger.id}::${a.id}` },
    ],
    notes: [],
  };
}
