// IAM v1: service accounts, workforce pools and providers, OAuth clients and credentials.
import { Router } from '../core/http.js';
import type { World } from '../world.js';
import { addServiceAccountRoutes } from './iam-service-accounts.js';
import { addWorkforceRoutes } from './iam-workforce.js';
import { addOauthRoutes } from './iam-oauth.js';

export function iamRouter(world: World): Router {
  const r = new Router();
  addServiceAccountRoutes(r, world);
  addWorkforceRoutes(r, world);
  addOauthRoutes(r, world);
  return r;
}
