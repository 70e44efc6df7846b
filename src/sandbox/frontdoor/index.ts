// STUB: replaced by the browser chain (front doors, sign-in origin, IAP redirect handler, app).
import type { World } from '../world.js';
import type { TlsMaterial } from '../core/tls.js';
export interface BrowserChain { signinOrigin: string; jwksUrl: string; close(): Promise<void> }
export async function startBrowserChain(world: World, tls: TlsMaterial): Promise<BrowserChain> {
  void world; void tls; return { signinOrigin: 'https://127.0.0.1:1', jwksUrl: 'https://127.0.0.1:1/jwks', close: async () => {} };
}
