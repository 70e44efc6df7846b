// The Universal Login interaction: GET /u/login?state=… shows the form, POST checks the
// database-connection user and hands the result back to oidc-provider, which resumes the
// /authorize request. The state is oidc-provider's interaction id. Third-party apps get a
// consent step at /u/consent?state=….
import type http from 'node:http';
import type Provider from 'oidc-provider';
import type { Auth0Client } from '../world.js';
import { TENANT_NAME } from './clients.js';
import { consentPage, errorPage, loginPage } from './pages.js';
import type { Tenant } from './token.js';

export const WRONG_CREDENTIALS = 'Wrong email or password.';

type Send = (status: number, html: string, headers?: Record<string, string>) => void;

const badState = (send: Send) =>
  send(
    400,
    errorPage({
      description: 'Your login session has expired or is invalid. Please go back to the application and sign in again.',
      error: 'invalid_request',
      errorDescription: 'Invalid state',
    }),
  );

/**
 * The account that signs in. The same address may have accounts in several connections (a
 * database sign-up and an enterprise account, say), each with its own password; the form stands
 * for every connection enabled for the app (or the one `connection=` named at /authorize), so the
 * password picks the account. Assumption: the sandbox plays each connection's own login (an
 * enterprise IdP's page, a second database's form) with this one page.
 */
function accountFor(t: Tenant, app: Auth0Client | undefined, connection: string, email: string, password: string) {
  const usable = (name: string) =>
    !!app &&
    (!connection || name === connection) &&
    t.world.auth0Connections.some((c) => c.name === name && c.enabled_clients.includes(app.client_id));
  return t.world.auth0Users.find(
    (u) => u.email.toLowerCase() === email.toLowerCase() && u.password === password && usable(u.connection),
  );
}

/** The database connection must be enabled for the app (auth0.md 2.4). */
function databaseConnectionFor(t: Tenant, app: Auth0Client | undefined) {
  return t.world.auth0Connections.find(
    (c) => c.strategy === 'auth0' && !!app && c.enabled_clients.includes(app.client_id),
  );
}

export async function handleUniversalLogin(
  t: Tenant,
  provider: Provider,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  form: URLSearchParams,
  send: Send,
): Promise<void> {
  const page = url.pathname === '/u/consent' ? 'consent' : 'login';
  const state = form.get('state') ?? url.searchParams.get('state') ?? '';
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'POST')
    return send(
      405,
      errorPage({
        description: 'Method not allowed.',
        error: 'invalid_request',
        errorDescription: `${method} is not allowed`,
      }),
    );

  // GET works from the state alone (a cookie-less probe sees the form, auth0.md 4.3); POST needs
  // the interaction cookie, as a browser carries it.
  let interaction: any;
  if (method === 'GET') interaction = state ? await provider.Interaction.find(state) : undefined;
  else {
    try {
      interaction = await provider.interactionDetails(req, res);
    } catch {
      interaction = undefined;
    }
    if (interaction && state && interaction.uid !== state) interaction = undefined;
  }
  if (!interaction) return badState(send);
  const app = t.world.auth0Clients.get(String(interaction.params.client_id));
  const appName = app?.name ?? String(interaction.params.client_id);
  const prompt = interaction.prompt?.name;
  if (prompt !== page)
    return send(302, '', {
      location: `/u/${prompt === 'consent' ? 'consent' : 'login'}?state=${encodeURIComponent(interaction.uid)}`,
    });

  if (page === 'login') {
    // Assumption: with no database connection enabled for the app, Auth0 shows its error page.
    if (!databaseConnectionFor(t, app)) {
      return send(
        400,
        errorPage({
          description: 'No login methods are available for this application.',
          error: 'invalid_request',
          errorDescription: 'no connections enabled for the client',
        }),
      );
    }
    if (method === 'GET') return send(200, loginPage({ state: interaction.uid, appName, tenant: TENANT_NAME }));
    const username = (form.get('username') ?? '').trim();
    const password = form.get('password') ?? '';
    const user = accountFor(t, app, String(interaction.params.connection ?? ''), username, password);
    if (!user) {
      return send(
        200,
        loginPage({ state: interaction.uid, appName, tenant: TENANT_NAME, error: WRONG_CREDENTIALS, username }),
      );
    }
    // interactionResult is interactionFinished without the response: Auth0 answers 302, not 303.
    const returnTo = await provider.interactionResult(
      req,
      res,
      { login: { accountId: user.user_id, amr: ['pwd'] } },
      { mergeWithLastSubmission: false },
    );
    return send(302, '', { location: returnTo });
  }

  const scopes: string[] = interaction.prompt.details?.missingOIDCScope ?? [];
  if (method === 'GET') {
    const user = t.world.auth0Users.find((u) => u.user_id === interaction.session?.accountId);
    return send(
      200,
      consentPage({ state: interaction.uid, appName, tenant: TENANT_NAME, userEmail: user?.email ?? '', scopes }),
    );
  }
  if (form.get('action') !== 'accept') {
    const returnTo = await provider.interactionResult(
      req,
      res,
      { error: 'access_denied', error_description: 'User did not authorize the request' },
      { mergeWithLastSubmission: false },
    );
    return send(302, '', { location: returnTo });
  }
  const grant = interaction.grantId
    ? await provider.Grant.find(interaction.grantId)
    : new provider.Grant({ accountId: interaction.session.accountId, clientId: String(interaction.params.client_id) });
  if (scopes.length) grant.addOIDCScope(scopes.join(' '));
  const grantId = await grant.save();
  const returnTo = await provider.interactionResult(
    req,
    res,
    { consent: { grantId } },
    { mergeWithLastSubmission: true },
  );
  send(302, '', { location: returnTo });
}
