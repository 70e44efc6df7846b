// Long-running operations (google.longrunning.Operation). An operation stays done:false for the
// profile's duration; then its completion runs exactly once (on a timer, so the world changes on
// schedule whether or not anyone polls) and the result is kept for later polls. Its end is a time
// on the sandbox clock: moving the clock past it (POST /clock) completes it at once, so a test can
// end a long operation instead of sleeping until its timer.
import { GoogleError } from './errors.js';
import type { Clock } from './clock.js';

export interface OperationResult {
  response?: Record<string, unknown>;
}

export interface StoredOperation {
  name: string;
  /** Which API serves the operation (its operations.get lives there). */
  api: 'serviceusage' | 'iam' | 'run';
  metadata?: Record<string, unknown>;
  doneAt: number;
  done: boolean;
  response?: Record<string, unknown>;
  error?: ReturnType<GoogleError['toOperationError']>;
}

export class Operations {
  private readonly ops = new Map<string, StoredOperation>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** The completion of each operation not yet done, run early if the clock passes its end. */
  private readonly pending = new Map<string, () => void>();
  constructor(private readonly clock: Clock) {
    clock.onAdvance(() => this.catchUp());
  }

  /**
   * Starts an operation. `complete` runs when the duration has passed; it mutates the world and
   * returns the response, or throws a GoogleError that becomes the operation's `error`.
   */
  start(opts: {
    name: string;
    api: StoredOperation['api'];
    durationMs: number;
    metadata?: Record<string, unknown>;
    complete: () => OperationResult | undefined;
  }): StoredOperation {
    const op: StoredOperation = {
      name: opts.name,
      api: opts.api,
      metadata: opts.metadata,
      doneAt: this.clock.now() + opts.durationMs,
      done: false,
    };
    this.ops.set(op.name, op);
    const finish = () => {
      if (op.done) return;
      this.pending.delete(op.name);
      try {
        const result = opts.complete();
        if (result?.response) op.response = result.response;
      } catch (err) {
        if (err instanceof GoogleError) op.error = err.toOperationError();
        else op.error = { code: 13, message: `internal error: ${(err as Error).message}`, details: [] };
      }
      op.done = true;
    };
    if (opts.durationMs <= 0) finish();
    else {
      this.pending.set(op.name, finish);
      const t = setTimeout(() => {
        this.timers.delete(t);
        finish();
      }, opts.durationMs);
      t.unref();
      this.timers.add(t);
    }
    return op;
  }

  /** An operation that is already finished (e.g. serviceusage's noop.DONE_OPERATION). */
  done(
    name: string,
    api: StoredOperation['api'],
    response?: Record<string, unknown>,
    metadata?: Record<string, unknown>,
  ): StoredOperation {
    const op: StoredOperation = { name, api, metadata, doneAt: this.clock.now(), done: true, response };
    this.ops.set(name, op);
    return op;
  }

  get(name: string): StoredOperation | undefined {
    return this.ops.get(name);
  }

  list(): StoredOperation[] {
    return [...this.ops.values()];
  }

  /** Completes every operation whose end the sandbox clock has passed after it was moved forward. */
  private catchUp(): void {
    const now = this.clock.now();
    for (const [name, finish] of [...this.pending]) if (this.ops.get(name)!.doneAt <= now) finish();
  }

  /** The wire form of an operation: `done` and exactly one of response/error once finished. */
  static toJSON(op: StoredOperation): Record<string, unknown> {
    const out: Record<string, unknown> = { name: op.name };
    if (op.metadata) out.metadata = op.metadata;
    if (op.done) {
      out.done = true;
      if (op.error) out.error = op.error;
      else if (op.response) out.response = op.response;
    }
    return out;
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pending.clear();
  }
}
