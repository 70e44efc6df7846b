// `iap-auth0 init`: thin over core/init.ts. Decides interactivity, wires prompts (stderr), Ctrl-C,
// rendering and the --json document.
import { EXIT, UserError } from '../../lib/exit-codes.js';
import { createRenderer, type Renderer } from '../render.js';
import { proseLines, widthOf } from '../wrap.js';
import { allowWords } from '../../lib/member-words.js';
import { planWords } from '../plan-words.js';
import { onInterrupt, type Interrupt } from '../interrupt.js';
import type { InitResult, InitStageResult } from '../../core/init.js';
import { interruptedText } from '../progress.js';
import type { Guided } from '../wizard/wizard.js';
import type { PlanItem } from '../../core/stage.js';
import type { InitFlags, Prompt } from '../../inputs/resolve.js';

/** init's flags: the inputs (resolve.ts owns their list) and how this run behaves. */
export interface InitCommandOptions extends InitFlags {
  state?: string;
  yes?: boolean;
  json?: boolean;
  dryRun?: boolean;
  verify?: number | true;
  setup?: string;
}

export async function initCommand(opts: InitCommandOptions): Promise<void> {
  const interactive = !!process.stdin.isTTY && !!process.stderr.isTTY && !process.env.CI && !opts.yes && !opts.json;
  let guided: Guided | undefined;
  const ui = await createRenderer({ quiet: !!opts.json, planShown: () => !!guided?.planShown() });
  const ctrlC = onInterrupt();
  const prompt: Prompt | undefined = interactive ? promptOn(ctrlC) : undefined;
  if (interactive) {
    // The guided init: the questions come first, then the core runs as with those flags.
    const { guide } = await import('../wizard/wizard.js');
    try {
      guided = await guide(opts, {
        ui,
        ctrlC,
        env: process.env,
        statePath: opts.state,
        columns: () => widthOf(process.stderr),
      });
    } catch (e) {
      ctrlC.dispose();
      // Ctrl-C while the account, project and tenant were being checked: only reads were sent.
      if (ctrlC.interrupted && !(e instanceof UserError))
        throw new UserError('interrupted; nothing was changed. Run iap-auth0 init again when ready.', EXIT.INTERRUPTED);
      throw e;
    }
  }
  const result = await runInitCore({ ...opts, ...guided?.flags }, ui, {
    interactive,
    prompt,
    ctrlC,
    confirm: opts.dryRun ? undefined : guided?.confirm,
    guided: !!guided,
  });
  ui.stop();

  if (opts.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } else if (result.declined) {
    ui.line('Nothing was changed. Run iap-auth0 init again when ready.');
  } else if (result.dryRun) {
    // The plan in the same plain words "Apply?" would show, guided or not.
    for (const l of planWords(result.plan, ui.width)) ui.line(l);
    ui.line('Nothing was changed (--dry-run).');
  } else if (result.ok) {
    printDone(ui, result);
    const { check, asked } = await verifyNow(opts, interactive, ui);
    if (check !== undefined) {
      ui.line('');
      const { verifyCommand } = await import('./verify.js');
      await verifyCommand({ wait: check, state: opts.state });
      return;
    }
    // Declined at the question, which said how long IAM takes: only what is next.
    ui.para(
      asked
        ? 'Next: iap-auth0 verify --wait'
        : 'IAM changes take 2 to 7 minutes to reach IAP. Next: iap-auth0 verify --wait',
    );
  } else {
    printNotFinished(ui, result, ctrlC.interrupted);
  }
  process.exitCode = ctrlC.interrupted ? EXIT.INTERRUPTED : result.ok ? EXIT.OK : EXIT.FAILURE;
}

/** Questions on stderr; Ctrl-C at a question interrupts the run, with nothing changed. */
function promptOn(ctrlC: Interrupt): Prompt {
  return async (q) => {
    const { default: input } = await import('@inquirer/input');
    try {
      return await input(
        { message: q.message, default: q.default, validate: q.validate },
        { output: process.stderr, signal: ctrlC.signal },
      );
    } catch (e) {
      if ((e as Error).name === 'ExitPromptError' || (e as Error).name === 'AbortPromptError') {
        ctrlC.interrupt();
        throw new UserError('interrupted; nothing was changed. Run iap-auth0 init again when ready.', EXIT.INTERRUPTED);
      }
      throw e;
    }
  };
}

/** Runs the core with progress drawn on stderr; with --json, a refusal is also a document on stdout. */
async function runInitCore(
  opts: InitCommandOptions,
  ui: Renderer,
  run: {
    interactive: boolean;
    prompt: Prompt | undefined;
    ctrlC: Interrupt;
    confirm?: (plan: PlanItem[]) => Promise<boolean>;
    guided?: boolean;
  },
): Promise<InitResult> {
  const { runInit } = await import('../../core/init.js');
  try {
    return await runInit({
      env: process.env,
      flags: opts,
      statePath: opts.state,
      interactive: run.interactive,
      dryRun: !!opts.dryRun,
      emit: (e) => ui.event(e),
      signal: run.ctrlC.signal,
      prompt: run.prompt,
      ...(run.confirm ? { confirm: run.confirm } : {}),
      guided: run.guided,
    });
  } catch (e) {
    ui.stop();
    if (opts.json && e instanceof UserError) {
      process.stdout.write(
        JSON.stringify(
          {
            ok: false,
            error: { code: e.exitCode === EXIT.USAGE ? 'usage' : 'failure', message: e.message, hint: e.hint },
          },
          null,
          2,
        ) + '\n',
      );
    }
    throw e;
  } finally {
    run.ctrlC.dispose();
  }
}

/** A finished setup: the app's URL, who may sign in and where, and the audience the app should expect. */
function printDone(ui: Renderer, result: InitResult): void {
  const c = ui.color;
  ui.line('');
  ui.para(c.bold('Done.') + ` Your app: ${result.serviceUrl ?? '(URL not known yet)'}`);
  // The --allow values in the plan's words (lib/member-words.ts); the pool is everyone in the tenant.
  const who = result.signIn.map((a) => (a === 'pool' ? 'everyone in your Auth0 tenant' : allowWords(a)));
  ui.para(`Who can sign in: ${who.join(', ')}`);
  if (result.auth0.via !== 'tenant')
    ui.para(
      `They sign in on ${result.auth0.signInDomain} ` +
        `(${result.auth0.via === 'custom-domain' ? 'your Auth0 custom domain' : '--auth0-issuer-domain'}); ` +
        `the Management API is called on ${result.auth0.domain}`,
    );
  ui.para(`Audience your app should expect in x-goog-iap-jwt-assertion: ${result.audience}`);
}

/**
 * The --verify wait, else (on a terminal) asked; `check` undefined = do not verify now. Why to wait is a
 * line of its own, so the question fits 80 columns with its "? " and " (Y/n)".
 */
async function verifyNow(
  opts: InitCommandOptions,
  interactive: boolean,
  ui: Renderer,
): Promise<{ check: number | true | undefined; asked: boolean }> {
  if (opts.verify !== undefined || !interactive) return { check: opts.verify, asked: false };
  const { default: confirm } = await import('@inquirer/confirm');
  ui.line('IAM changes take 2 to 7 minutes to reach IAP.');
  const yes = await confirm(
    { message: 'Verify now, waiting for them (up to 10 minutes)?', default: true },
    { output: process.stderr },
  ).catch(() => false);
  return { check: yes ? true : undefined, asked: true };
}

/** What was done before an interruption, or each failed stage with its hint; then how to resume. */
function printNotFinished(ui: Renderer, result: InitResult, interrupted: boolean): void {
  for (const l of notFinishedLines(result, interrupted, ui.columns)) ui.line(l);
}

/**
 * The words after a run that did not finish. An interrupted stage was not failed: it says what it
 * was doing (or waiting for) when Ctrl-C came, and a stage that did part of its work says what it made.
 * Each line of prose is a line of its own, wrapped at `width` when given (a terminal's).
 */
export function notFinishedLines(result: InitResult, interrupted: boolean, width?: number): string[] {
  const unfinished = result.stages.filter((x) => !x.ok);
  const made = (s: InitStageResult) => (s.made?.length ? [`    made so far: ${s.made.join('; ')}`] : []);
  const lines: string[] = [];
  if (interrupted) {
    const done = result.stages.filter((x) => x.ok).map((x) => x.title);
    lines.push(
      `Done before the interruption: ${done.length ? done.join(', ') : 'nothing'}. ` +
        `Not finished: ${unfinished.map((x) => x.title).join(', ')}.`,
    );
    for (const s of unfinished)
      lines.push(`  ${s.title}: ${interruptedText(s.interrupted ? s.during : undefined)}`, ...made(s));
  } else {
    for (const s of unfinished) lines.push(`${s.title}: ${s.error}${s.hint ? `\n  hint: ${s.hint}` : ''}`, ...made(s));
  }
  lines.push(
    interrupted
      ? 'Interrupted. Run iap-auth0 init again to resume where it stopped.'
      : 'Some stages failed. Fix the cause above and run iap-auth0 init again: it resumes where it stopped.',
  );
  // On a terminal (`width`), each at word boundaries, its continuation under its text (wrap.ts).
  return proseLines(lines.join('\n'), width);
}
