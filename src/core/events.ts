// Progress events from the core. The core never prints: commands render these (spinners on a TTY,
// plain lines otherwise, nothing but the final document with --json).
import type { StageId } from '../state/schema.js';
import type { PlanItem } from './stage.js';

export type CoreEvent =
  | { type: 'plan'; items: PlanItem[] }
  | { type: 'stage-start'; stage: StageId }
  | { type: 'step'; stage: StageId; text: string }
  | { type: 'stage-done'; stage: StageId; summary: string }
  /** A stage waits for another's output (the run goes on: this is its state until that stage provides it). */
  | { type: 'stage-waiting'; stage: StageId; for: StageId }
  /**
   * Failed, or (`interrupted`) stopped by Ctrl-C: `during` says what it was doing then; or
   * (`blockedBy`) stopped, not failed, because the stage it waited for failed.
   */
  | { type: 'stage-failed'; stage: StageId; error: string; interrupted?: boolean; during?: string; blockedBy?: StageId }
  | { type: 'retry'; stage?: StageId; text: string }
  | { type: 'waiting'; stage: StageId; text: string; elapsedMs: number }
  /** Something the user should know that stops nothing (e.g. a scope only verify needs is missing). */
  | { type: 'warning'; text: string };

export type EventSink = (e: CoreEvent) => void;
