// Runs one post-login Action's code in isolation: a worker thread per run (actions-worker.ts),
// holding a fresh node:vm context (no `require`, no `process`, no timers, nothing of the sandbox)
// in which the code is loaded as a CommonJS module (`exports.onExecutePostLogin = async (event,
// api) => {…}`) and called with the event and the api subset iap-auth0 uses
// (api.idToken/accessToken.setCustomClaim, api.access.deny).
//
// Nothing of the host crosses into the context: the event goes in as JSON text and is parsed
// there, and `api` and `console` are written in the context's own code, so no host function (and
// through its constructor, the host's `process`) is reachable. What the Action did comes back as
// JSON text, serialized inside the context. The thread is ended when the time is up, which stops
// a loop and a promise that never settles alike (vm's own `timeout` with microtaskMode
// 'afterEvaluate' would cover awaits too, but Node 20 aborts the process when that timeout fires
// inside an HTTP request's async scope). node:vm is not a security boundary against hostile code;
// it keeps the sandbox's state out of reach of the Actions a test installs, which is its purpose.
import { Worker } from 'node:worker_threads';

export interface ActionRun {
  state: 'ok' | 'error' | 'timeout';
  /** How long the Action ran (from its thread being ready to its end), in ms. */
  ranMs: number;
  /** The thrown error's message (state 'error'). */
  message?: string;
  /** The reason given to api.access.deny, if it was called. */
  denied?: string;
  /** setCustomClaim calls in order: [name, JSON text of the value, or null for undefined]. */
  idTokenClaims: [string, string | null][];
  accessTokenClaims: [string, string | null][];
  logs: string[];
}

/** The code run in the context around the Action; `__EVENT__` and `__CODE__` are JSON string literals. */
const DRIVER = `(function () {
  const stringify = JSON.stringify, parse = JSON.parse, S = String;
  const done = { state: 'pending', json: '', message: '' };
  const record = { denied: null, id: [], access: [], logs: [] };
  const claim = (list) => function setCustomClaim(name, value) {
    list.push([S(name), value === undefined ? null : stringify(value)]);
    return api;
  };
  const api = {
    access: { deny(reason) { if (record.denied === null) record.denied = S(reason); return api; } },
    idToken: { setCustomClaim: claim(record.id) },
    accessToken: { setCustomClaim: claim(record.access) },
  };
  const show = (v) => { if (typeof v === 'string') return v; try { return stringify(v); } catch { return S(v); } };
  const log = (...a) => { record.logs.push(a.map(show).join(' ')); };
  const console = { log, info: log, warn: log, error: log, debug: log };
  const event = parse(__EVENT__);
  const module = { exports: {} };
  const load = new Function('exports', 'module', 'console', __CODE__);
  Promise.resolve()
    .then(() => {
      load(module.exports, module, console);
      const handler = module.exports && module.exports.onExecutePostLogin;
      if (typeof handler === 'function') return handler(event, api);
    })
    .then(
      () => { done.json = stringify(record); done.state = 'ok'; },
      (e) => {
        done.message = S(e !== null && typeof e === 'object' && 'message' in e ? e.message : e);
        done.json = stringify(record);
        done.state = 'error';
      },
    );
  return done;
})()`;

/** The record's lists, keeping only well-formed entries (an Action may have changed JSON's behaviour). */
const pairs = (v: unknown): [string, string | null][] =>
  Array.isArray(v)
    ? v.filter((p) => Array.isArray(p) && typeof p[0] === 'string' && (typeof p[1] === 'string' || p[1] === null))
    : [];
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []);

function outcome(state: ActionRun['state'], ranMs: number, json: unknown, message?: string): ActionRun {
  let r: any;
  try {
    r = typeof json === 'string' && json ? JSON.parse(json) : undefined;
  } catch {
    r = undefined;
  }
  return {
    state,
    ranMs,
    ...(message !== undefined ? { message } : {}),
    ...(typeof r?.denied === 'string' ? { denied: r.denied } : {}),
    idTokenClaims: pairs(r?.id),
    accessTokenClaims: pairs(r?.access),
    logs: strings(r?.logs),
  };
}

/** How long a thread may take to start before its run is given up (a hang guard, not the Action's limit). */
const START_GUARD_MS = 60_000;

/**
 * Runs `code`'s onExecutePostLogin with `event`, for at most `timeoutMs` of real time counted from
 * the moment the thread is ready to run it.
 */
export function runPostLoginAction(code: string, event: unknown, timeoutMs: number): Promise<ActionRun> {
  // One pass, so that text in the event or the code is never taken for the other placeholder.
  const literals: Record<string, string> = {
    __EVENT__: JSON.stringify(JSON.stringify(event)),
    __CODE__: JSON.stringify(code),
  };
  const source = DRIVER.replace(/__EVENT__|__CODE__/g, (k) => literals[k]);
  const worker = new Worker(new URL('./actions-worker.js', import.meta.url), {
    workerData: { source },
    env: {},
    resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
  });
  return new Promise((resolve) => {
    let settled = false;
    let startedAt: number | undefined;
    const finish = (state: ActionRun['state'], json?: unknown, message?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(outcome(state, startedAt === undefined ? 0 : Date.now() - startedAt, json, message));
    };
    let timer = setTimeout(() => finish('timeout'), START_GUARD_MS);
    worker.on('message', (m: { type: string; state?: string; json?: unknown; message?: unknown }) => {
      if (m.type === 'start') {
        startedAt = Date.now();
        clearTimeout(timer);
        timer = setTimeout(() => finish('timeout'), Math.max(1, timeoutMs));
      } else if (m.state === 'ok' || m.state === 'error') {
        finish(m.state, m.json, m.state === 'error' && typeof m.message === 'string' ? m.message : undefined);
      }
    });
    // Out of memory, or the thread died: the Action failed.
    worker.on('error', (e) => finish('error', undefined, e.message));
    worker.on('exit', () => finish('error', undefined, 'The Action stopped unexpectedly.'));
  });
}
