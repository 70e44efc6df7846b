// The auth0 SDK's ManagementClient on a sandbox, as the CLI builds it (domain, M2M id and secret),
// and the two things tests of the Management API need around it.
import assert from 'node:assert/strict';
import { ManagementClient, ManagementError } from 'auth0';
import type { Sandbox } from '../../src/sandbox/index.js';

export const mgmtFor = (sb: Sandbox) =>
  new ManagementClient({
    domain: sb.env.AUTH0_DOMAIN,
    clientId: sb.env.AUTH0_CLIENT_ID,
    clientSecret: sb.env.AUTH0_CLIENT_SECRET,
  });

/** The ManagementError a rejected SDK call threw: its status and Auth0's body. */
export async function mgmtError(p: Promise<unknown>): Promise<{ statusCode?: number; body: any }> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ManagementError, `expected a ManagementError, got ${e}`);
    return { statusCode: e.statusCode, body: e.body };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/**
 * Runs `fn` with a client whose token lacks `scopes` (the M2M grant changed, then restored; a new
 * client, because a token keeps the scopes it was minted with).
 */
export async function withoutScopes(sb: Sandbox, scopes: string[], fn: (m: ManagementClient) => Promise<void>) {
  const granted = sb.world.auth0M2M.scopes;
  const removed = scopes.filter((s) => granted.delete(s));
  try {
    await fn(mgmtFor(sb));
  } finally {
    for (const s of removed) granted.add(s);
  }
}
