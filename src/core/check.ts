// One verify check's result, and the small vocabulary stages use to write checks. A check never
// throws: an unexpected error becomes a failed result explaining it (with Google's or Auth0's own
// advice when there is any).
import type { StageId } from '../state/schema.js';
import { explain } from './explain.js';

/** ok; failed; or not yet visible where it matters (IAM and IAP changes take minutes to apply). */
export type CheckStatus = 'ok' | 'failed' | 'propagating';

export interface CheckResult {
  id: string;
  stage: StageId | 'signin';
  title: string;
  status: CheckStatus;
  detail: string;
  hint?: string;
}

export type Outcome = Pick<CheckResult, 'status' | 'detail' | 'hint'>;

export const ok = (detail: string): Outcome => ({ status: 'ok', detail });
export const failed = (detail: string, hint: string): Outcome => ({ status: 'failed', detail, hint });
export const propagating = (detail: string, hint: string): Outcome => ({ status: 'propagating', detail, hint });

/** Runs one check; errors become failed results. */
export async function runCheck(
  stage: CheckResult['stage'],
  id: string,
  title: string,
  f: () => Promise<Outcome>,
  project?: string,
  signal?: AbortSignal,
): Promise<CheckResult> {
  try {
    return { id, stage, title, ...(await f()) };
  } catch (e) {
    const x = explain(e, project, signal);
    return {
      id,
      stage,
      title,
      status: 'failed',
      detail: x.error,
      hint: x.hint ?? 'run iap-auth0 verify again; if it persists, run iap-auth0 init',
    };
  }
}

/** The first failing outcome of a list of conditions, else ok(detail). */
export function firstFailure(conditions: [boolean, Outcome][], detail: string): Outcome {
  return conditions.find(([bad]) => bad)?.[1] ?? ok(detail);
}
