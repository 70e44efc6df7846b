// What of iap-auth0's is still alive in a sandbox world, read from its inspection snapshot
// (GET /world): anything carrying iap-auth0's marks (label, description, Auth0 tag, the first line
// of an Action's code) that is not deleted (an adopted service's iap-auth0-shared label included),
// a trigger binding of such an Action, and any IAP setting or IAM binding that names one of its
// pools. Empty after a complete destroy: the demo's last check and the destroy tests use it.
const MARK = 'Managed by iap-auth0';

type Snapshot = Record<string, any>;

export function leftovers(w: Snapshot): string[] {
  const out: string[] = [];
  const ours = (x: { description?: string }) => typeof x.description === 'string' && x.description.startsWith(MARK);
  for (const s of w.runServices ?? []) {
    if (s.labels?.['managed-by'] === 'iap-auth0') out.push(`Cloud Run service ${s.name}`);
    else if (s.labels?.['iap-auth0-shared']) out.push(`iap-auth0-shared label on Cloud Run service ${s.name}`);
  }
  for (const a of w.serviceAccounts ?? []) if (ours(a)) out.push(`service account ${a.email}`);
  const ourPools = new Set<string>((w.workforcePools ?? []).filter(ours).map((p: any) => p.poolId));
  for (const p of w.workforcePools ?? []) if (ours(p) && p.state === 'ACTIVE') out.push(`workforce pool ${p.poolId}`);
  for (const p of w.workforceProviders ?? [])
    if (ours(p) && p.state === 'ACTIVE') out.push(`workforce provider ${p.poolId}/${p.providerId}`);
  const ourClients = new Set<string>();
  for (const c of w.oauthClients ?? []) {
    if (!ours(c)) continue;
    ourClients.add(`${c.projectNumber}/${c.oauthClientId}`);
    if (c.state === 'ACTIVE') out.push(`OAuth client ${c.oauthClientId}`);
  }
  for (const k of w.oauthCredentials ?? [])
    if (ourClients.has(k.clientKey)) out.push(`OAuth client credential ${k.oauthClientId}/${k.credentialId}`);
  for (const a of w.auth0Clients ?? [])
    if (a.client_metadata?.managed_by === 'iap-auth0') out.push(`Auth0 app ${a.client_id}`);
  // An Action has no metadata: iap-auth0's carries its mark as the first line of its code.
  const ourActions = new Set<string>();
  for (const a of w.auth0Actions ?? [])
    if (typeof a.code === 'string' && a.code.startsWith(`// ${MARK}`)) {
      ourActions.add(a.id);
      out.push(`Auth0 Action ${a.id}`);
    }
  for (const [trigger, bindings] of Object.entries<any[]>(w.auth0Bindings ?? {}))
    for (const b of bindings)
      if (ourActions.has(b.action_id)) out.push(`${trigger} binding of Auth0 Action ${b.action_id}`);
  const namesOurPool = (text: string) => [...ourPools].some((p) => text.includes(`workforcePools/${p}`));
  for (const s of w.iapSettings ?? [])
    if (namesOurPool(JSON.stringify(s.accessSettings ?? {})))
      out.push(`IAP settings ${s.name} naming an iap-auth0 pool`);
  for (const [resource, policy] of Object.entries<any>(w.iamPolicies ?? {})) {
    for (const b of policy.bindings ?? [])
      for (const m of b.members ?? []) if (namesOurPool(m)) out.push(`${b.role} for ${m} on ${resource}`);
  }
  return out;
}
