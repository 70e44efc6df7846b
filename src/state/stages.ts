// The stage ids, without the schema library: status and the benchmarks read them at start-up.
export const STAGES = ['deploy', 'auth0-app', 'workforce-pool', 'oauth-client', 'iap-settings', 'access'] as const;
export type StageId = (typeof STAGES)[number];
