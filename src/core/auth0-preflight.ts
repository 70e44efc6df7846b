// The Auth0 preflight of init and verify: the session (credentials, scopes, token), then the
// domain users sign in on; init settles both before anything is changed.
import type { StateInputs } from '../state/schema.js';
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
}): Promise<{ session: Auth0Session; signIn: Promise<SignIn> }> {
  const issuerDomain = issuerDomainSource(o.inputs, o.flags, o.env, o.recorded);
  const session = await openAuth0Session({
    env: o.env,
    domain: o.inputs.auth0Domain,
    signal: o.signal,
    command: o.command,
    discover: true,
    ...(issuerDomain ? { issuerDomain } : {}),
  });
  const signIn = session.signIn();
  signIn.catch(() => undefined);
  return { session, signIn };
}
