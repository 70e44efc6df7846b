// STUB: replaced by the iam emulation.
import { Router } from '../core/http.js';
import type { World } from '../world.js';
export function iamRouter(world: World): Router { void world; return new Router(); }
