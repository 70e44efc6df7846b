// STUB: replaced by the iap emulation.
import { Router } from '../core/http.js';
import type { World } from '../world.js';
export function iapRouter(world: World): Router { void world; return new Router(); }
