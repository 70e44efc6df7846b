// `iap-auth0 verify`: thin over core/verify.ts. One line per check, a hint under each failure,
// progress while waiting for propagation; --json prints only the document.
import { EXIT, UserError } from '../../lib/exit-codes.js';
import { createRenderer, checkLines, type Renderer } from '../render.js';
import { onInterrupt, type Interrupt } from '../interrupt.js';
import { formatDuration } from '../../lib/duration.js';
import type { VerifyResult } from '../../core/verify.js';

export interface VerifyCommandOptions {
  wait?: number | true;
  json?: boolean;
  state?: string;
  report?: string;
}
export const DEFAULT_WAIT_MS = 10 * 60_000;

export async function verifyCommand(opts: VerifyCommandOptions): Promise<void> {
  const ui = await createRenderer({ quiet: !!opts.json });
  const waitMs = opts.wait === true ? DEFAULT_WAIT_MS : (opts.wait ?? 0);
  const checkedPath = await reportPathFor(opts);
  const ctrlC = onInterrupt();
  const result = await runChecks(opts, ui, waitMs, ctrlC);
  // The report is written before the results are printed; if that fails, the results are still printed, then the error.
  const { reportPath, reportError } = checkedPath
    ? await writeReportFile(result, checkedPath, waitMs)
    : { reportPath: undefined, reportError: undefined };
  if (opts.json) printJson(result, reportPath);
  else printChecks(ui, result, waitMs, reportPath);
  if (reportError)
    throw new UserError(reportError, EXIT.FAILURE, 'choose a writable path; the checks above ran and changed nothing');
  // Interrupted while checking: what was checked is printed above, and the run did not finish.
  process.exitCode = ctrlC.interrupted ? EXIT.INTERRUPTED : result.ok ? EXIT.OK : EXIT.VERIFY_FAILED;
}

/** --report: judged before any request, so a path that cannot take it costs nothing. */
async function reportPathFor(opts: VerifyCommandOptions): Promise<string | undefined> {
  if (opts.report === undefined) return undefined;
  const { checkReportPath } = await import('../../core/verify/report.js');
  const { DEFAULT_STATE_PATH } = await import('../../state/store.js');
  try {
    return await checkReportPath(opts.report, opts.state ?? DEFAULT_STATE_PATH);
  } catch (e) {
    throw new UserError(`--report: ${(e as Error).message}`);
  }
}

/** Runs the checks, showing progress while waiting for propagation; Ctrl-C and refusals become UserErrors. */
async function runChecks(
  opts: VerifyCommandOptions,
  ui: Renderer,
  waitMs: number,
  ctrlC: Interrupt,
): Promise<VerifyResult> {
  const { runVerify } = await import('../../core/verify.js');
  let startedAt: number | undefined;
  try {
    return await runVerify({
      env: process.env,
      statePath: opts.state,
      waitMs,
      signal: ctrlC.signal,
      emit: (e) => {
        if (e.type !== 'waiting') return;
        // One line that moves (a terminal) or a line every 30 s (elsewhere), not a line per check.
        const now = Date.now();
        startedAt ??= now - e.elapsedMs;
        ui.wait({
          label: 'propagating',
          pending: e.pending.map((c) => c.title),
          startedAt,
          nextAt: now + e.nextInMs,
          budgetMs: waitMs,
        });
      },
    });
  } catch (e) {
    if (ctrlC.interrupted)
      throw new UserError('interrupted; nothing was changed (verify only reads).', EXIT.INTERRUPTED);
    if (opts.json && e instanceof UserError)
      process.stdout.write(JSON.stringify({ ok: false, error: { message: e.message, hint: e.hint } }, null, 2) + '\n');
    throw e;
  } finally {
    ui.wait(undefined); // the results follow, where the wait's line was
    ctrlC.dispose();
  }
}

/** Writes the report; says where it went, or (reportError) why it could not be written. */
async function writeReportFile(
  result: VerifyResult,
  reportPath: string,
  waitMs: number,
): Promise<{ reportPath?: string; reportError?: string }> {
  const { buildReport, writeReport, checkReportPath } = await import('../../core/verify/report.js');
  const { apiRoots, signinOrigin } = await import('../../google/endpoints.js');
  const hosts = (() => {
    try {
      return Object.fromEntries(Object.entries(apiRoots(process.env)).map(([k, v]) => [k, new URL(v).host]));
    } catch {
      return undefined;
    }
  })();
  const report = buildReport(result, {
    waitMs,
    finishedAt: new Date().toISOString(),
    apiHosts: hosts,
    signinOrigin: signinOrigin(process.env),
  });
  try {
    await checkReportPath(reportPath, result.stateFile); // again: the file may have changed while the checks ran
    await writeReport(reportPath, report);
    return { reportPath };
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    return { reportError: `--report: cannot write ${reportPath}: ${why}` };
  }
}

/** --json: the document alone on stdout. */
function printJson(result: VerifyResult, reportPath: string | undefined): void {
  process.stdout.write(
    JSON.stringify(
      {
        ok: result.ok,
        serviceUrl: result.serviceUrl,
        elapsedMs: result.elapsedMs,
        waitedMs: result.waitedMs,
        checks: result.checks.map(({ id, stage, ok, status, detail, hint }) => ({
          id,
          stage,
          ok,
          status,
          detail,
          ...(hint ? { hint } : {}),
        })),
        ...(result.access ? { access: result.access } : {}),
        ...(result.accessError ? { accessError: result.accessError } : {}),
        ...(reportPath ? { report: reportPath } : {}),
      },
      null,
      2,
    ) + '\n',
  );
}

/** One line per check, who may pass IAP, the summary, and where the report went. */
function printChecks(ui: Renderer, result: VerifyResult, waitMs: number, reportPath: string | undefined): void {
  for (const l of checkLines(result.checks, ui.color, ui.columns)) ui.line(l);
  if (result.access) {
    ui.line(`Who may pass IAP to this service (${result.access.length}):`);
    for (const a of result.access)
      ui.para(
        `${a.member}  ${ui.color.dim(
          `on ${a.on}${a.ours ? ', granted by iap-auth0' : ', granted by someone else'}` +
            (a.condition ? `, conditional: only while ${a.condition}` : ''),
        )}`,
        '    ',
        '  ',
      );
  }
  if (result.accessError) ui.para(ui.color.yellow(result.accessError));
  printSummary(ui, result, waitMs);
  if (reportPath)
    ui.line(
      ui.color.dim(
        `Report written to ${reportPath} (checks and sign-in hops; parameter and cookie names only, no ` +
          'values or secrets).',
      ),
    );
}

/** All passed, or how many failed and how many are still propagating, with what to do next. */
function printSummary(ui: Renderer, result: VerifyResult, waitMs: number): void {
  const failed = result.checks.filter((c) => c.status === 'failed').length;
  const pending = result.checks.filter((c) => c.status === 'propagating').length;
  const waited = result.waitedMs > 0 ? ` (waited ${formatDuration(result.waitedMs)} for propagation)` : '';
  if (result.ok) {
    ui.para(
      ui.color.green(`All ${result.checks.length} checks passed${waited}.`) +
        (result.serviceUrl ? ` Open ${result.serviceUrl} and sign in.` : ''),
    );
    return;
  }
  ui.line(
    [
      failed && `${failed} of ${result.checks.length} checks failed`,
      pending && `${pending} of ${result.checks.length} still propagating`,
    ]
      .filter(Boolean)
      .join(', ') + `${waited}.`,
  );
  if (pending && !failed)
    ui.line(
      waitMs > 0
        ? `Still not applied after ${formatDuration(waitMs)}: wait a few more minutes and run iap-auth0 ` +
            'verify --wait again.'
        : 'Changes take 2 to 7 minutes to apply: run iap-auth0 verify --wait to keep checking.',
    );
}
