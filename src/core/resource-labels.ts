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

/** What a stage's `added` list holds, in words. */
const ADDED: Partial<Record<StageId, string>> = {
  deploy: 'invoker granted to',
  'iap-settings': 'settings set',
  access: 'access granted to',
};

/** "signInIssuer" → "sign in issuer": a key no table names yet still reads as words. */
const words = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();

/** The label of `key` in `stage`'s records, or undefined when it is bookkeeping only. */
export function resourceLabel(stage: StageId, key: string): string | undefined {
  const table = LABELS[stage] ?? {};
  if (key in table) return table[key] ?? undefined;
  return words(key);
}

/** The label of a stage's `added` list. */
export const addedLabel = (stage: StageId): string => ADDED[stage] ?? 'added';

/** An `added` entry in words: IAP settings' field paths by their last part. */
export const addedValue = (stage: StageId, value: string): string =>
  stage === 'iap-settings' ? (value.split('.').pop() ?? value) : value;

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
  if (records.added?.length)
    rows.push({
      key: 'added',
      label: addedLabel(stage),
      value: records.added.map((a) => addedValue(stage, a)).join(', '),
    });
  return rows;
}
