// Progress events from the core. The core never prints: commands render these (spinners on a TTY,
// plain lines otherwise, nothing but the final document with --json).
import type { StageId } from '../state/schema.js';
import type { PlanItem } from './stage.js';

export type CoreEvent =
  | { type: 'plan'; items: PlanItem[] }
  | { type: 'stage-start'; stage: StageId }
  | { type: 'step'; stage: StageId; text: string }
  | { type: 'stage-done'; stage: StageId; summary: string }
  | { type: 'stage-failed'; stage: StageId; error: string }
  | { type: 'retry'; stage?: StageId; text: string }
  | { type: 'waiting'; stage: StageId; text: string; elapsedMs: number }
  /** Something the user should know that stops nothing (e.g. a scope only verify needs is missing). */
  | { type: 'warning'; text: string };

export type EventSink = (e: CoreEvent) => void;
