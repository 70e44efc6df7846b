// Waiting in tests: on a condition that can be observed, polled until it holds, with a deadline
// generous enough that only a real hang reaches it (a loaded 2-core machine must not). Never a
// fixed sleep that hopes something happened meanwhile.

/** Resolves once `cond` holds; fails naming `what` if it has not after `timeoutMs`. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; !(await cond()); delay = Math.min(delay * 2, 100)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/**
 * An elapsed time as the CLI prints it (src/lib/duration.ts formatDuration): "3.2 s" under 10 s,
 * "42 s" under a minute, "1 min 05 s" beyond. A test matching only one of these forms fails
 * whenever a loaded machine makes the run slower.
 */
export const DURATION = String.raw`(?:\d+(?:\.\d)? s|\d+ min \d{2} s)`;
