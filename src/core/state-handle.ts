// The state of one run, shared by concurrently running stages. Every change is applied to the
// in-memory copy and written through at once (atomic rename); writes are chained so they never
// interleave, and a stage never has to think about the file.
import { writeState } from '../state/store.js';
import type { State, StageId, StageState } from '../state/schema.js';

export class StateHandle {
  private chain: Promise<void> = Promise.resolve();
  constructor(
    readonly file: string,
    private state: State,
    private readonly persist = true,
  ) {}

  get current(): State {
    return this.state;
  }

  stage(id: StageId): StageState {
    return this.state.stages[id] ?? { status: 'pending', operations: {}, resources: {} };
  }

  /** Applies `change` and persists; resolves once this change (and every earlier one) is on disk. */
  update(change: (s: State) => void): Promise<void> {
    change(this.state);
    if (!this.persist) return Promise.resolve();
    const snapshot = structuredClone(this.state);
    this.chain = this.chain.then(() => writeState(this.file, snapshot));
    return this.chain;
  }

  /** Changes one stage's record. */
  updateStage(id: StageId, change: (st: StageState) => void): Promise<void> {
    return this.update((s) => {
      const st = s.stages[id] ?? { status: 'pending', operations: {}, resources: {} };
      change(st);
      s.stages[id] = st;
    });
  }

  /** Records a resource name or generated id the moment it is known (write-ahead for resume). */
  recordResource(id: StageId, key: string, value: string): Promise<void> {
    return this.updateStage(id, (st) => {
      st.resources[key] = value;
    });
  }
  recordOperation(id: StageId, key: string, name: string | undefined): Promise<void> {
    return this.updateStage(id, (st) => {
      if (name) st.operations[key] = name;
      else delete st.operations[key];
    });
  }
  flush(): Promise<void> {
    return this.chain;
  }
}
