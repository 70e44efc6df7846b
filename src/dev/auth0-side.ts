// The Auth0 application `iap-auth0 dev` signs in with, and its callback while dev runs. With the
// state file: the app init created, whose secret is read (read:client_keys) and whose callbacks get
// http://localhost:PORT/__iap-auth0/callback added while dev runs, merged (re-read right before each
// write, so others' edits stay) and removed on exit. With --sandbox: a throwaway app in the
// sandbox's tenant.
import type { ManagementClient } from 'auth0';
import { auth0Discovery } from '../core/auth0-client.js';
import type { Auth0App } from './login.js';

type Client = { client_id?: string; client_secret?: string; callbacks?: string[] };

/** An app's credentials with the tenant's endpoints from its discovery document (`env`: its request timeout). */
async function withEndpoints(
  domain: string,
  clientId: string,
  clientSecret: string,
  env: NodeJS.ProcessEnv,
): Promise<Auth0App> {
  const d = await auth0Discovery(domain, env);
  return {
    domain,
    clientId,
    clientSecret,
    issuer: d.issuer,
    authorizationEndpoint: d.authorization_endpoint,
    tokenEndpoint: d.token_endpoint,
    userinfoEndpoint: d.userinfo_endpoint,
  };
}

export async function appFor(
  mgmt: ManagementClient,
  domain: string,
  clientId: string,
  env: NodeJS.ProcessEnv,
): Promise<Auth0App> {
  const app = (await mgmt.clients.get(clientId)) as Client;
  if (!app.client_secret)
    throw new Error("Auth0 did not return the app's client secret: give the M2M app the read:client_keys scope");
  return withEndpoints(domain, clientId, app.client_secret, env);
}

export async function addCallback(mgmt: ManagementClient, clientId: string, url: string): Promise<boolean> {
  const app = (await mgmt.clients.get(clientId)) as Client;
  if (app.callbacks?.includes(url)) return false;
  await mgmt.clients.update(clientId, { callbacks: [...(app.callbacks ?? []), url] });
  return true;
}

export async function removeCallback(mgmt: ManagementClient, clientId: string, url: string): Promise<void> {
  const app = (await mgmt.clients.get(clientId)) as Client;
  if (!app.callbacks?.includes(url)) return;
  await mgmt.clients.update(clientId, { callbacks: app.callbacks.filter((c) => c !== url) });
}

export async function sandboxApp(
  mgmt: ManagementClient,
  domain: string,
  callback: string,
  env: NodeJS.ProcessEnv,
): Promise<Auth0App> {
  const app = (await mgmt.clients.create({
    name: 'iap-auth0 dev (sandbox)',
    app_type: 'regular_web',
    callbacks: [callback],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
    oidc_conformant: true,
  })) as Client;
  return withEndpoints(domain, app.client_id!, app.client_secret!, env);
}
