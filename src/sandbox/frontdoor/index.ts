// The browser sign-in chain: every hop on its own HTTPS origin, like the real services.
//   front doors (front-door.ts)  one per Cloud Run service, its uri; Google Frontend + native IAP
//   sign-in origin (signin.ts)   https://auth.cloud.google: WIF authorize + signin-callback (STS)
//   IAP origin (iap-redirect.ts) https://iap.googleapis.com/v1/oauth/clientIds/{id}:handleRedirect
//                                and https://www.gstatic.com/iap/verify/public_key-jwk
//   built-in app (app-page.ts)   what the container answers, verifying IAP's JWT
// world.frontDoors is set here; the Cloud Run emulation opens a front door per service.
import type { World } from '../world.js';
import type { TlsMaterial } from '../core/tls.js';
import { listen } from '../core/http.js';
import { caClient } from '../../lib/ca-fetch.js';
import { IapSigner } from './iap-signer.js';
import { newStores, type ChainContext } from './chain.js';
import { signinHandler } from './signin.js';
import { iapOriginHandler, JWKS_PATH } from './iap-redirect.js';
import { BuiltInApp } from './app-page.js';
import { FrontDoors } from './front-door.js';

export interface BrowserChain {
  signinOrigin: string;
  jwksUrl: string;
  close(): Promise<void>;
}

export async function startBrowserChain(world: World, tls: TlsMaterial): Promise<BrowserChain> {
  const https = caClient(tls.ca, { httpsOnly: true, timeoutMs: 10_000 });
  let doors: FrontDoors | undefined;
  const ctx: ChainContext = {
    world,
    tls,
    https,
    signer: await IapSigner.create(),
    signinOrigin: '',
    iapOrigin: '',
    jwksUrl: '',
    frontDoorOrigin: (key) => doors?.origin(key),
    ...newStores(world),
  };
  const pair = { key: tls.key, cert: tls.cert };
  const signin = await listen(signinHandler(ctx), pair);
  const iap = await listen(iapOriginHandler(ctx), pair).catch(async (e) => {
    await signin.close();
    throw e;
  });
  ctx.signinOrigin = signin.origin;
  ctx.iapOrigin = iap.origin;
  ctx.jwksUrl = iap.origin + JWKS_PATH;
  doors = new FrontDoors(ctx, new BuiltInApp(world, https, ctx.jwksUrl), tls);
  world.frontDoors = doors;
  world.origins.signin = signin.origin;
  world.origins.iapRedirect = iap.origin;
  return {
    signinOrigin: signin.origin,
    jwksUrl: ctx.jwksUrl,
    async close() {
      await Promise.all([doors!.closeAll(), signin.close(), iap.close()]);
    },
  };
}
