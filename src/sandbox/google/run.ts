// STUB: replaced by the run emulation.
import { Router } from '../core/http.js';
import type { World } from '../world.js';
export function runRouter(world: World): Router { void world; return new Router(); }
