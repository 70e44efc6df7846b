// The Cloud Run calls the deploy stage's apply and destroy share: waiting for an operation, for a service to
// be gone, a patch and its wait, and read-modify-write access to who may invoke a service.
import { gdata, gonce, opReader } from '../../google-call.js';
import { unlessNotFound } from '../../google-errors.js';
import { pollOperation, OperationError } from '../../poll.js';
import type { PolicyAccess } from '../../iam-policy.js';
import { pollUntil, type Backoff } from '../../backoff.js';
import type { StageContext } from '../../stage.js';
import type { CoreContext } from '../../context.js';
import { type Service, stage } from './names.js';

/** How often a Cloud Run service is read while it becomes ready or gone: 0.1 s, doubling to 2 s. */
export const SERVICE_BACKOFF: Backoff = { firstMs: 100, factor: 2, maxMs: 2000 };

/**
 * Waits for a Cloud Run operation, then forgets it. Cloud Run operations have a long-poll :wait, so the deploy is
 * seen done the moment it is, without polling; each wait is capped at 10 s to report progress, and aborts on Ctrl-C.
 */
export async function waitRunOperation(ctx: StageContext, opName: string): Promise<void> {
  const ops = ctx.google.run.projects.locations.operations;
  const start = Date.now();
  for (;;) {
    const op = await gdata(
      ctx,
      () => ops.wait({ name: opName, requestBody: { timeout: '10s' } }, { signal: ctx.signal }),
      'deploy',
    );
    if (op.done) {
      if (op.error)
        throw new OperationError(opName, op.error.code ?? undefined, op.error.message ?? 'Cloud Run operation failed');
      break;
    }
    ctx.emit({ type: 'waiting', stage, text: 'Cloud Run is deploying', elapsedMs: Date.now() - start });
  }
  await ctx.state.recordOperation('deploy', 'service', undefined);
}

/** A patch of the service, waited for (destroy's hand-over and release). */
export async function patchAndWait(ctx: CoreContext, name: string, mask: string[], body: Service): Promise<void> {
  const op = await gdata(
    ctx,
    () => ctx.google.run.projects.locations.services.patch({ name, updateMask: mask.join(','), requestBody: body }),
    'deploy',
  );
  if (op.name && !op.done)
    await pollOperation(
      opReader(ctx, (n) => ctx.google.run.projects.locations.operations.get({ name: n }), 'deploy'),
      op,
      {
        signal: ctx.signal,
      },
    );
}

/** Until the service is gone: Cloud Run deletes it in the background. */
export async function waitGone(ctx: CoreContext, name: string): Promise<void> {
  const services = ctx.google.run.projects.locations.services;
  const read = () => unlessNotFound(() => gdata(ctx, () => services.get({ name }), 'deploy'));
  // Progress is reported after each answer that still finds the service; the first pause, right after the
  // delete, goes unreported.
  let pauses = 0;
  await pollUntil(read, (s) => !s, {
    backoff: SERVICE_BACKOFF,
    signal: ctx.signal,
    first: { value: await read() },
    onWait: (_s, elapsedMs) => {
      if (pauses++)
        ctx.emit({ type: 'waiting', stage: 'deploy', text: 'Cloud Run is deleting the service', elapsedMs });
    },
  });
}

/** roles/run.invoker on a service, read and written; one attempt per write: callers retry the read-modify-write. */
export function invokerPolicy(ctx: CoreContext, resource: string): PolicyAccess {
  const services = ctx.google.run.projects.locations.services;
  return {
    get: () => gdata(ctx, () => services.getIamPolicy({ resource, 'options.requestedPolicyVersion': 3 }), 'deploy'),
    set: (p) => gonce(() => services.setIamPolicy({ resource, requestBody: { policy: p } }), ctx),
  };
}
