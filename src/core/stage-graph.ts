// The stages and how they depend on each other, declared once: what each stage needs from others
// (named outputs) and what it provides. Everything else is derived from here: the order people see
// and the sequential mode runs (a topological order, ties in declaration order), the destroy order
// (its reverse), and which outputs a stage may wait for. No imports: `status` loads this at
// start-up, where the stage implementations (and their API clients) would cost time for nothing.

/**
 * What a stage hands to others while init runs (the runner passes them; stages never read each
 * other's records): typed in outputs.ts.
 *  - service: the Cloud Run service, deployed and Ready (its URL).
 *  - auth0Client: the Auth0 app the provider signs in with, as soon as it exists with our callback.
 *  - pool: the workforce pool and its provider, ready to sign people in.
 *  - oauthClient: IAP's OAuth client with its credential (its generated client id).
 */
export type OutputName = 'service' | 'auth0Client' | 'pool' | 'oauthClient';

interface Declaration {
  title: string;
  needs: readonly OutputName[];
  provides: readonly OutputName[];
}

const DECLARED = {
  deploy: { title: 'Cloud Run service', needs: [], provides: ['service'] },
  // Its login URI and web origin are the service's URL: it needs the service only after it
  // provided the client (the runner hands auth0Client out the moment it is provided).
  'auth0-app': { title: 'Auth0 application', needs: ['service'], provides: ['auth0Client'] },
  'workforce-pool': { title: 'Workforce pool and provider', needs: ['auth0Client'], provides: ['pool'] },
  'oauth-client': { title: 'IAP OAuth client', needs: [], provides: ['oauthClient'] },
  'iap-settings': { title: 'IAP settings', needs: ['service', 'pool', 'oauthClient'], provides: [] },
  access: { title: 'Access', needs: ['service', 'pool'], provides: [] },
  // Only with --allow role: or group: (else it plans nothing and reads nothing). Its code names the
  // Auth0 app, so that only this setup's sign-ins get the claim. Declared last: destroy removes it first.
  'auth0-action': { title: 'Auth0 post-login Action', needs: ['auth0Client'], provides: [] },
} as const satisfies Record<string, Declaration>;

export type StageId = keyof typeof DECLARED;

export const STAGE_GRAPH: Record<StageId, Declaration> = DECLARED;

/** Which stage provides each output. */
export const PROVIDER: Record<OutputName, StageId> = Object.fromEntries(
  (Object.keys(DECLARED) as StageId[]).flatMap((id) => DECLARED[id].provides.map((o) => [o, id])),
) as Record<OutputName, StageId>;

/** The stages `id` waits for (through the outputs it needs). */
export const dependenciesOf = (id: StageId): StageId[] => [...new Set(STAGE_GRAPH[id].needs.map((o) => PROVIDER[o]))];

/** Kahn's algorithm, ties in declaration order; a cycle is a programming error, caught by the tests at load. */
function topological(): StageId[] {
  const ids = Object.keys(DECLARED) as StageId[];
  const order: StageId[] = [];
  while (order.length < ids.length) {
    const next = ids.find((id) => !order.includes(id) && dependenciesOf(id).every((d) => order.includes(d)));
    if (!next)
      throw new Error(
        `the stage declarations have a cycle among ${ids.filter((id) => !order.includes(id)).join(', ')}`,
      );
    order.push(next);
  }
  return order;
}

/** Every stage, dependencies first: the order of progress lines, status and the sequential mode. */
export const STAGES = topological() as readonly StageId[];

/** Dependants first: what destroy removes before what it relies on. */
export const REVERSE_STAGES = [...STAGES].reverse() as readonly StageId[];

/** How stages are named to people: status, verify, init and destroy output. */
export const STAGE_TITLES = Object.fromEntries(STAGES.map((id) => [id, STAGE_GRAPH[id].title])) as Record<
  StageId,
  string
>;
