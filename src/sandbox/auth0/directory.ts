// The tenant's people: its connections, users and RBAC roles, as seeded at start and as the
// Management API shows them (users-roles.ts). Shapes follow Auth0's answers captured in
// auth0/go-auth0's test recordings (management/testdata/recordings/TestUserManager_*.yaml,
// TestRoleManager_*.yaml): a user has `identities` naming its connection, Auth0 derives `name`
// from the email and `nickname` from its local part, role ids are `rol_` and 16 characters.
import { createHash, randomBytes } from 'node:crypto';
import type { Auth0Connection, Auth0Role, Auth0User, World } from '../world.js';

/** The seeded connections (docs/SANDBOX.md, "Auth0 test users"). */
export const DATABASE = 'Username-Password-Authentication';
/** A second database connection, where someone signed up with Alice's address and never verified it. */
export const SIGNUPS = 'sandbox-signups';
/** An enterprise connection (Microsoft Entra ID, strategy `waad`) that sends its users' groups. */
export const ENTRA = 'sandbox-entra';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const randomAlnum = (n: number) => Array.from(randomBytes(n), (b) => ALNUM[b % ALNUM.length]).join('');

export const newRoleId = () => `rol_${randomAlnum(16)}`;
const newPassword = () => 'Sandbox-' + randomBytes(6).toString('base64url');

/** A user id as the connection's strategy forms it: `auth0|` and 24 hex for databases. */
export function newUserId(strategy: string): string {
  return strategy === 'auth0' ? `auth0|${randomBytes(12).toString('hex')}` : `${strategy}|${randomAlnum(43)}`;
}

/** Auth0's default picture for an email: Gravatar with the cdn.auth0.com initials fallback. */
export function defaultPicture(email: string): string {
  const nickname = email.split('@')[0];
  const md5 = createHash('md5').update(email.trim().toLowerCase()).digest('hex');
  return (
    `https://s.gravatar.com/avatar/${md5}?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2F` +
    `${nickname.slice(0, 2).toLowerCase()}.png`
  );
}

export function connectionOf(world: World, user: Auth0User): Auth0Connection | undefined {
  return world.auth0Connections.find((c) => c.name === user.connection);
}

/** The user as GET /api/v2/users/{id} answers (the recordings' field order; no password, ever). */
export function userView(world: World, u: Auth0User): Record<string, unknown> {
  const strategy = connectionOf(world, u)?.strategy ?? 'auth0';
  return {
    ...(u.blocked !== undefined ? { blocked: u.blocked } : {}),
    created_at: u.created_at,
    email: u.email,
    email_verified: u.email_verified,
    ...(u.family_name !== undefined ? { family_name: u.family_name } : {}),
    ...(u.given_name !== undefined ? { given_name: u.given_name } : {}),
    // Enterprise profiles carry what the IdP sent, groups included (Entra ID with "Get user groups").
    ...(u.groups ? { groups: [...u.groups] } : {}),
    identities: [
      {
        connection: u.connection,
        user_id: u.user_id.slice(u.user_id.indexOf('|') + 1),
        provider: strategy,
        isSocial: false,
      },
    ],
    name: u.name,
    nickname: u.nickname ?? u.email.split('@')[0],
    picture: u.picture ?? defaultPicture(u.email),
    updated_at: u.updated_at,
    user_id: u.user_id,
    ...(u.user_metadata ? { user_metadata: u.user_metadata } : {}),
    ...(u.username !== undefined ? { username: u.username } : {}),
    ...(u.app_metadata ? { app_metadata: u.app_metadata } : {}),
  };
}

/** The role as GET /api/v2/roles/{id} answers it. */
export const roleView = (r: Auth0Role) => ({
  id: r.id,
  name: r.name,
  ...(r.description !== undefined ? { description: r.description } : {}),
});

/** The names of the roles a user holds directly, in the order the roles were created. */
export function roleNamesOf(world: World, userId: string): string[] {
  return world.auth0Roles.filter((r) => r.users.includes(userId)).map((r) => r.name);
}

function seedUser(
  world: World,
  connection: Auth0Connection,
  u: Omit<Auth0User, 'user_id' | 'password' | 'connection' | 'created_at' | 'updated_at'>,
) {
  const now = world.clock.iso();
  const user: Auth0User = {
    user_id: newUserId(connection.strategy),
    password: newPassword(),
    connection: connection.name,
    created_at: now,
    updated_at: now,
    ...u,
  };
  world.auth0Users.push(user);
  return user;
}

/**
 * The seeded tenant (docs/SANDBOX.md "Auth0 test users"; README's sandbox section):
 *  - alice@ (database, verified; roles admin and iap-users): the test user of IAP_AUTH0_TEST_USER_*;
 *  - bob@ (database, verified, no role): someone who should be refused;
 *  - carol@ (database, email not verified);
 *  - alice@ again in the second database `sandbox-signups`, not verified: a stranger's sign-up
 *    with Alice's address, which an email grant must never admit;
 *  - erin@ (Entra ID enterprise connection, verified) whose connection sends groups engineering
 *    and iap-users;
 *  - roles admin and iap-users (Alice), viewer (nobody).
 * Passwords are random at each start (world.auth0Users).
 */
export function seedDirectory(world: World): void {
  const conn = (name: string, strategy: string) => {
    const c = { id: 'con_' + randomBytes(8).toString('hex'), name, strategy, enabled_clients: [] };
    world.auth0Connections.push(c);
    return c;
  };
  const db = conn(DATABASE, 'auth0');
  const signups = conn(SIGNUPS, 'auth0');
  const entra = conn(ENTRA, 'waad');
  const alice = seedUser(world, db, { email: 'alice@sandbox.example', name: 'Alice Example', email_verified: true });
  seedUser(world, db, { email: 'bob@sandbox.example', name: 'Bob Example', email_verified: true });
  seedUser(world, db, { email: 'carol@sandbox.example', name: 'Carol Example', email_verified: false });
  seedUser(world, signups, { email: 'alice@sandbox.example', name: 'alice@sandbox.example', email_verified: false });
  seedUser(world, entra, {
    email: 'erin@sandbox.example',
    name: 'Erin Example',
    email_verified: true,
    groups: ['engineering', 'iap-users'],
  });
  world.auth0Roles.push(
    { id: newRoleId(), name: 'admin', description: 'Administrators', users: [alice.user_id] },
    { id: newRoleId(), name: 'iap-users', description: 'May use the app behind IAP', users: [alice.user_id] },
    { id: newRoleId(), name: 'viewer', description: 'Nobody holds this role', users: [] },
  );
}
