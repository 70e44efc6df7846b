// Sandbox time. Real time plus an offset that the inspection API can advance, so a test can
// jump past the 30-day soft-delete window without waiting.
export class Clock {
  private offsetMs = 0;
  now(): number { return Date.now() + this.offsetMs; }
  iso(at = this.now()): string { return new Date(at).toISOString(); }
  advance(ms: number): void { this.offsetMs += ms; }
}

/** Parses "30d", "1500ms", "2m", "10s", "1h" into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new Error(`invalid duration "${text}": use a number with ms, s, m, h or d (e.g. 90s, 31d)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * unit);
}

export const DAY_MS = 86_400_000;
export const SOFT_DELETE_MS = 30 * DAY_MS;
