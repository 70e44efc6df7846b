// The thread one Action runs in (actions-runner.ts starts it): a fresh node:vm context holding
// nothing of the host, the driver script evaluated in it, then the driver's `done` object watched
// until the Action's promise settles. The host ends the thread when the time is up, so neither an
// endless loop nor a promise that never settles can hold the sandbox.
import { parentPort, workerData } from 'node:worker_threads';
import vm from 'node:vm';

const port = parentPort!;
const context = vm.createContext(Object.create(null), {
  name: 'auth0-action',
  codeGeneration: { strings: true, wasm: false },
});
port.postMessage({ type: 'start' });
let done: any;
try {
  done = vm.runInContext(String(workerData.source), context, { filename: 'action.js' });
} catch (e) {
  // Only the driver can throw here (the Action's own code runs in a promise job): a compile error.
  port.postMessage({ type: 'end', state: 'error', message: String((e as Error)?.message) });
  setInterval(() => {}, 60_000);
}
// Own data properties of the driver's object, set by the driver's code: reading them runs no Action code.
const watch = () => {
  const state = done.state;
  if (state !== 'ok' && state !== 'error') return void setImmediate(watch);
  port.postMessage({ type: 'end', state, json: done.json, message: done.message });
  // Stays until the host ends it, so the thread's exit never overtakes this message.
  setInterval(() => {}, 60_000);
};
if (done) setImmediate(watch);
