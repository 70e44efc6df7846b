// The APIs init needs, enabled in one batch (atomic; already-enabled answers a no-op that must not
// be polled). Which are missing is read once, when the deploy stage plans (the plan says so), and
// the enable sends exactly those.
import { gdata, opReader, planRead } from './google-call.js';
import { pollOperation, waitingFor } from './poll.js';
import type { CoreContext } from './context.js';

export const REQUIRED_APIS = [
  'iam.googleapis.com',
  'run.googleapis.com',
  'iap.googleapis.com',
  'cloudresourcemanager.googleapis.com',
];

type Ctx = Pick<CoreContext, 'google' | 'inputs' | 'signal' | 'emit' | 'env'>;

/** The required APIs not enabled yet (a read; a finished project has none). */
export async function missingApis(ctx: Ctx, read: typeof planRead = planRead): Promise<string[]> {
  const su = ctx.google.serviceusage;
  const parent = `projects/${ctx.inputs.projectNumber}`;
  const states = await read(ctx, () =>
    su.services.batchGet({ parent, names: REQUIRED_APIS.map((s) => `${parent}/services/${s}`) }),
  );
  return REQUIRED_APIS.filter(
    (s) => !(states?.services ?? []).some((v) => v.name?.endsWith(`/${s}`) && v.state === 'ENABLED'),
  );
}

/** Enables `missing` (read now when not given); no request at all when nothing is missing. */
export async function enableApis(ctx: Ctx, missing?: string[]): Promise<void> {
  const su = ctx.google.serviceusage;
  const parent = `projects/${ctx.inputs.projectNumber}`;
  const todo = missing ?? (await missingApis(ctx, (c, fn) => gdata(c, fn)));
  if (!todo.length) return;
  ctx.emit({ type: 'step', stage: 'deploy', text: `enabling ${todo.join(', ')}` });
  const op = await gdata(ctx, () => su.services.batchEnable({ parent, requestBody: { serviceIds: todo } }));
  if (op.done) return; // includes operations/noop.DONE_OPERATION, which cannot be polled
  await pollOperation(
    opReader(ctx, (name) => su.operations.get({ name })),
    op,
    // Enabling takes from seconds to a few minutes: the line says for how long so far.
    { signal: ctx.signal, onPoll: waitingFor(ctx.emit, 'deploy', `Google is enabling ${todo.join(', ')}`) },
  );
}
