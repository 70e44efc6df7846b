// Progress as people read it: one line per stage, each with its own state (waiting for another
// stage, working on a step, done, failed, interrupted, blocked by another stage's failure). Pure:
// the renderer (render.ts) feeds it events and draws its lines, in place on a terminal; tests read
// the lines directly.
import type { CoreEvent } from '../core/events.js';
import { STAGES, STAGE_TITLES, type StageId } from '../state/names.js';
import { formatDuration } from '../lib/duration.js';

/** `blocked`: stopped because a stage it waited for failed; not failed itself (status: "not finished"). */
export type StageProgressState = 'waiting' | 'working' | 'done' | 'failed' | 'interrupted' | 'blocked';

export interface StageProgress {
  state: StageProgressState;
  /** What the line says after the title: the step, the wait, the summary or the error. */
  text: string;
  /** A long wait's start (the event's clock): the line shows how long it has lasted. */
  waitStartedAt?: number;
  /** It took a step of its own (a blocked stage that did is "not finished", else "not started"). */
  worked?: boolean;
}

/** Every stage seen so far, by id. */
export type Progress = Map<StageId, StageProgress>;

/** Applies one event; returns whether a stage's line changed. `now` is when it arrived (ms). */
export function advance(p: Progress, e: CoreEvent, now: number): boolean {
  if (!('stage' in e) || !e.stage) return false;
  const s = e.stage;
  const worked = p.get(s)?.worked;
  if (e.type === 'stage-start') p.set(s, { state: 'working', text: 'checking' });
  else if (e.type === 'stage-waiting')
    p.set(s, { state: 'waiting', text: `waiting for ${STAGE_TITLES[e.for]}`, worked });
  else if (e.type === 'step') p.set(s, { state: 'working', text: e.text, worked: true });
  else if (e.type === 'waiting')
    p.set(s, { state: 'working', text: e.text, waitStartedAt: now - e.elapsedMs, worked: true });
  else if (e.type === 'stage-done') p.set(s, { state: 'done', text: e.summary });
  else if (e.type === 'stage-failed') p.set(s, failedProgress(e, worked));
  else return false;
  return true;
}

/** A stage that stopped: interrupted (what it was doing), blocked (by which stage), or failed (why). */
function failedProgress(e: Extract<CoreEvent, { type: 'stage-failed' }>, worked?: boolean): StageProgress {
  if (e.interrupted) return { state: 'interrupted', text: interruptedText(e.during) };
  if (e.blockedBy) return { state: 'blocked', text: blockedText(e.blockedBy, worked) };
  return { state: 'failed', text: e.error };
}

/** A stage stopped by another's failure, in the words status uses: not failed, not finished. */
export const blockedText = (by: StageId, worked?: boolean) =>
  `${worked ? 'not finished' : 'not started'}: waiting for ${STAGE_TITLES[by]}, which failed`;

export const interruptedText = (during?: string) => (during ? `interrupted while ${during}` : 'interrupted');

const MARK: Record<StageProgressState, string> = {
  waiting: '·',
  working: '…',
  done: '✓',
  failed: '✗',
  interrupted: '-',
  blocked: '○',
};

/** Whole seconds under a minute (a line redrawn every second must not flicker tenths). */
const waited = (ms: number) => (ms < 60_000 ? `${Math.floor(ms / 1000)} s` : formatDuration(ms));

/** One stage's line: its mark, title and text, with how long a long wait has lasted. */
export function stageLine(id: StageId, s: StageProgress, now: number): { mark: string; text: string } {
  const elapsed = s.waitStartedAt !== undefined && s.state === 'working' ? now - s.waitStartedAt : undefined;
  const since = elapsed !== undefined && elapsed >= 1000 ? ` (${waited(elapsed)} so far)` : '';
  return { mark: MARK[s.state], text: `${STAGE_TITLES[id]}: ${s.text}${since}` };
}

/** Cuts `text` to `width` columns, marking the cut with "…"; never wraps on a terminal that wide. */
export function truncate(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  return width <= 1 ? chars.slice(0, width).join('') : chars.slice(0, width - 1).join('') + '…';
}

/**
 * The block a terminal shows: one line per stage seen, in stage order, each cut to `width` (the
 * mark and a space included), so a redraw knows exactly how many lines it covers.
 */
export function progressLines(p: Progress, now: number, width?: number): { mark: string; text: string }[] {
  return STAGES.filter((id) => p.has(id)).map((id) => {
    const l = stageLine(id, p.get(id)!, now);
    return width === undefined ? l : { mark: l.mark, text: truncate(l.text, Math.max(1, width - 2)) };
  });
}

/**
 * A wait that belongs to no stage (verify --wait for propagation): what is awaited, since when,
 * when the next check is, and (optionally) how long it may last. Times are the renderer's clock (ms).
 */
export interface WaitState {
  /** What the awaited items are doing, said before them: "propagating". */
  label: string;
  /** The items still awaited (the checks not yet passing). */
  pending: string[];
  startedAt: number;
  nextAt: number;
  budgetMs?: number;
}

/** Whole minutes as "10 min", anything else as waited() says it. */
const span = (ms: number) => (ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : waited(ms));

/**
 * The wait's line: what is awaited, how long it has waited (of how long at most), when it checks
 * again. Cut to `width`, the list of what is awaited gives way first, so the times always show.
 */
export function waitLine(w: WaitState, now: number, width?: number): string {
  const left = w.nextAt - now;
  const next = left >= 1000 ? `next check in ${Math.ceil(left / 1000)} s` : 'checking again now';
  const of = w.budgetMs ? ` of ${span(w.budgetMs)}` : '';
  const head = `${w.label}: `;
  const list = w.pending.join(', ');
  const times = ` (waited ${waited(Math.max(0, now - w.startedAt))}${of}; ${next})`;
  const whole = head + list + times;
  if (width === undefined || [...whole].length <= width) return whole;
  const room = width - [...head].length - [...times].length;
  return room >= 2 ? head + truncate(list, room) + times : truncate(whole, width);
}
