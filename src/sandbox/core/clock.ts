// Sandbox time. Real time plus an offset that the inspection API can advance, so a test can
// jump past the 30-day soft-delete window, a propagation delay or a long operation without waiting.
export class Clock {
  private offsetMs = 0;
  private readonly advanced: (() => void)[] = [];
  now(): number {
    return Date.now() + this.offsetMs;
  }
  iso(at = this.now()): string {
    return new Date(at).toISOString();
  }
  advance(ms: number): void {
    this.offsetMs += ms;
    for (const f of this.advanced) f();
  }
  /** Runs `f` after each move, for what ends on a timer (operations) and must also end when time jumps past it. */
  onAdvance(f: () => void): void {
    this.advanced.push(f);
  }
}

export { parseDuration } from '../../lib/duration.js';

export const DAY_MS = 86_400_000;
export const SOFT_DELETE_MS = 30 * DAY_MS;
