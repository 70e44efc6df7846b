// What init checks of --allow against the Auth0 tenant before any change: every role: names a
// role that exists (a grant to a role nobody can hold is a typo that would admit nobody), and,
// when the M2M app may read users, whether each email: already belongs to a verified user (a
// warning only: that person may verify or sign up later). group: names come from enterprise
// connections at sign-in and cannot be listed in advance.
import type { ManagementClient } from 'auth0';
import { UserError, EXIT } from '../lib/exit-codes.js';
import { withRetry } from './retry.js';
import { auth0Retry } from './fates.js';
import { describeAuth0Error } from './auth0-errors.js';
import type { Auth0Session } from './auth0-session.js';

type Ctx = { signal: AbortSignal };

/** Every role name in the tenant (all pages). */
export async function roleNames(ctx: Ctx, mgmt: ManagementClient): Promise<{ id: string; name: string }[]> {
  return withRetry(async () => {
    const out: { id: string; name: string }[] = [];
    let page = await mgmt.roles.list({ per_page: 100 });
    for (;;) {
      for (const r of page.data) if (r.id && r.name) out.push({ id: r.id, name: r.name });
      if (!page.hasNextPage()) break;
      page = await page.getNextPage();
    }
    return out;
  }, auth0Retry(ctx));
}

/** The accounts with this address, and whether each verified it (Auth0 may hold several, one per connection). */
export async function usersByEmail(
  ctx: Ctx,
  mgmt: ManagementClient,
  email: string,
): Promise<{ user_id?: string; email_verified?: boolean }[]> {
  return withRetry(
    async () =>
      (await mgmt.users.listUsersByEmail({ email, fields: 'user_id,email,email_verified', include_fields: true })) as {
        user_id?: string;
        email_verified?: boolean;
      }[],
    auth0Retry(ctx),
  );
}

const valuesOf = (allow: readonly string[], kind: string) =>
  allow.filter((a) => a.startsWith(`${kind}:`)).map((a) => a.slice(kind.length + 1));

/** Refuses (exit 2) a role: the tenant does not have; warns of an email: no verified user has yet. */
export async function checkAllowTargets(session: Auth0Session, allow: readonly string[], ctx: Ctx): Promise<void> {
  const roles = valuesOf(allow, 'role');
  const emails = valuesOf(allow, 'email');
  if (!roles.length && !(emails.length && session.has('read:users'))) return;
  const mgmt = await session.management();
  try {
    if (roles.length) {
      const known = (await roleNames(ctx, mgmt)).map((r) => r.name);
      const unknown = roles.filter((r) => !known.includes(r));
      if (unknown.length)
        throw new UserError(
          `--allow ${unknown.map((r) => `role:${r}`).join(', ')}: the Auth0 tenant ${session.domain} has no ` +
            `role named ${unknown.map((r) => `"${r}"`).join(', ')}; nothing was changed`,
          EXIT.USAGE,
          `its roles: ${known.length ? known.join(', ') : 'none'} (User Management > Roles in the Auth0 dashboard; ` +
            'names are case-sensitive): create the role there, or fix the name',
        );
    }
    if (!session.has('read:users')) return;
    for (const email of emails) {
      const found = await usersByEmail(ctx, mgmt, email);
      if (!found.some((u) => u.email_verified === true))
        session.warnings.push(
          `--allow email:${email}: no Auth0 user has verified this address yet (${found.length} account` +
            `${found.length === 1 ? '' : 's'} with it); that person gets in once Auth0 says it is verified`,
        );
    }
  } catch (e) {
    throw e instanceof UserError ? e : describeAuth0Error(e);
  }
}
