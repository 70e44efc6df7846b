// Polls a long-running operation through its API's own operations.get, with backoff that starts
// small (100 ms) so fast operations are seen promptly, and grows (x1.5, capped at 1 s) so slow ones
// are not busy-waited yet are seen done within a second. Transient errors while polling are retried. A finished operation with an
// error throws it as an OperationError carrying google.rpc.Code.
import { withRetry, sleep } from './retry.js';

export interface OperationLike { name?: string | null; done?: boolean | null; error?: { code?: number | null; message?: string | null } | null; response?: unknown }

export class OperationError extends Error {
  constructor(readonly operation: string, readonly code: number | undefined, message: string) { super(message); }
}

export async function pollOperation<T extends OperationLike>(
  get: (name: string) => Promise<{ data: T }>, op: T,
  opts: { signal?: AbortSignal; firstDelayMs?: number; maxDelayMs?: number; timeoutMs?: number; onPoll?: (elapsedMs: number) => void } = {},
): Promise<T> {
  const start = Date.now();
  let delay = opts.firstDelayMs ?? 100;
  let current = op;
  while (!current.done) {
    if (opts.timeoutMs !== undefined && Date.now() - start > opts.timeoutMs) {
      throw new OperationError(op.name ?? '', undefined, `operation ${op.name} did not finish within ${Math.round(opts.timeoutMs / 1000)} s; re-run to keep waiting for it`);
    }
    await sleep(delay, opts.signal);
    delay = Math.min(Math.round(delay * 1.5), opts.maxDelayMs ?? 1000);
    current = (await withRetry(() => get(op.name!), { signal: opts.signal })).data;
    opts.onPoll?.(Date.now() - start);
  }
  if (current.error) throw new OperationError(op.name ?? '', current.error.code ?? undefined, current.error.message ?? 'operation failed');
  return current;
}
