// The lower bound of init's wall time under a sandbox profile: the longest chain of calls and
// operations that must happen one after the other, whatever the implementation. Each Google call
// costs the profile's Google latency (G), each Auth0 Management call its Auth0 latency (A); an
// operation costs its duration plus one call to see it done. The chains follow the real
// dependencies (gcp-api.md 13), not the order this implementation happens to use:
//   preflight   CRM project get (the number and organization everything else needs)
//   plan        the longest read chain of the plan: pool get → provider get, or M2M token → list apps
//   apis        batchGet → batchEnable → operation → the enablement propagating (SERVICE_DISABLED window)
//   deploy      apis → SA get → SA create → (the new account settling) → service get → create → operation
//               → get (Ready) → invoker policy get → set;  the IAP agent is generated alongside, and its
//               grant waits for the new agent to settle
//   (settling: the profile's consistencyMs, the time a new resource stays unusable after its create)
//   pool        apis → pool get → create → operation; provider (needs the Auth0 app) get → create → operation
//   oauth       apis → client get → create → (the new client settling) → patch redirect → credential get → create
//   settings    after deploy, pool, oauth: settings get → update
//   access      after deploy, pool: policy get → set
import type { Profile } from '../src/sandbox/core/profile.js';

export interface Chain {
  name: string;
  ms: number;
}

export function criticalPath(p: Profile): { totalMs: number; chains: Chain[]; path: string } {
  const G = p.latencyMs.google,
    A = p.latencyMs.auth0,
    op = p.operationMs,
    settle = p.consistencyMs;
  const preflight = G;
  const plan = Math.max(2 * G, 2 * A);
  const apis = 2 * G + op.serviceEnable + G + p.enablePropagationMs;
  const agent = apis + G + op.serviceIdentity + G;
  const service = apis + 2 * G + settle.serviceAccount + 2 * G + op.runCreate + G + G;
  const deploy = Math.max(service, agent + settle.serviceAgent) + 2 * G;
  const auth0 = 3 * A; // token, find by tag, create
  const poolOnly = apis + 2 * G + op.poolCreate + G;
  const pool = Math.max(poolOnly, auth0) + 2 * G + op.providerCreate + G;
  const oauth = apis + 5 * G + settle.oauthClient;
  const settings = Math.max(deploy, pool, oauth) + 2 * G;
  const access = Math.max(deploy, pool) + 2 * G;
  const start = preflight + plan;
  const chains: Chain[] = [
    { name: 'deploy → IAP settings', ms: start + settings },
    { name: 'deploy → access', ms: start + access },
    { name: 'pool and provider', ms: start + pool },
    { name: 'OAuth client', ms: start + oauth },
    { name: 'Auth0 app', ms: start + auth0 },
  ].sort((a, b) => b.ms - a.ms);
  return {
    totalMs: chains[0].ms,
    chains,
    path:
      `preflight ${preflight} + plan ${plan} + APIs ${apis} + SA/settling/service/operation/Ready ${service - apis}` +
      ` + invoker ${2 * G} + IAP settings ${2 * G} ms`,
  };
}
