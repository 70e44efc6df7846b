// The stages in the order users see them; they run concurrently where dependencies allow.
import { deployStage } from './deploy.js';
import { auth0AppStage } from './auth0-app.js';
import { workforcePoolStage } from './workforce-pool.js';
import { oauthClientStage } from './oauth-client.js';
import { iapSettingsStage } from './iap-settings.js';
import { accessStage } from './access.js';
import type { Stage } from '../stage.js';

export const ALL_STAGES: Stage[] = [deployStage, auth0AppStage, workforcePoolStage, oauthClientStage, iapSettingsStage, accessStage];
