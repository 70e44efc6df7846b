// Eventual consistency right after a create (docs/SANDBOX.md "Eventual consistency after a
// create"): for the profile's window, counted on the sandbox clock from the create, a new
// resource is not yet usable everywhere. Which calls see that is decided where each is served:
// iam-service-accounts.ts (get), run-services.ts (run as it), iam-oauth.ts (client and credential
// by name), common.ts (a policy naming a new account or service agent).
import type { ConsistencyKind } from '../core/profile.js';
import type { World } from '../world.js';

/** True while a resource of `kind` created at `createdAt` is still settling. */
export function settling(world: World, kind: ConsistencyKind, createdAt: number | undefined): boolean {
  return createdAt !== undefined && world.clock.now() < createdAt + world.profile.consistencyMs[kind];
}

/** A project service account that exists but is still settling. */
export function accountSettling(world: World, email: string): boolean {
  const sa = world.serviceAccounts.get(email);
  return !!sa && settling(world, 'serviceAccount', sa.createdAt);
}

/** A Google service agent (generateServiceIdentity) that exists but is still settling. */
export function agentSettling(world: World, email: string): boolean {
  for (const [key, id] of world.serviceIdentities) {
    if (id.email === email) return settling(world, 'serviceAgent', world.serviceIdentityTimes.get(key));
  }
  return false;
}
