// Any error as one user-facing line, a stable code and a hint: Google errors get their specific
// advice, coded errors keep theirs. Used for stage failures (init, destroy) and failed checks.
import { googleFailure, describeGoogleFailure } from './google-errors.js';
import { CodedError } from './coded-error.js';
import { DependencyFailed } from './stage.js';
import { describeAuth0Error } from './auth0-errors.js';
import { describeNetworkFailure } from './net-errors.js';
import { Deadline } from '../lib/net.js';

/**
 * A stage error as one user-facing line plus a hint (Google errors get their specific advice).
 * `signal` is the run's Ctrl-C: a request it aborted looks like one that timed out.
 */
export function explain(
  err: unknown,
  project?: string,
  signal?: AbortSignal,
): { code: string; error: string; hint?: string } {
  if (signal?.aborted)
    return signal.reason instanceof Deadline
      ? { code: 'DEADLINE', error: signal.reason.message }
      : { code: 'INTERRUPTED', error: 'interrupted' };
  if (err instanceof DependencyFailed) return { code: 'DEPENDENCY_FAILED', error: err.message };
  const net = describeNetworkFailure(err);
  if (net) return { code: net.code, error: net.message, hint: net.hint };
  const f = googleFailure(err);
  if (f) {
    const d = describeGoogleFailure(f, project);
    return { code: d.code, error: d.message, hint: d.hint };
  }
  err = describeAuth0Error(err);
  if (err instanceof CodedError) return { code: err.code, error: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  if ((err as Error)?.name === 'AbortError' || String((err as Error)?.message) === 'interrupted')
    return { code: 'INTERRUPTED', error: 'interrupted' };
  return { code: 'ERROR', error: (err instanceof Error ? err.message : String(err)).split('\n')[0] };
}
