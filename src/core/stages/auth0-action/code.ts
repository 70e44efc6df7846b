// The post-login Action iap-auth0 installs for --allow role: and group: (pure). Auth0 sends no
// roles or groups to Google by itself: this Action puts the user's Auth0 roles
// (event.authorization.roles) and the groups an enterprise connection sends (event.user.groups)
// into one namespaced claim, which the workforce provider maps to google.groups (auth0.md 5). It
// acts only for this setup's Auth0 app (event.client.client_id), so other apps' tokens are untouched.
// Its marker is the first line of its code (Actions have no metadata), with the setup id; its name
// carries the setup id too, so a run that lost its state finds it again by name.
import { GROUPS_CLAIM } from '../../../lib/ids.js';

/** The trigger and its current version (Auth0: post-login v3 is CURRENT; bindings name the trigger id). */
export const TRIGGER = 'post-login' as const;
export const TRIGGER_VERSION = 'v3';
export const RUNTIME = 'node22';

export const actionName = (setupId: string) => `iap-auth0 groups claim (setup ${setupId})`;

const MARKER = /^\/\/ Managed by iap-auth0 \(setup ([a-z0-9]+)\)/;

/** The Action's code: a marker line naming the setup, then the handler, for this app only. */
export function actionCode(setupId: string, clientId: string): string {
  return [
    `// Managed by iap-auth0 (setup ${setupId}): iap-auth0 init rewrites this code, iap-auth0 destroy deletes it.`,
    "// Puts the user's Auth0 roles and the groups their connection sends into one claim, which the",
    '// workforce provider maps to google.groups; only for the Auth0 app the provider signs in with.',
    'exports.onExecutePostLogin = async (event, api) => {',
    `  if (event.client.client_id !== ${JSON.stringify(clientId)}) return;`,
    '  const roles = (event.authorization && event.authorization.roles) || [];',
    '  const sent = event.user.groups;',
    "  const groups = Array.isArray(sent) ? sent : typeof sent === 'string' ? [sent] : [];",
    `  api.idToken.setCustomClaim(${JSON.stringify(GROUPS_CLAIM)}, [...new Set([...roles, ...groups])]);`,
    '};',
    '',
  ].join('\n');
}

/** The setup id in an Action's marker line, or undefined when its code carries none. */
export const actionOwner = (code: string | undefined): string | undefined => MARKER.exec(code ?? '')?.[1];
