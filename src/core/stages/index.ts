// Every stage's implementation, by id. Their order and dependencies are declared once, in
// stage-graph.ts; `stagesInOrder` is that order.
import { deployStage } from './deploy.js';
import { auth0AppStage } from './auth0-app.js';
import { workforcePoolStage } from './workforce-pool.js';
import { oauthClientStage } from './oauth-client.js';
import { iapSettingsStage } from './iap-settings.js';
import { accessStage } from './access.js';
import { auth0ActionStage } from './auth0-action.js';
import { STAGES } from '../stage-graph.js';
import type { Stage } from '../stage.js';
import type { StageId } from '../../state/schema.js';

export const STAGE_IMPLEMENTATIONS: Record<StageId, Stage> = {
  deploy: deployStage,
  'auth0-app': auth0AppStage,
  'workforce-pool': workforcePoolStage,
  'oauth-client': oauthClientStage,
  'iap-settings': iapSettingsStage,
  access: accessStage,
  'auth0-action': auth0ActionStage,
};

/** Every stage, dependencies first (stage-graph.ts). */
export const stagesInOrder = (): Stage[] => STAGES.map((id) => STAGE_IMPLEMENTATIONS[id]);
