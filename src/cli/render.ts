// Rendering core events for people: one line per stage, redrawn in place on a terminal, plain
// lines otherwise (CI logs, pipes). Always on stderr, so stdout stays free for --json. Colours from
// ansi.ts; the lines themselves from progress.ts.
import { paint, type Paint } from './ansi.js';
import type { CoreEvent } from '../core/events.js';
import type { CheckResult } from '../core/check.js';
import type { StageId } from '../state/names.js';
import { advance, progressLines, stageLine, waitLine, type Progress, type WaitState } from './progress.js';
import { widthOf, wrap } from './wrap.js';
import { planWords } from './plan-words.js';

export interface Renderer {
  event(e: CoreEvent): void;
  line(text: string): void;
  /** A line of prose: on a terminal, wrapped at word boundaries (`first` before it, `indent` on the lines after). */
  para(text: string, indent?: string, first?: string): void;
  stop(): void;
  /**
   * A wait that is no stage's (verify --wait): on a terminal one line under the stages, redrawn in
   * place with its time moving; elsewhere a line when it starts, then at most one every 30 s.
   * Called again at each check (new pending list, next check); undefined ends it (its line goes).
   */
  wait(w: WaitState | undefined): void;
  color: Paint;
  /** The terminal's width when lines are drawn on one (in place); undefined for plain lines. */
  columns?: number;
  /** The width a plan is wrapped at: the terminal's, or PIPE_WIDTH off a terminal (wrap.ts). */
  readonly width: number;
}

/**
 * verify's results: one line per check, its hint under each one that did not pass. With `columns`
 * (a terminal), long details wrap at word boundaries under the detail column instead of at the edge.
 */
export function checkLines(checks: CheckResult[], color: Paint, columns?: number): string[] {
  const mark = { ok: color.green('✓'), failed: color.red('✗'), propagating: color.yellow('…') };
  const width = Math.max(...checks.map((c) => c.title.length));
  const under = ' '.repeat(width + 4);
  const lines = (text: string, first: string) => (columns ? wrap(text, columns, first, under) : [first + text]);
  return checks.flatMap((c) => [
    ...lines(
      `${c.status === 'propagating' ? 'still propagating: ' : ''}${c.detail}`,
      `${mark[c.status]} ${c.title.padEnd(width)}  `,
    ),
    ...(c.status !== 'ok' && c.hint ? lines(`hint: ${c.hint}`, under).map((l) => color.dim(l)) : []),
  ]);
}

export async function createRenderer(opts: {
  quiet: boolean;
  stream?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
  /** The plan was already shown (init asked "Apply?" under it): the core's plan event is not printed again. */
  planShown?: () => boolean;
}): Promise<Renderer> {
  const stream = opts.stream ?? process.stderr;
  const env = opts.env ?? process.env;
  // Lines redrawn in place need a real terminal with a width: a pty without a size (script(1),
  // some CI runners) reports 0 columns, and redrawing there never ends.
  const tty = !!stream.isTTY && !env.CI && (stream.columns ?? 0) > 0;
  const color = paint(tty && !env.NO_COLOR);
  const nothing = () => undefined;
  if (opts.quiet)
    return {
      event: nothing,
      line: nothing,
      para: nothing,
      stop: nothing,
      wait: nothing,
      color,
      width: widthOf(stream),
    };
  const write = (s: string) => stream.write(s + '\n');
  // The plan before apply, in the words the guided init shows (plan-words.ts), unless it showed it.
  const showPlan = (e: CoreEvent) => {
    if (e.type === 'plan' && !opts.planShown?.()) planWords(e.items, widthOf(stream)).forEach(write);
  };
  return tty ? inPlace(stream, color, write, showPlan) : plainLines(color, write, showPlan, widthOf(stream));
}

/** Cursor up one line, then erase that whole line. */
export const ERASE_LINE_ABOVE = '\x1b[1A\x1b[2K';

const MARK_COLOR: Record<string, keyof Paint> = { '✓': 'green', '✗': 'red', '-': 'yellow', '○': 'yellow' };
const paintMark = (color: Paint, mark: string) => (MARK_COLOR[mark] ? color[MARK_COLOR[mark]](mark) : mark);

/**
 * Off a terminal a long wait is said when it starts, then once in each 30 s, not at every poll: whether
 * `elapsedMs` into the wait `key` (a stage's, or verify's) opens a 30 s not said yet (and marks it said).
 */
function newPeriod<K>(told: Map<K, number>, key: K, elapsedMs: number): boolean {
  const period = Math.floor(elapsedMs / 30_000);
  if (told.get(key) === period) return false;
  told.set(key, period);
  return true;
}

/** Elsewhere (CI logs, pipes): each change of a stage's state as a line of its own, never redrawn. */
function plainLines(
  color: Paint,
  write: (s: string) => void,
  showPlan: (e: CoreEvent) => void,
  width: number,
): Renderer {
  const progress: Progress = new Map();
  // Which 30 s of each long wait was said last (newPeriod): a stage's, or verify's ('verify').
  const told = new Map<StageId | 'verify', number>();
  return {
    color,
    width,
    stop: () => undefined,
    // The same rule as a stage's long wait: said when it starts, then once in each 30 s.
    wait: (w) => {
      const now = Date.now();
      if (!w) told.delete('verify');
      else if (newPeriod(told, 'verify', now - w.startedAt)) write(`${color.yellow('…')} ${waitLine(w, now)}`);
    },
    line: write,
    para: (text, _indent, first = '') => write(first + text),
    event: (e) => {
      showPlan(e);
      if (e.type === 'retry') return write(`  ${color.dim(`retrying: ${e.text}`)}`);
      if (e.type === 'warning') return write(`${color.yellow('!')} ${e.text}`);
      if (e.type === 'stage-start' || !advance(progress, e, Date.now())) return;
      if (e.type === 'waiting' && !newPeriod(told, e.stage, e.elapsedMs)) return;
      const id = (e as { stage: StageId }).stage; // advance() took it: a stage's event
      const l = stageLine(id, progress.get(id)!, Date.now());
      write(`${paintMark(color, l.mark === '…' || l.mark === '·' ? ' ' : l.mark)} ${l.text}`);
    },
  };
}

/**
 * On a terminal: a block of one line per stage, redrawn in place (each line erased, then written again),
 * each line cut to the terminal's width so that it never wraps and the block's height is known.
 * Lines that stay (warnings, retries) are written above the block. Only writes: stdin is never
 * touched, so Ctrl-C stays a signal (a spinner library that swallows keystrokes in raw mode once
 * made init and destroy impossible to stop).
 */
function inPlace(
  stream: NodeJS.WriteStream,
  color: Paint,
  write: (s: string) => void,
  showPlan: (e: CoreEvent) => void,
): Renderer {
  const progress: Progress = new Map();
  let waiting: WaitState | undefined;
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  // Each drawn line is erased on its own (up one, erase the line), as log-update does, never "erase to the end
  // of the screen": from the screen's top-left corner that is a whole-screen clear, which tmux (and terminals
  // like it) first copies into the scrollback, one copy per redraw.
  const clear = () => {
    if (drawn) stream.write(`${ERASE_LINE_ABOVE.repeat(drawn)}\r`);
    drawn = 0;
  };
  const draw = (full = false) => {
    clear();
    const lines = progressLines(progress, Date.now(), full ? undefined : stream.columns);
    // The last picture is whole, wrapped at word boundaries: nothing is redrawn over it.
    if (full) for (const l of lines) wrap(l.text, stream.columns, `${paintMark(color, l.mark)} `).forEach(write);
    else for (const l of lines) write(`${paintMark(color, l.mark)} ${l.text}`);
    // The wait's line is never final: stop() leaves it out, and it is cut to the width like the others.
    const w = waiting && !full ? [waitLine(waiting, Date.now(), Math.max(1, stream.columns - 2))] : [];
    for (const l of w) write(`${color.yellow('…')} ${l}`);
    drawn = full ? 0 : lines.length + w.length;
  };
  let stopped = false;
  const above = (text: string) => {
    if (stopped) return write(text); // the block is final: lines after it (the summary) just follow
    clear();
    write(text);
    draw();
  };
  return {
    color,
    get columns() {
      return stream.columns;
    },
    get width() {
      return widthOf(stream);
    },
    line: above,
    para: (text, indent = '  ', first = '') => {
      for (const l of wrap(text, stream.columns, first, indent)) above(l);
    },
    wait: (w) => {
      if (stopped) return;
      waiting = w;
      if (w) timer ??= setInterval(() => draw(), 1000).unref();
      draw();
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      waiting = undefined; // the last picture (below) is the stages' alone: a wait's line is gone
      if (timer) clearInterval(timer);
      timer = undefined;
      // The last picture in full: nothing is redrawn after it, so a long summary may wrap now.
      if (drawn) draw(true);
    },
    event: (e) => {
      showPlan(e);
      if (e.type === 'warning') return above(`${color.yellow('!')} ${e.text}`);
      if (e.type === 'retry') return above(`  ${color.dim(`retrying: ${e.text}`)}`);
      if (stopped || !advance(progress, e, Date.now())) return;
      // Once a second, so that a long wait's time moves; unref'd: it never keeps the process alive.
      timer ??= setInterval(() => draw(), 1000).unref();
      draw();
    },
  };
}
