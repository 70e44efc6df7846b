// The APIs init needs, enabled in one batch (atomic; already-enabled answers a no-op that must not
// be polled).
import { gdata } from './google-call.js';
import { pollOperation } from './poll.js';
import type { CoreContext } from './context.js';

export const REQUIRED_APIS = ['iam.googleapis.com', 'run.googleapis.com', 'iap.googleapis.com', 'cloudresourcemanager.googleapis.com'];

export async function enableApis(ctx: Pick<CoreContext, 'google' | 'inputs' | 'signal' | 'emit'>): Promise<void> {
  const su = ctx.google.serviceusage;
  const parent = `projects/${ctx.inputs.projectNumber}`;
  // Read first: a finished project makes no mutating request at all.
  const states = await gdata(ctx, () => su.services.batchGet({ parent, names: REQUIRED_APIS.map((s) => `${parent}/services/${s}`) }));
  const missing = REQUIRED_APIS.filter((s) => !(states.services ?? []).some((v) => v.name?.endsWith(`/${s}`) && v.state === 'ENABLED'));
  if (!missing.length) return;
  ctx.emit({ type: 'step', stage: 'deploy', text: `enabling ${missing.join(', ')}` });
  const op = await gdata(ctx, () => su.services.batchEnable({ parent, requestBody: { serviceIds: missing } }));
  if (op.done) return; // includes operations/noop.DONE_OPERATION, which cannot be polled
  await pollOperation((name) => su.operations.get({ name }), op, { signal: ctx.signal });
}
