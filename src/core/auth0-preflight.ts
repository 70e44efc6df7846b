// The Auth0 preflight of init and verify: the session (credentials, scopes, token), then the
// domain users sign in on; init settles both before anything is changed.
import type { StateInputs } from '../state/schema.js';
import { needsGroupsClaim } from '../inputs/schema.js';
import { openAuth0Session, type Auth0Command, type Auth0Session, type SignIn } from './auth0-session.js';

/** Which input named the sign-in domain, for messages: the flag, the variable or the state file. */
export function issuerDomainSource(
  inputs: Pick<StateInputs, 'auth0IssuerDomain'>,
  flags?: { auth0IssuerDomain?: string },
  env?: NodeJS.ProcessEnv,
  recorded?: Pick<StateInputs, 'auth0IssuerDomain'>,
): { value: string; from: string } | undefined {
  const value = inputs.auth0IssuerDomain;
  if (!value) return undefined;
  const from =
    flags?.auth0IssuerDomain !== undefined
      ? '--auth0-issuer-domain'
      : !recorded?.auth0IssuerDomain && env?.IAP_AUTH0_ISSUER_DOMAIN?.trim()
        ? 'IAP_AUTH0_ISSUER_DOMAIN'
        : 'the --auth0-issuer-domain recorded in the state file';
  return { value, from };
}

/** What installing, re-deploying, binding and removing the post-login Action takes (init). */
export const ACTION_SCOPES = ['read:actions', 'create:actions', 'update:actions', 'delete:actions'] as const;
/** What destroy takes to unbind and delete it. */
export const ACTION_REMOVAL_SCOPES = ['read:actions', 'update:actions', 'delete:actions'] as const;

/**
 * The Management API scopes init needs for --allow beyond its own: the Action's for role: and
 * group: (or to remove one a previous --allow made), read:roles to check that each role: exists.
 * email: needs none (read:users only lets init warn about an address no verified user has yet).
 */
export function allowScopes(allow: readonly string[], actionRecorded: boolean): string[] {
  return [
    ...(needsGroupsClaim(allow) || actionRecorded ? ACTION_SCOPES : []),
    ...(allow.some((a) => a.startsWith('role:')) ? ['read:roles'] : []),
  ];
}

/**
 * The session, once Auth0 accepted the credentials and the scopes; the sign-in domain as a promise
 * of its own (one more Auth0 round trip when read:custom_domains is granted), so the caller can
 * plan alongside it and await it before any change. Both rejections are handled.
 */
export async function auth0Preflight(o: {
  env: NodeJS.ProcessEnv;
  inputs: Pick<StateInputs, 'auth0Domain' | 'auth0IssuerDomain'>;
  flags?: { auth0IssuerDomain?: string };
  recorded?: Pick<StateInputs, 'auth0IssuerDomain'>;
  signal: AbortSignal;
  command: Exclude<Auth0Command, 'destroy'>;
  /** Scopes this run needs beyond the command's (allowScopes). */
  extra?: readonly string[];
}): Promise<{ session: Auth0Session; signIn: Promise<SignIn> }> {
  const issuerDomain = issuerDomainSource(o.inputs, o.flags, o.env, o.recorded);
  const session = await openAuth0Session({
    env: o.env,
    domain: o.inputs.auth0Domain,
    signal: o.signal,
    command: o.command,
    ...(o.extra ? { extra: o.extra } : {}),
    discover: true,
    ...(issuerDomain ? { issuerDomain } : {}),
  });
  const signIn = session.signIn();
  signIn.catch(() => undefined);
  return { session, signIn };
}
