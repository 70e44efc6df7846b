// `iap-auth0 destroy`: thin over core/destroy.ts. Shows what will be removed, asks on a terminal,
// refuses without --force elsewhere (exit 2, nothing touched), renders progress like init.
import { EXIT, UserError } from '../../lib/exit-codes.js';
import { createRenderer } from '../render.js';
import { onInterrupt } from '../interrupt.js';
import type { DestroyResult } from '../../core/destroy.js';
import { destroyPlanWords } from '../plan-words.js';
import { proseLines } from '../wrap.js';

export interface DestroyCommandOptions {
  force?: boolean;
  keep?: string;
  json?: boolean;
  state?: string;
}

export async function destroyCommand(opts: DestroyCommandOptions): Promise<void> {
  const interactive = !!process.stdin.isTTY && !!process.stderr.isTTY && !process.env.CI && !opts.json;
  const ui = await createRenderer({ quiet: !!opts.json });
  const { runDestroy, parseKeep } = await import('../../core/destroy.js');
  const keep = parseKeep(opts.keep);
  const ctrlC = onInterrupt();
  let result: DestroyResult;
  try {
    result = await runDestroy({
      env: process.env,
      statePath: opts.state,
      keep,
      emit: (e) => ui.event(e),
      signal: ctrlC.signal,
      confirm: async (plan) => {
        for (const l of destroyPlanWords(plan, ui.width)) ui.line(l);
        if (opts.force) return true;
        if (!interactive)
          throw new UserError(
            'destroy deletes cloud resources and needs confirmation: nothing was deleted',
            EXIT.USAGE,
            'run it in a terminal to confirm, or pass --force',
          );
        const { default: confirm } = await import('@inquirer/confirm');
        try {
          return await confirm(
            { message: 'Delete all of this?', default: false },
            { output: process.stderr, signal: ctrlC.signal },
          );
        } catch (e) {
          // Ctrl-C at the question, as init's prompts: nothing was touched, exit 130.
          if ((e as Error).name === 'ExitPromptError' || (e as Error).name === 'AbortPromptError') {
            ctrlC.interrupt();
            throw new UserError(
              'interrupted; nothing was deleted. Run iap-auth0 destroy again when ready.',
              EXIT.INTERRUPTED,
            );
          }
          throw e;
        }
      },
    });
  } catch (e) {
    ui.stop();
    if (opts.json && e instanceof UserError)
      process.stdout.write(JSON.stringify({ ok: false, error: { message: e.message, hint: e.hint } }, null, 2) + '\n');
    throw e;
  } finally {
    ctrlC.dispose();
  }
  ui.stop();
  if (opts.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else if (result.nothingToDo) ui.line(`Nothing to destroy: ${result.stateFile} records nothing iap-auth0 still owns.`);
  else if (result.ok) {
    const poolDeleted = result.deleted.some((d) => d.startsWith('locations/global/workforcePools/'));
    if (!result.kept.length) ui.line(ui.color.bold('Done.') + ' Everything iap-auth0 created is gone.');
    else {
      ui.line(
        ui.color.bold('Done.') + ` Deleted ${result.deleted.length ? 'what this setup created' : 'nothing'}; kept:`,
      );
      for (const k of result.kept) ui.line(`  ${k}`);
    }
    if (poolDeleted)
      ui.line(
        'Google keeps deleted workforce pool and provider ids for 30 days; running init again with the same ' +
          'ids undeletes them.',
      );
  } else {
    if (ctrlC.interrupted) {
      const done = result.stages.filter((x) => x.ok && !x.kept).map((x) => x.title);
      ui.line(
        `Removed before the interruption: ${done.length ? done.join(', ') : 'nothing yet'}. Not finished: ${result.plan
          .filter((p) => !p.kept && !done.includes(p.title))
          .map((p) => p.title)
          .join(', ')}.`,
      );
    } else {
      // Each failure and its hint at word boundaries on a terminal, continuation under the text (wrap.ts).
      for (const s of result.stages.filter((x) => !x.ok))
        for (const l of proseLines(`${s.title}: ${s.error}${s.hint ? `\n  hint: ${s.hint}` : ''}`, ui.columns))
          ui.line(l);
    }
    ui.line(
      ctrlC.interrupted
        ? 'Interrupted. Run iap-auth0 destroy again to resume where it stopped.'
        : 'Destroy stopped. Fix the cause above and run iap-auth0 destroy again: it resumes where it stopped.',
    );
  }
  process.exitCode = ctrlC.interrupted ? EXIT.INTERRUPTED : result.ok ? EXIT.OK : EXIT.FAILURE;
}
