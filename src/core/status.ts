// `status` from the state file alone: no network, no heavy imports (no API clients), so it answers
// at once. Pure over the State; the command reads the file and prints.
import { needsGroupsClaim } from '../inputs/allow-kinds.js';
import { STAGES, STAGE_TITLES, type StageId } from '../state/names.js';
import type { State } from '../state/schema.js';

export interface StatusReport {
  stateFile: string;
  exists: boolean;
  project?: string;
  service?: string;
  region?: string;
  serviceUrl?: string;
  stages: {
    id: StageId;
    title: string;
    /** The state file's status (pending, in-progress, done, failed, destroying, destroyed). */
    status: string;
    /** The status in words for people (an interrupted stage is "interrupted", not "in-progress"). */
    state: string;
    resources: Record<string, string>;
    added?: string[];
    adopted?: string[];
    error?: string;
  }[];
  /** The setup's id, in the marker of everything it created (absent in files of 0.1.0). */
  setupId?: string;
  next: string;
  summary: string;
}

/**
 * A stage's status as people read it. The file says "in-progress" for a stage a run started and
 * did not finish: interrupted (Ctrl-C), stopped because a stage it needs failed, or cut off (a crash,
 * or a run going on now); status cannot tell the last two apart, so it says "started, not finished".
 */
export function stateWords(status: string, error?: string): string {
  if (status === 'in-progress')
    return error === 'interrupted' ? 'interrupted' : error ? `not finished: ${error}` : 'started, not finished';
  if (status === 'destroying') return error === 'interrupted' ? 'destroy interrupted' : 'destroy not finished';
  if (status === 'pending') return 'not started';
  return status; // done, failed, destroyed
}

/**
 * The Action stage "finishes" without doing anything when --allow names no role or group; saying
 * "done" there would suggest an Action exists. Only when nothing is recorded: a recorded Action
 * (one a re-run is about to remove) is reported as the file says.
 */
function notNeeded(id: StageId, state: State): boolean {
  const st = state.stages[id];
  return (
    id === 'auth0-action' && st?.status === 'done' && !st.resources.actionId && !needsGroupsClaim(state.inputs.allow)
  );
}

export function statusReport(stateFile: string, state: State | undefined): StatusReport {
  if (!state) return { stateFile, exists: false, stages: [], summary: 'nothing set up yet', next: 'iap-auth0 init' };
  const stages = STAGES.map((id) => {
    const st = state.stages[id];
    return {
      id,
      title: STAGE_TITLES[id],
      status: st?.status ?? 'pending',
      state: notNeeded(id, state)
        ? 'not needed (no role: or group: in --allow)'
        : stateWords(st?.status ?? 'pending', st?.error),
      resources: st?.resources ?? {},
      ...(st?.added?.length ? { added: st.added } : {}),
      ...(st?.adopted?.length ? { adopted: st.adopted } : {}),
      ...(st?.error ? { error: st.error } : {}),
    };
  });
  const all = (s: string) => stages.every((x) => x.status === s);
  const some = (s: string) => stages.some((x) => x.status === s);
  const [summary, next] = some('destroying')
    ? ['a destroy was interrupted', 'iap-auth0 destroy (resumes where it stopped)']
    : all('done')
      ? ['set up', 'iap-auth0 verify']
      : all('destroyed')
        ? ["destroyed: nothing of iap-auth0's is left", 'iap-auth0 init (to set up again)']
        : some('destroyed') &&
            stages.every((x) => x.status === 'destroyed' || x.status === 'done' || x.status === 'pending')
          ? ['destroyed, except what was kept', 'iap-auth0 init (to set up again)']
          : some('failed')
            ? ['init stopped on an error', 'iap-auth0 init (resumes where it stopped)']
            : ['init has not finished', 'iap-auth0 init (resumes where it stopped)'];
  const i = state.inputs;
  return {
    stateFile,
    exists: true,
    ...(state.setupId ? { setupId: state.setupId } : {}),
    project: i.project,
    service: i.service,
    region: i.region,
    serviceUrl: state.stages.deploy?.resources.uri,
    stages,
    summary,
    next,
  };
}
