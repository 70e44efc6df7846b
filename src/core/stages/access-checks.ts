// verify, for each --allow value: can it match someone? A grant that can never match admits nobody
// and says nothing: the user id must exist, the email must belong to a user whose address Auth0
// verified (an unverified one is never mapped), the role must exist and have members. A group:
// name comes only from an enterprise connection at sign-in, through the Action: it can match only
// while the Action is in place and a connection enabled for the app can send groups (its members
// cannot be listed in advance); the Action also has its own check (auth0-action). pool and raw
// principals match by construction.
import type { ManagementClient } from 'auth0';
import { withRetry } from '../retry.js';
import { auth0Retry, auth0Status } from '../fates.js';
import { roleNames, usersByEmail } from '../allow-check.js';
import { runCheck, ok, failed, type CheckResult, type Outcome } from '../check.js';
import { CONNECTIONS_SCOPE } from '../auth0-session.js';
import { DASHBOARD_GRANT } from '../auth0-values.js';
import type { CoreContext } from '../context.js';
import { actionInPlace } from './auth0-action.js';

const USERS = 'User Management > Users in the Auth0 dashboard';

async function userCheck(ctx: CoreContext, mgmt: ManagementClient, id: string): Promise<Outcome> {
  const user = await withRetry(() => mgmt.users.get(id), auth0Retry(ctx)).catch((e) => {
    if (auth0Status(e) === 404) return undefined;
    throw e;
  });
  return user
    ? ok(`Auth0 user ${id} exists${user.email ? ` (${user.email})` : ''}`)
    : failed(
        `no Auth0 user has the id ${id}: this grant admits nobody`,
        `check the user_id under ${USERS}, then run iap-auth0 init --allow user:<that id>`,
      );
}

async function emailCheck(ctx: CoreContext, mgmt: ManagementClient, email: string): Promise<Outcome> {
  const found = await usersByEmail(ctx, mgmt, email);
  const verified = found.filter((u) => u.email_verified === true);
  if (verified.length) return ok(`${email} belongs to ${verified.map((u) => u.user_id).join(', ')}, verified`);
  return failed(
    found.length
      ? `${email} belongs to ${found.length} Auth0 account${found.length > 1 ? 's' : ''}, none verified: an ` +
          'unverified address is never mapped, so this grant admits nobody'
      : `no Auth0 user has the address ${email}: this grant admits nobody`,
    found.length
      ? `have the person verify their address (Auth0's verification email), or mark it verified under ${USERS}`
      : `check the address, or have the person sign up; they get in once Auth0 says the address is verified`,
  );
}

async function roleCheck(ctx: CoreContext, mgmt: ManagementClient, name: string): Promise<Outcome> {
  const roles = await roleNames(ctx, mgmt);
  const role = roles.find((r) => r.name === name);
  if (!role)
    return failed(
      `the Auth0 tenant has no role "${name}": this grant admits nobody`,
      `create it under User Management > Roles (roles now: ${roles.map((r) => r.name).join(', ') || 'none'}), ` +
        'or run iap-auth0 init with the right --allow role:',
    );
  const page = await withRetry(() => mgmt.roles.users.list(role.id, { take: 1 }), auth0Retry(ctx));
  return page.data.length
    ? ok(`role ${name} (${role.id}) has members`)
    : failed(
        `the Auth0 role "${name}" has no members: this grant admits nobody`,
        `assign the role to the people who may sign in (User Management > Roles > ${name} > Users)`,
      );
}

/**
 * Connection strategies whose users can arrive with groups (Auth0 keeps what the IdP sent in the
 * profile's `groups`): the enterprise strategies (node-auth0 7.1.0 lists exactly these seven as
 * ClientMyOrganizationConfigurationAllowedStrategiesEnum: Entra ID `waad`, SAML, Okta, ADFS,
 * OpenID Connect, Google Workspace, PingFederate) and AD/LDAP (`ad`). Database, passwordless and
 * social connections send none.
 */
export const GROUP_STRATEGIES: readonly string[] = [
  'waad',
  'samlp',
  'okta',
  'adfs',
  'oidc',
  'google-apps',
  'pingfederate',
  'ad',
];

/** The connections enabled for the app (all pages): name and strategy. */
async function enabledConnections(ctx: CoreContext, mgmt: ManagementClient, clientId: string) {
  return withRetry(async () => {
    const out: { name: string; strategy: string }[] = [];
    let page = await mgmt.clients.connections.get(clientId);
    for (;;) {
      for (const c of page.data) if (c.name) out.push({ name: c.name, strategy: c.strategy ?? '' });
      if (!page.hasNextPage()) break;
      page = await page.getNextPage();
    }
    return out;
  }, auth0Retry(ctx));
}

/**
 * group:NAME can match only when the Action carries groups to Google and a connection enabled for
 * the app can send them; without read:connections that cannot be known, which is said, not passed.
 */
async function groupCheck(ctx: CoreContext, mgmt: ManagementClient, name: string): Promise<Outcome> {
  const action = await actionInPlace(ctx);
  if (action.status !== 'ok')
    return failed(`groups reach Google only through the post-login Action: ${action.detail}`, action.hint ?? '');
  const clientId = ctx.state.stage('auth0-app').resources.clientId;
  if (!clientId) return failed('no Auth0 app is recorded in the state file', 'run iap-auth0 init');
  const conns = await enabledConnections(ctx, mgmt, clientId).catch((e) => {
    if (auth0Status(e) === 403) return undefined;
    throw e;
  });
  if (!conns)
    return failed(
      `cannot check that a connection enabled for the app can send the group ${name}: the Auth0 M2M app lacks ` +
        CONNECTIONS_SCOPE,
      `add ${CONNECTIONS_SCOPE}: ${DASHBOARD_GRANT}, then run iap-auth0 verify again`,
    );
  const senders = conns.filter((c) => GROUP_STRATEGIES.includes(c.strategy));
  const list = (cs: typeof conns) => cs.map((c) => `${c.name} (${c.strategy})`).join(', ') || 'none';
  return senders.length
    ? ok(
        `${name}: sent at sign-in by ${list(senders)}, carried to Google by the Action (members cannot be ` +
          'listed in advance)',
      )
    : failed(
        `no connection enabled for the app can send groups (enabled: ${list(conns)}): this grant admits nobody`,
        'groups come only from enterprise connections (Entra ID, SAML, Okta, ADFS, OIDC, Google Workspace); none ' +
          "is enabled for the app: enable one that sends groups under the app's Connections tab, or use " +
          '--allow role: instead (Auth0 roles work with every connection)',
      );
}

/** One check per --allow value that names someone in Auth0. */
export function allowChecks(ctx: CoreContext): Promise<CheckResult>[] {
  return ctx.inputs.allow.flatMap((value) => {
    const [kind, ...rest] = value.split(':');
    const arg = rest.join(':');
    const judge =
      kind === 'user'
        ? userCheck
        : kind === 'email'
          ? emailCheck
          : kind === 'role'
            ? roleCheck
            : kind === 'group'
              ? groupCheck
              : undefined;
    if (!judge) return [];
    return [
      runCheck(
        'access',
        `allow-${value}`,
        `--allow ${value}`,
        async () => judge(ctx, await ctx.auth0(), arg),
        undefined,
        ctx.signal,
      ),
    ];
  });
}
