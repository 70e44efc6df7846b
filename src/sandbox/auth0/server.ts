// STUB: replaced by the Auth0 emulation.
import type { World } from '../world.js';
import type { TlsMaterial } from '../core/tls.js';
export interface Auth0Server { origin: string; domain: string; close(): Promise<void> }
export async function startAuth0(world: World, tls: TlsMaterial): Promise<Auth0Server> {
  void world; void tls; return { origin: 'https://127.0.0.1:1', domain: '127.0.0.1:1', close: async () => {} };
}
