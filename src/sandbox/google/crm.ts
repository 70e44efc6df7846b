// STUB: replaced by the crm emulation.
import { Router } from '../core/http.js';
import type { World } from '../world.js';
export function crmRouter(world: World): Router { void world; return new Router(); }
