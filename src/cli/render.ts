// Rendering core events for people: a spinner on a terminal, plain lines otherwise (CI logs,
// pipes). Always on stderr, so stdout stays free for --json. Colours from ansi.ts.
import { paint, type Paint } from './ansi.js';
import type { CoreEvent } from '../core/events.js';
import type { PlanItem } from '../core/stage.js';
import type { CheckResult } from '../core/check.js';
import { STAGE_TITLES, type StageId } from '../state/names.js';

export interface Renderer {
  event(e: CoreEvent): void;
  line(text: string): void;
  stop(): void;
  color: Paint;
}

/** The plan as lines: one per change apply will make (or not), with why, and the fields or members it touches. */
export function planLines(items: PlanItem[]): string[] {
  return [
    'Plan:',
    ...items.map((p) => {
      const what = p.fields?.length
        ? ` [${p.fields.join(', ')}]`
        : p.members?.length
          ? ` [${p.members.join(', ')}]`
          : '';
      const when = p.awaits ? ` (with ${p.awaits}${p.conditional ? ', if it allows' : ''})` : '';
      return `  ${p.action.padEnd(8)} ${p.resource} (${p.reason})${what}${when}`;
    }),
  ];
}

/** verify's results: one line per check, its hint under each one that did not pass. */
export function checkLines(checks: CheckResult[], color: Paint): string[] {
  const mark = { ok: color.green('✓'), failed: color.red('✗'), propagating: color.yellow('…') };
  const width = Math.max(...checks.map((c) => c.title.length));
  return checks.flatMap((c) => [
    `${mark[c.status]} ${c.title.padEnd(width)}  ${c.status === 'propagating' ? 'still propagating: ' : ''}${c.detail}`,
    ...(c.status !== 'ok' && c.hint ? [`  ${' '.repeat(width)}  ${color.dim(`hint: ${c.hint}`)}`] : []),
  ]);
}

export async function createRenderer(opts: {
  quiet: boolean;
  stream?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
}): Promise<Renderer> {
  const stream = opts.stream ?? process.stderr;
  const env = opts.env ?? process.env;
  // A spinner needs a real terminal with a width: a pty without a size (script(1), some CI
  // runners) reports 0 columns, and redrawing there never ends.
  const tty = !!stream.isTTY && !env.CI && (stream.columns ?? 0) > 0;
  const color = paint(tty && !env.NO_COLOR);
  if (opts.quiet) return { event: () => undefined, line: () => undefined, stop: () => undefined, color };
  const write = (s: string) => stream.write(s + '\n');
  const ok = color.green('✓'),
    bad = color.red('✗');
  if (!tty) {
    return {
      color,
      stop: () => undefined,
      line: write,
      event: (e) => {
        if (e.type === 'plan') planLines(e.items).forEach(write);
        else if (e.type === 'step') write(`  ${STAGE_TITLES[e.stage]}: ${e.text}`);
        else if (e.type === 'stage-done') write(`${ok} ${STAGE_TITLES[e.stage]}: ${e.summary}`);
        else if (e.type === 'stage-failed') write(`${bad} ${STAGE_TITLES[e.stage]}: ${e.error}`);
        else if (e.type === 'retry') write(`  ${color.dim(`retrying: ${e.text}`)}`);
        else if (e.type === 'warning') write(`${color.yellow('!')} ${e.text}`);
      },
    };
  }
  const { default: ora } = await import('ora');
  // Started at the first event, after any prompts: a spinner repainting over a prompt garbles both.
  // discardStdin off: ora's default puts the terminal in raw mode to swallow keystrokes, and
  // Ctrl-C then never becomes SIGINT: init and destroy could not be stopped while they ran.
  const spinner = ora({ stream, text: 'starting', discardStdin: false });
  const start = () => {
    if (!spinner.isSpinning) spinner.start();
  };
  const running = new Map<StageId, string>();
  const refresh = () => {
    spinner.text = [...running].map(([s, t]) => `${STAGE_TITLES[s]}: ${t}`).join('  |  ') || 'finishing';
  };
  const persist = (text: string) => {
    if (!spinner.isSpinning) return write(text);
    spinner.clear();
    write(text);
    spinner.render();
  };
  return {
    color,
    line: persist,
    stop: () => spinner.stop(),
    event: (e) => {
      if (e.type === 'plan') {
        planLines(e.items).forEach(write);
        return;
      }
      if (e.type === 'warning') {
        persist(`${color.yellow('!')} ${e.text}`);
        return;
      }
      start();
      if (e.type === 'stage-start') running.set(e.stage, 'checking');
      else if (e.type === 'step') running.set(e.stage, e.text);
      else if (e.type === 'waiting') running.set(e.stage, `${e.text} (${Math.round(e.elapsedMs / 1000)} s)`);
      else if (e.type === 'stage-done') {
        running.delete(e.stage);
        persist(`${ok} ${STAGE_TITLES[e.stage]}: ${e.summary}`);
      } else if (e.type === 'stage-failed') {
        running.delete(e.stage);
        persist(`${bad} ${STAGE_TITLES[e.stage]}: ${e.error}`);
      }
      refresh();
    },
  };
}
