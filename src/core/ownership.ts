// Who owns a cloud resource, read back from the resource itself (never from its name or from the
// state file alone). Every resource iap-auth0 creates carries a marker naming iap-auth0 and the
// setup that created it, in whatever field its API offers: a description, Cloud Run labels, an
// Auth0 app's client_metadata. A setup that shares another setup's resource (--adopt) adds its own
// id to the marker's "shared with" list, so the owner's destroy knows the resource is still in use
// and hands it over instead of deleting it. Pure functions: no network, no state file.
import { randomBytes } from 'node:crypto';

export const TOOL = 'iap-auth0';

/** A setup id: 8 characters of lowercase base32, valid in labels, descriptions and metadata (rule in lib/ids.ts). */
export { SETUP_ID } from '../lib/ids.js';

export function newSetupId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return Array.from(randomBytes(8), (b) => alphabet[b % 32]).join('');
}

/**
 * What a resource's marker says. `owner` is the setup that created it; '' for a resource marked by
 * an iap-auth0 version that had no setup ids; undefined when no iap-auth0 setup created it (a
 * resource someone else made that setups listed in `shared` adopted).
 */
export interface Marker {
  owner?: string;
  shared: string[];
}

/** How this setup stands to one live resource. */
export type Standing =
  | { kind: 'ours' }
  | { kind: 'shared'; owner?: string }
  | { kind: 'other-setup'; owner: string }
  | { kind: 'legacy' }
  | { kind: 'unmarked' };

export function standing(m: Marker | undefined, me: string): Standing {
  if (m?.owner === me) return { kind: 'ours' };
  if (m?.shared.includes(me)) return { kind: 'shared', ...(m.owner ? { owner: m.owner } : {}) };
  if (m?.owner) return { kind: 'other-setup', owner: m.owner };
  if (m?.owner === '') return { kind: 'legacy' };
  return { kind: 'unmarked' };
}

// --- descriptions: "Managed by iap-auth0 (setup abcd2345; shared with efgh6789): what it is for" ---

// Earlier versions wrote "Managed by iap-auth0: …" or "Managed by iap-auth0 for …" (no setup id).
const DESCRIPTION =
  /^Managed by iap-auth0(?: \((?:setup ([a-z2-7]{8}))?(?:; )?(?:shared with ([a-z2-7,]+))?\))?(?::\s*|(?= for )\s*|$)/;

export function parseDescription(text: string | null | undefined): Marker | undefined {
  const m = DESCRIPTION.exec(text ?? '');
  if (!m) return undefined;
  return { owner: m[1] ?? '', shared: m[2] ? m[2].split(',').filter(Boolean) : [] };
}

/** The part of a description after its marker (what the resource is for). */
export function purposeOf(text: string | null | undefined): string {
  const m = DESCRIPTION.exec(text ?? '');
  return m ? (text ?? '').slice(m[0].length) : (text ?? '');
}

export function markedDescription(m: Marker, purpose: string, max: number): string {
  const parts = [m.owner ? `setup ${m.owner}` : '', m.shared.length ? `shared with ${m.shared.join(',')}` : ''].filter(
    Boolean,
  );
  const head = `Managed by iap-auth0${parts.length ? ` (${parts.join('; ')})` : ''}`;
  return `${head}: ${purpose}`.slice(0, max);
}

// --- Cloud Run labels: managed-by, iap-auth0-setup, iap-auth0-shared (label values cannot hold commas) ---

export const LABEL_MANAGED = 'managed-by';
export const LABEL_SETUP = 'iap-auth0-setup';
export const LABEL_SHARED = 'iap-auth0-shared';

export function parseLabels(labels: Record<string, string> | null | undefined): Marker | undefined {
  const l = labels ?? {};
  const shared = (l[LABEL_SHARED] ?? '').split('_').filter(Boolean);
  if (l[LABEL_MANAGED] === TOOL) return { owner: l[LABEL_SETUP] ?? '', shared };
  return shared.length ? { shared } : undefined;
}

/** Labels with the marker `m` written in, every other label kept. */
export function markedLabels(
  labels: Record<string, string> | null | undefined,
  m: Marker | undefined,
): Record<string, string> {
  const out = { ...(labels ?? {}) };
  delete out[LABEL_MANAGED];
  delete out[LABEL_SETUP];
  delete out[LABEL_SHARED];
  if (m?.owner !== undefined) out[LABEL_MANAGED] = TOOL;
  if (m?.owner) out[LABEL_SETUP] = m.owner;
  if (m?.shared.length) out[LABEL_SHARED] = m.shared.join('_');
  return out;
}

/** Same labels whatever their order (a map read back from an API need not keep the order it was written in). */
export const sameLabels = (
  a: Record<string, string> | null | undefined,
  b: Record<string, string> | null | undefined,
) => {
  const ka = Object.keys(a ?? {}),
    kb = Object.keys(b ?? {});
  return ka.length === kb.length && ka.every((k) => b?.[k] === a?.[k]);
};

// --- Auth0 client_metadata: managed_by, iap_auth0_setup, iap_auth0_shared (10 keys, 255 chars each) ---

export type Metadata = Record<string, unknown> | null | undefined;

export function parseMetadata(md: Metadata): Marker | undefined {
  if (md?.managed_by !== TOOL) return undefined;
  const setup = typeof md.iap_auth0_setup === 'string' ? md.iap_auth0_setup : '';
  const shared = typeof md.iap_auth0_shared === 'string' ? md.iap_auth0_shared.split(',').filter(Boolean) : [];
  return { owner: setup, shared };
}

/** The client_metadata keys that say `m` (a PATCH merges them; null deletes a key). */
export function markerMetadata(m: Marker): Record<string, string | null> {
  return {
    managed_by: TOOL,
    iap_auth0_setup: m.owner || null,
    iap_auth0_shared: m.shared.length ? m.shared.join(',') : null,
  };
}

/** Two carriers of one resource (labels and description, metadata and description): the first that says something. */
export function either(a: Marker | undefined, b: Marker | undefined): Marker | undefined {
  if (a?.owner) return a;
  if (b?.owner) return b;
  return a ?? b;
}

export const sameMarker = (a: Marker | undefined, b: Marker | undefined) =>
  (a?.owner ?? null) === (b?.owner ?? null) &&
  JSON.stringify([...(a?.shared ?? [])].sort()) === JSON.stringify([...(b?.shared ?? [])].sort());

// --- decisions ---

/** What the state file says this setup did with a resource: created it, adopted it, or nothing. */
export type Recorded = 'created' | 'adopted' | undefined;

export type UseDecision =
  | { use: 'created'; marker: Marker }
  | { use: 'adopted'; marker?: Marker }
  | { refuse: 'other-setup' | 'not-ours' | 'mismatch'; owner?: string };
/** A decision that lets this setup use the resource. */
export type UseAllowed = Extract<UseDecision, { use: unknown }>;

/**
 * Whether init may use an existing resource, and as what. `adopt` is the user's consent (--adopt);
 * `adoptUnmarked` is false where a resource nobody marked must never be taken (an Auth0 app).
 * The marker returned is what the resource must carry afterwards (ours restored, us added to
 * "shared with").
 */
export function decideUse(
  m: Marker | undefined,
  me: string,
  recorded: Recorded,
  adopt: boolean,
  adoptUnmarked = true,
): UseDecision {
  const s = standing(m, me);
  switch (s.kind) {
    case 'ours':
      return { use: 'created', marker: m! };
    case 'shared':
      return { use: 'adopted', marker: m };
    case 'legacy':
      // Made by an iap-auth0 without setup ids: ours if this state recorded creating it.
      if (recorded === 'created') return { use: 'created', marker: { owner: me, shared: m!.shared } };
      return adopt
        ? { use: 'adopted', marker: { owner: '', shared: [...m!.shared, me] } }
        : { refuse: 'other-setup', owner: '' };
    case 'other-setup':
      return adopt
        ? { use: 'adopted', marker: { owner: s.owner, shared: [...m!.shared, me] } }
        : { refuse: 'other-setup', owner: s.owner };
    case 'unmarked':
      if (recorded === 'adopted') return { use: 'adopted', marker: { shared: [...(m?.shared ?? []), me] } };
      if (recorded === 'created') return { refuse: 'mismatch' };
      return adopt && adoptUnmarked
        ? { use: 'adopted', marker: { shared: [...(m?.shared ?? []), me] } }
        : { refuse: 'not-ours' };
  }
}

/** What destroy does with one live resource this state recorded. */
export type Fate =
  | { fate: 'delete' }
  | { fate: 'hand-over'; to: string; marker: Marker }
  | { fate: 'unshare'; marker: Marker }
  | { fate: 'release' }
  | { fate: 'mismatch' }
  | { fate: 'not-ours' };

export function decideFate(m: Marker | undefined, me: string, recorded: Recorded): Fate {
  const s = standing(m, me);
  if (s.kind === 'ours' || (s.kind === 'legacy' && recorded === 'created')) {
    const others = m!.shared.filter((x) => x !== me);
    return others.length
      ? { fate: 'hand-over', to: others[0], marker: { owner: others[0], shared: others.slice(1) } }
      : { fate: 'delete' };
  }
  // Another setup's: this setup leaves its list. Nobody's (a resource someone made by hand that
  // carries only the "shared" label): this setup adopted it, and puts back what it changed.
  if (s.kind === 'shared' && m!.owner === undefined && recorded === 'adopted') return { fate: 'release' };
  if (s.kind === 'shared')
    return {
      fate: 'unshare',
      marker: { ...(m!.owner !== undefined ? { owner: m!.owner } : {}), shared: m!.shared.filter((x) => x !== me) },
    };
  if (s.kind === 'unmarked' && recorded === 'adopted') return { fate: 'release' };
  return recorded === 'created' ? { fate: 'mismatch' } : { fate: 'not-ours' };
}

/** Whose an adopted resource is, for plans: "setup X's: shared…" or "someone else's: …". */
export const adoptedNote = (m: Marker | undefined) =>
  m?.owner
    ? `iap-auth0 setup ${m.owner}'s: shared, never deleted by this setup`
    : "someone else's: used, never deleted by this setup";

/** "setup abcd2345" or "an earlier iap-auth0 setup" for messages. */
export const setupName = (owner: string | undefined) =>
  owner ? `iap-auth0 setup ${owner}` : 'an iap-auth0 setup without a setup id (made by an earlier version)';
