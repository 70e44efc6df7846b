// The state file's names and fixed values, without the schema library: `status` reads them at
// start-up, where loading the schema would cost time for nothing.
export const DEFAULT_STATE_PATH = '.iap-auth0/state.json';

export const STAGES = ['deploy', 'auth0-app', 'workforce-pool', 'oauth-client', 'iap-settings', 'access'] as const;
export type StageId = (typeof STAGES)[number];

export const STAGE_STATUSES = ['pending', 'in-progress', 'done', 'failed', 'destroying', 'destroyed'] as const;

/** How stages are named to people (progress lines, status). */
export const STAGE_TITLES: Record<StageId, string> = {
  deploy: 'Cloud Run service', 'auth0-app': 'Auth0 application', 'workforce-pool': 'Workforce pool', 'oauth-client': 'IAP OAuth client', 'iap-settings': 'IAP settings', access: 'Access',
};
