// Test helpers: a sandbox per test file (reusing the runner's CA so HTTPS is trusted), Google's
// generated clients pointed at it through the documented variables, and the inspection endpoint.
import { after } from 'node:test';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import { googleClients } from '../../src/google/clients.js';

export async function useSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const sb = await startSandbox({ caDir: process.env.IAP_AUTH0_TEST_CA_DIR, ...opts });
  after(() => sb.stop());
  return sb;
}

/** The production client factory, fed only the sandbox's environment variables. */
export const clientsFor = (sb: Sandbox, opts: { quotaProject?: string } = {}) => googleClients(sb.env, opts);

export async function inspect(sb: Sandbox): Promise<any> {
  return (await fetch(`${sb.controlUrl}/world`)).json();
}
export async function requestLog(sb: Sandbox, since = 0): Promise<any[]> {
  return ((await (await fetch(`${sb.controlUrl}/requests?since=${since}`)).json()) as any).requests;
}
export async function control(sb: Sandbox, path: string, body: unknown): Promise<any> {
  const r = await fetch(`${sb.controlUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return r.json();
}

/**
 * Moves the sandbox's clock forward, so whatever waits on sandbox time (IAM and IAP propagation,
 * API enablement, soft-delete windows, settling resources) is over at once: no test sleeps to let
 * time pass.
 */
export async function moveClock(sb: Sandbox, ms: number): Promise<void> {
  await control(sb, '/clock', { advance: `${ms}ms` });
}

/**
 * Polls a Google operation through the client's own operations.get until done (a generous deadline: only a hang fails).
 */
export async function waitOperation<T extends { done?: boolean | null }>(
  get: () => Promise<{ data: T }>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    const { data } = await get();
    if (data.done) return data;
    if (Date.now() > deadline) throw new Error('operation did not finish in time');
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** The HTTP status and Google error status of a rejected client call. */
export async function googleError(p: Promise<unknown>): Promise<{ code: number; status: string; message: string }> {
  try {
    await p;
  } catch (e: any) {
    const err = e?.response?.data?.error;
    return { code: e?.response?.status ?? e?.status, status: err?.status, message: err?.message ?? e.message };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/**
 * Someone enables IAM and Cloud Run through the Service Usage API before iap-auth0 ever runs (to deploy
 * their own app), and waits out the enablement's propagation on the sandbox clock.
 */
export async function enableRunApis(sb: Sandbox): Promise<void> {
  const g = clientsFor(sb);
  const su = (
    await g.serviceusage.services.batchEnable({
      parent: 'projects/415104041262',
      requestBody: { serviceIds: ['iam.googleapis.com', 'run.googleapis.com'] },
    })
  ).data;
  if (!su.done) await waitOperation(() => g.serviceusage.operations.get({ name: su.name! }));
  await moveClock(sb, sb.world.profile.enablePropagationMs + 10); // the APIs are usable
}
