// STUB: replaced by the serviceusage emulation.
import { Router } from '../core/http.js';
import type { World } from '../world.js';
export function serviceUsageRouter(world: World): Router { void world; return new Router(); }
