// Polls a long-running operation through its API's own operations.get, with the backoff of
// backoff.ts: 100 ms first so fast operations are seen promptly, growing x1.5 to 1 s so slow ones
// are not busy-waited yet are seen done within a second. `get` is the caller's read, retried as
// every Google call is (opReader in google-call.ts): transient errors, and SERVICE_DISABLED, which a
// poll meets when the API's enablement is still propagating (two setups enabling the same API at once
// in the sandbox's realistic profile: the second enablement restarts the window). A finished operation
// with an error throws it as an OperationError carrying google.rpc.Code.
import { pollUntil } from './backoff.js';
import type { EventSink } from './events.js';
import type { StageId } from '../state/names.js';

/**
 * A long wait said as the deploy's is: `text` on the stage's line, with how long so far (the
 * progress renderer adds it, and says it every 30 s off a terminal). For pollOperation's onPoll
 * and pollUntil's onWait, which pass the time since the wait began.
 */
export const waitingFor =
  (emit: EventSink, stage: StageId, text: string) =>
  (elapsedMs: number): void =>
    emit({ type: 'waiting', stage, text, elapsedMs });

export interface OperationLike {
  name?: string | null;
  done?: boolean | null;
  error?: { code?: number | null; message?: string | null } | null;
  response?: unknown;
}

export class OperationError extends Error {
  constructor(
    readonly operation: string,
    readonly code: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

export async function pollOperation<T extends OperationLike>(
  get: (name: string) => Promise<{ data: T }>,
  op: T,
  opts: {
    signal?: AbortSignal;
    firstDelayMs?: number;
    maxDelayMs?: number;
    timeoutMs?: number;
    onPoll?: (elapsedMs: number) => void;
  } = {},
): Promise<T> {
  const start = Date.now();
  const read = async () => {
    const current = (await get(op.name!)).data;
    opts.onPoll?.(Date.now() - start);
    return current;
  };
  const polled = await pollUntil(read, (current) => !!current.done, {
    backoff: { firstMs: opts.firstDelayMs ?? 100, factor: 1.5, maxMs: opts.maxDelayMs ?? 1000 },
    signal: opts.signal,
    budgetMs: opts.timeoutMs,
    first: { value: op },
  });
  if (!polled.done) {
    throw new OperationError(
      op.name ?? '',
      undefined,
      `operation ${op.name} did not finish within ${Math.round(opts.timeoutMs! / 1000)} s; re-run to keep ` +
        'waiting for it',
    );
  }
  const current = polled.value;
  if (current.error)
    throw new OperationError(
      op.name ?? '',
      current.error.code ?? undefined,
      current.error.message ?? 'operation failed',
    );
  return current;
}
