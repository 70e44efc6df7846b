// What of one setup is still alive on a REAL project and tenant, read through the real APIs: every
// resource whose marker names the setup id (as owner or in its "shared with" list). Markers:
// `managed-by` / `iap-auth0-setup` / `iap-auth0-shared` labels on Cloud Run; descriptions starting
// "Managed by iap-auth0 (setup ID…)" on the service account, the workforce pool and provider and the
// OAuth client; `client_metadata.iap_auth0_setup` / `iap_auth0_shared` on the Auth0 app.
// Soft-deleted pools, providers and OAuth clients are not listed (Google keeps them 30 days and they
// cannot be removed sooner), so they do not count.
import type { ManagementClient } from 'auth0';
import type { GoogleClients } from '../../src/google/clients.js';
import { parseDescription, parseLabels, parseMetadata, type Marker } from '../../src/core/ownership.js';

export interface LiveScope {
  project: string;
  region: string;
  organization?: string;
  setupId: string;
}

const names = (m: Marker | undefined, id: string) => !!m && (m.owner === id || m.shared.includes(id));

/** Every page of a Google list call. */
async function all<T>(
  first: (pageToken?: string) => Promise<{ data: { nextPageToken?: string | null } & Record<string, unknown> }>,
  key: string,
): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const { data } = await first(token);
    out.push(...((data[key] as T[] | undefined) ?? []));
    token = data.nextPageToken ?? undefined;
  } while (token);
  return out;
}

export async function liveLeftovers(g: GoogleClients, mgmt: ManagementClient, s: LiveScope): Promise<string[]> {
  const found: string[] = [];
  const services = await all<{ name?: string | null; labels?: Record<string, string> | null }>(
    (pageToken) =>
      g.run.projects.locations.services.list({
        parent: `projects/${s.project}/locations/${s.region}`,
        pageToken,
      }) as never,
    'services',
  );
  for (const svc of services)
    if (names(parseLabels(svc.labels), s.setupId)) found.push(`Cloud Run service ${svc.name}`);

  const accounts = await all<{ email?: string | null; description?: string | null }>(
    (pageToken) => g.iam.projects.serviceAccounts.list({ name: `projects/${s.project}`, pageToken }) as never,
    'accounts',
  );
  for (const a of accounts)
    if (names(parseDescription(a.description), s.setupId)) found.push(`service account ${a.email}`);

  if (s.organization) {
    const pools = await all<{ name?: string | null; description?: string | null }>(
      (pageToken) =>
        g.iam.locations.workforcePools.list({
          location: 'locations/global',
          parent: `organizations/${s.organization}`,
          pageToken,
        }) as never,
      'workforcePools',
    );
    for (const p of pools) {
      if (names(parseDescription(p.description), s.setupId)) found.push(`workforce pool ${p.name}`);
      const providers = await all<{ name?: string | null; description?: string | null }>(
        (pageToken) => g.iam.locations.workforcePools.providers.list({ parent: p.name!, pageToken }) as never,
        'workforcePoolProviders',
      );
      for (const pr of providers)
        if (names(parseDescription(pr.description), s.setupId)) found.push(`workforce provider ${pr.name}`);
    }
  }

  const clients = await all<{ name?: string | null; description?: string | null }>(
    (pageToken) =>
      g.iam.projects.locations.oauthClients.list({
        parent: `projects/${s.project}/locations/global`,
        pageToken,
      }) as never,
    'oauthClients',
  );
  for (const c of clients) if (names(parseDescription(c.description), s.setupId)) found.push(`OAuth client ${c.name}`);

  let page = await mgmt.clients.list({ per_page: 100, fields: 'client_id,name,client_metadata', include_fields: true });
  for (;;) {
    for (const c of page.data as { client_id?: string; name?: string; client_metadata?: Record<string, unknown> }[]) {
      if (names(parseMetadata(c.client_metadata), s.setupId)) found.push(`Auth0 app ${c.name} (${c.client_id})`);
    }
    if (!page.hasNextPage()) break;
    page = await page.getNextPage();
  }
  return found;
}
