// What the state file says a stage did with each resource: its name under `resources`, and
// whether it was adopted (listed in `adopted`) or created. A cache of the cloud: every use of
// these is checked against the resource's live marker (ownership.ts).
import type { StageId, StageState } from '../state/schema.js';
import type { Recorded } from './ownership.js';
import type { CoreContext } from './context.js';

/** How this state recorded `name` under `key`: created, adopted, or not at all (another name, or none). */
export function recordedAs(st: StageState, key: string, name: string | undefined): Recorded {
  if (!name || st.resources[key] !== name) return undefined;
  return st.adopted?.includes(key) ? 'adopted' : 'created';
}

/** Where a record lives in the state file, for messages. */
export const fieldOf = (stage: StageId, key: string) => `stages.${stage}.resources.${key}`;

/** Records that this setup uses `name` under `key`, as created or adopted. */
export function recordUse(
  ctx: Pick<CoreContext, 'state'>,
  stage: StageId,
  key: string,
  name: string,
  use: 'created' | 'adopted',
): Promise<void> {
  return ctx.state.updateStage(stage, (st) => {
    st.resources[key] = name;
    const adopted = new Set(st.adopted ?? []);
    if (use === 'adopted') adopted.add(key);
    else adopted.delete(key);
    if (adopted.size) st.adopted = [...adopted];
    else delete st.adopted;
  });
}

/** Remembers, once, the value a field of an adopted resource had before iap-auth0 changed it. */
export function recordPrevious(
  ctx: Pick<CoreContext, 'state'>,
  stage: StageId,
  values: Record<string, string>,
): Promise<void> {
  return ctx.state.updateStage(stage, (st) => {
    const prev = { ...(st.previous ?? {}) };
    for (const [k, v] of Object.entries(values)) if (!(k in prev)) prev[k] = v;
    st.previous = prev;
  });
}
