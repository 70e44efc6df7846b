// verify, for each --allow value: can it match someone? A grant that can never match admits nobody
// and says nothing: the user id must exist, the email must belong to a user whose address Auth0
// verified (an unverified one is never mapped), the role must exist and have members. group:
// names come from enterprise connections at sign-in and cannot be listed; the Action that carries
// roles and groups to Google has its own check (auth0-action). pool and raw principals match by
// construction.
import type { ManagementClient } from 'auth0';
import { withRetry } from '../retry.js';
import { auth0Retry, auth0Status } from '../fates.js';
import { roleNames, usersByEmail } from '../allow-check.js';
import { runCheck, ok, failed, type CheckResult, type Outcome } from '../check.js';
import type { CoreContext } from '../context.js';

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
              ? async (): Promise<Outcome> =>
                  ok(`${arg}: sent by an enterprise connection at sign-in (its members cannot be listed in advance)`)
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
