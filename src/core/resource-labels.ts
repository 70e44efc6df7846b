// How the state file's per-stage records are named to people (status, init's "made so far"). The
// state file's keys are its own (camelCase, some only for bookkeeping); people see these words.
// No imports: `status` loads this at start-up.
import type { StageId } from './stage-graph.js';

/** A resource key's words, by stage; a key mapped to null is bookkeeping and never shown. */
const LABELS: Partial<Record<StageId, Record<string, string | null>>> = {
  deploy: {
    service: 'service',
    serviceAccount: 'service account',
    iapAgent: 'IAP service agent',
    uri: 'URL',
  },
  'auth0-app': { clientId: 'Auth0 client id', signInIssuer: 'sign-in issuer' },
  // providerSecretFor: which Auth0 client's secret the provider holds (init re-sends it on a change).
  'workforce-pool': { pool: 'pool', provider: 'provider', providerSecretFor: null },
  'oauth-client': { oauthClient: 'OAuth client', clientId: 'client id', credential: 'credential' },
  'iap-settings': { iapResource: 'IAP resource' },
  access: { iapResource: 'IAP resource' },
};

/**
 * What a stage's `added` list holds, in words: each kind of entry a stage records, told apart by
 * its prefix (checked in order; '' matches anything), with its label and how its value reads.
 * Every stage is listed, so a new stage must say what its entries are; an entry of no listed kind
 * still prints under ADDED_FALLBACK, never under a state-file key.
 *  - deploy: members this setup granted the invoker role (the IAP service agent).
 *  - workforce-pool: `attributeMapping.<attribute>`, mappings added to a provider shared or adopted.
 *  - oauth-client: `allowedRedirectUris:<uri>`, IAP's redirect URI added to a client shared or adopted.
 *  - iap-settings: the IAP settings' field paths this setup set (`iapSettings.accessSettings.…`).
 *  - access: members this setup granted access to the service.
 */
interface AddedKind {
  prefix: string;
  label: string;
  /** The value as people read it; the entry without its prefix when not given. */
  value?: (rest: string) => string;
}
export const ADDED_KINDS: Record<StageId, readonly AddedKind[]> = {
  deploy: [{ prefix: '', label: 'invoker granted to' }],
  'auth0-app': [],
  'workforce-pool': [{ prefix: 'attributeMapping.', label: 'mapping added to a shared provider' }],
  'oauth-client': [{ prefix: 'allowedRedirectUris:', label: 'redirect URI added to a shared OAuth client' }],
  'iap-settings': [{ prefix: '', label: 'settings set', value: (path) => path.split('.').pop() ?? path }],
  access: [{ prefix: '', label: 'access granted to' }],
  'auth0-action': [],
};
export const ADDED_FALLBACK = 'also added by this setup';

/** An `added` entry in words: its label and its value. */
export function addedRow(stage: StageId, entry: string): { label: string; value: string } {
  const kind = ADDED_KINDS[stage]?.find((k) => entry.startsWith(k.prefix));
  if (!kind) return { label: ADDED_FALLBACK, value: entry };
  const rest = entry.slice(kind.prefix.length);
  return { label: kind.label, value: kind.value ? kind.value(rest) : rest };
}

/** "signInIssuer" → "sign in issuer": a key no table names yet still reads as words. */
const words = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();

/** The label of `key` in `stage`'s records, or undefined when it is bookkeeping only. */
export function resourceLabel(stage: StageId, key: string): string | undefined {
  const table = LABELS[stage] ?? {};
  if (key in table) return table[key] ?? undefined;
  return words(key);
}

/** A stage's records as rows (the state file's key, its label, its value), bookkeeping left out. */
export function labelledResources(
  stage: StageId,
  records: { resources?: Record<string, string>; added?: string[] },
): { key: string; label: string; value: string }[] {
  const rows: { key: string; label: string; value: string }[] = [];
  for (const [key, value] of Object.entries(records.resources ?? {})) {
    const label = resourceLabel(stage, key);
    if (label) rows.push({ key, label, value });
  }
  // One row per kind of entry, in the order first recorded: "redirect URI added …  https://…".
  const byLabel = new Map<string, string[]>();
  for (const entry of records.added ?? []) {
    const { label, value } = addedRow(stage, entry);
    byLabel.set(label, [...(byLabel.get(label) ?? []), value]);
  }
  for (const [label, values] of byLabel) rows.push({ key: 'added', label, value: values.join(', ') });
  return rows;
}
