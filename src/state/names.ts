// The state file's names and fixed values, without the schema library: `status` reads them at
// start-up, where loading the schema would cost time for nothing. The stage ids, their order and
// titles are the stage declarations' (core/stage-graph.ts, as light as this file).
export const DEFAULT_STATE_PATH = '.iap-auth0/state.json';

export { STAGES, STAGE_TITLES, type StageId } from '../core/stage-graph.js';

export const STAGE_STATUSES = ['pending', 'in-progress', 'done', 'failed', 'destroying', 'destroyed'] as const;
