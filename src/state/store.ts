// Reading and writing the state file safely: validated on read (a corrupt, foreign or newer file
// is reported and left alone), written atomically (temp file + rename) with mode 0600 in a 0700
// folder that carries its own .gitignore, and guarded by a lock so two runs cannot interleave.
import { access, chmod, constants, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { STATE_VERSION, StateFile, type State } from './schema.js';

export class StateError extends Error {
  constructor(message: string, readonly hint: string, readonly code: 'corrupt' | 'newer' | 'foreign' | 'unreadable' | 'unwritable' | 'locked') {
    super(message);
  }
}

export { DEFAULT_STATE_PATH } from './names.js';

/** Reads and validates the state file; undefined when there is none yet. */
export async function readState(file: string): Promise<State | undefined> {
  let raw: string;
  try { raw = await readFile(file, 'utf8'); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new StateError(`cannot read the state file ${file} (${code}).`, 'check its permissions, or pass --state with another path', 'unreadable');
  }
  let json: unknown;
  try { json = JSON.parse(raw); } catch {
    throw new StateError(`the state file ${file} is not valid JSON (corrupt or truncated); it was left untouched.`,
      'restore it from a backup, or move it away to start over (resources already created are adopted by their ids)', 'corrupt');
  }
  const obj = json as Record<string, unknown>;
  if (obj?.tool !== 'iap-auth0') {
    throw new StateError(`${file} is not an iap-auth0 state file; it was left untouched.`, 'pass --state with the path of an iap-auth0 state file', 'foreign');
  }
  if (typeof obj.version === 'number' && obj.version > STATE_VERSION) {
    throw new StateError(`the state file ${file} was written by a newer iap-auth0 (state version ${obj.version}, this one knows ${STATE_VERSION}); it was left untouched.`,
      'upgrade iap-auth0 (npx iap-auth0@latest)', 'newer');
  }
  const parsed = StateFile.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new StateError(`the state file ${file} is damaged: ${first.path.join('.') || '(top level)'}: ${first.message}; it was left untouched.`,
      'restore it from a backup, or move it away to start over', 'corrupt');
  }
  return parsed.data;
}

/**
 * Refuses, before anything is changed anywhere, a state file that could not be updated: a file
 * someone made read-only (the atomic rename would silently replace it) or an unwritable folder.
 */
export async function assertWritable(file: string): Promise<void> {
  const existing = await stat(file).catch(() => undefined);
  let dir = path.dirname(path.resolve(file));
  // The nearest folder that exists is the one the state folder would be created in.
  while (!(await stat(dir).catch(() => undefined))) dir = path.dirname(dir);
  try {
    if (existing) await access(file, constants.W_OK);
    await access(dir, constants.W_OK);
  } catch (e) {
    throw new StateError(`the state file ${file} cannot be updated (${(e as NodeJS.ErrnoException).code} on ${existing ? file : dir}); nothing was changed.`,
      existing ? `make it writable (chmod u+w ${file}) or pass --state with a writable path` : 'pass --state with a path in a writable folder', 'unwritable');
  }
}

/** Creates the state folder (0700) with a .gitignore so the state is never committed by accident. */
async function ensureFolder(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700).catch(() => undefined);
  const ignore = path.join(dir, '.gitignore');
  await writeFile(ignore, '*\n', { flag: 'wx', mode: 0o600 }).catch((e) => { if (e.code !== 'EEXIST') throw e; });
}

/** Atomic write: a crash leaves either the old file or the new one, never half of one. */
export async function writeState(file: string, state: State): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  try {
    await ensureFolder(dir);
    const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
    const text = JSON.stringify({ ...state, updatedAt: new Date().toISOString() }, null, 2) + '\n';
    const fh = await open(tmp, 'w', 0o600);
    try { await fh.writeFile(text); await fh.sync(); } finally { await fh.close(); }
    await rename(tmp, file);
  } catch (e) {
    if (e instanceof StateError) throw e;
    throw new StateError(`cannot write the state file ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`,
      'make its folder writable, or pass --state with a writable path', 'unwritable');
  }
}

export interface LockInfo { pid: number; host: string; startedAt: string; command: string }

/**
 * Takes the lock beside the state file. A second run stops at once, naming the holder; a lock
 * left by a process that no longer exists (same host) is taken over.
 */
export async function acquireLock(file: string, command: string): Promise<() => Promise<void>> {
  const lock = `${file}.lock`;
  await ensureFolder(path.dirname(path.resolve(file)));
  const info: LockInfo = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), command };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lock, JSON.stringify(info), { flag: 'wx', mode: 0o600 });
      return async () => { await rm(lock, { force: true }); };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = await readLock(lock);
      if (holder && holder.host === os.hostname() && !alive(holder.pid)) {
        await rm(lock, { force: true });
        continue;
      }
      throw new StateError(
        `another iap-auth0 run holds the lock ${lock}` + (holder ? ` (${holder.command}, pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}).` : '.'),
        `wait for it to finish; if that process is gone, delete ${lock}`, 'locked');
    }
  }
  throw new StateError(`could not take the lock ${lock}.`, `delete ${lock} if no iap-auth0 is running`, 'locked');
}

async function readLock(lock: string): Promise<LockInfo | undefined> {
  try { return JSON.parse(await readFile(lock, 'utf8')) as LockInfo; } catch { return undefined; }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

export async function fileMode(file: string): Promise<number> { return (await stat(file)).mode & 0o777; }
