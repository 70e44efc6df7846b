// Reading the state file for `status`, which must answer at once: a plain JSON read and a
// structural check by hand. Only a file that fails it is handed to the full schema and its library,
// so a damaged file still gets the precise message.
import { readFile } from 'node:fs/promises';
import { STAGES, STAGE_STATUSES } from './names.js';
import type { State } from './schema.js';

const STATUSES = new Set<string>(STAGE_STATUSES);
const isStr = (v: unknown) => typeof v === 'string';
const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const strMap = (v: unknown) => v === undefined || (isObj(v) && Object.values(v).every(isStr));

function looksValid(j: unknown): j is State {
  if (!isObj(j) || j.tool !== 'iap-auth0' || j.version !== 1 || !isStr(j.createdAt) || !isStr(j.updatedAt)) return false;
  if (j.setupId !== undefined && !(isStr(j.setupId) && /^[a-z2-7]{8}$/.test(j.setupId))) return false;
  const i = j.inputs;
  if (!isObj(i) || !['project', 'region', 'service', 'image', 'auth0Domain', 'pool', 'provider', 'oauthClient'].every((k) => isStr(i[k]))) return false;
  if (!Array.isArray(i.allow) || !i.allow.every(isStr) || (i.scope !== 'service' && i.scope !== 'project')) return false;
  if (!isObj(j.stages ?? {})) return false;
  for (const [id, st] of Object.entries((j.stages ?? {}) as Record<string, unknown>)) {
    if (!(STAGES as readonly string[]).includes(id) || !isObj(st) || !STATUSES.has(String(st.status))) return false;
    const strList = (v: unknown) => v === undefined || (Array.isArray(v) && v.every(isStr));
    if (!strMap(st.resources) || !strMap(st.operations) || !strMap(st.previous) || !strList(st.added) || !strList(st.adopted)) return false;
  }
  return true;
}

/** The state, undefined when there is none; anything unusual goes through the full reader. */
export async function readStateQuick(file: string): Promise<State | undefined> {
  let raw: string;
  try { raw = await readFile(file, 'utf8'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return (await import('./store.js')).readState(file);
  }
  try {
    const j = JSON.parse(raw) as unknown;
    if (looksValid(j)) return { ...j, stages: j.stages ?? {} };
  } catch { /* the full reader says what is wrong */ }
  return (await import('./store.js')).readState(file);
}
