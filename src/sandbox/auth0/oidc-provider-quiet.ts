// oidc-provider prints "Unsupported runtime. Use Node.js v22.x LTS" when loaded on Node 20. Our
// floor is Node 20.19 and the sandbox's tests pass there, so that one message would only be noise
// on every `iap-auth0 sandbox`: it is filtered while the module loads, everything else passes.
import type ProviderType from 'oidc-provider';

const original = console.warn;
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime')) return;
  original(...args);
};
const mod = await import('oidc-provider').finally(() => {
  console.warn = original;
});

export const Provider: typeof ProviderType = mod.default;
export type Provider = ProviderType;
export const errors = mod.errors;
export const interactionPolicy = mod.interactionPolicy;
export type { KoaContext, Next } from 'oidc-provider';
