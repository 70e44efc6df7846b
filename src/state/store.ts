// Reading and writing the state file safely: validated on read (a corrupt, foreign or newer file
// is reported and left alone), written atomically (temp file + rename) with mode 0600, and guarded
// by a lock so two runs cannot interleave. A state folder iap-auth0 creates itself is 0700 and
// carries its own .gitignore; a folder that already existed (a git repository, a symlink) is used
// as it is, because it is not ours to restrict or to hide from git.
import { randomBytes } from 'node:crypto';
import {
  access,
  chmod,
  constants,
  lstat,
  mkdir,
  open,
  readFile,
  readdir,
  readlink,
  rename,
  rmdir,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as v from 'valibot';
import { STATE_VERSION, StateSchema, type State } from './schema.js';

export class StateError extends Error {
  constructor(
    message: string,
    readonly hint: string,
    readonly code: 'corrupt' | 'newer' | 'foreign' | 'unreadable' | 'unwritable' | 'symlink' | 'locked',
  ) {
    super(message);
  }
}

export { DEFAULT_STATE_PATH } from './names.js';

/** Reads and validates the state file; undefined when there is none yet. */
export async function readState(file: string): Promise<State | undefined> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new StateError(
      `cannot read the state file ${file} (${code}).`,
      'check its permissions, or pass --state with another path',
      'unreadable',
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new StateError(
      `the state file ${file} is not valid JSON (corrupt or truncated); it was left untouched.`,
      'restore it from a backup, or move it away to start over (resources already created are adopted by their ids)',
      'corrupt',
    );
  }
  const obj = json as Record<string, unknown>;
  if (obj?.tool !== 'iap-auth0') {
    throw new StateError(
      `${file} is not an iap-auth0 state file; it was left untouched.`,
      'pass --state with the path of an iap-auth0 state file',
      'foreign',
    );
  }
  if (typeof obj.version === 'number' && obj.version > STATE_VERSION) {
    throw new StateError(
      `the state file ${file} was written by a newer iap-auth0 (state version ${obj.version}, this one knows ` +
        `${STATE_VERSION}); it was left untouched.`,
      'upgrade iap-auth0 (npx iap-auth0@latest)',
      'newer',
    );
  }
  const parsed = v.safeParse(StateSchema, json);
  if (!parsed.success) {
    const first = parsed.issues[0];
    throw new StateError(
      `the state file ${file} is damaged: ${v.getDotPath(first) || '(top level)'}: ${first.message}; it was ` +
        'left untouched.',
      'restore it from a backup, or move it away to start over',
      'corrupt',
    );
  }
  return parsed.output;
}

/**
 * Refuses, before anything is changed anywhere, a state file that could not be updated: a file
 * someone made read-only (the atomic rename would silently replace it), a symbolic link (the
 * rename would replace the link, not the file it points at) or an unwritable folder.
 */
export async function assertWritable(file: string): Promise<void> {
  await refuseSymlink(file);
  const existing = await stat(file).catch(() => undefined);
  let dir = path.dirname(path.resolve(file));
  // The nearest folder that exists is the one the state folder would be created in.
  while (!(await stat(dir).catch(() => undefined))) dir = path.dirname(dir);
  try {
    if (existing) await access(file, constants.W_OK);
    await access(dir, constants.W_OK);
  } catch (e) {
    throw new StateError(
      `the state file ${file} cannot be updated (${(e as NodeJS.ErrnoException).code} on ` +
        `${existing ? file : dir}); nothing was changed.`,
      existing
        ? `make it writable (chmod u+w ${file}) or pass --state with a writable path`
        : 'pass --state with a path in a writable folder',
      'unwritable',
    );
  }
}

/** A symlinked state file is refused; reading through one (status, verify) stays allowed. */
async function refuseSymlink(file: string): Promise<void> {
  const st = await lstat(file).catch(() => undefined);
  if (!st?.isSymbolicLink()) return;
  const target = await readlink(file).catch(() => '?');
  const real = path.resolve(path.dirname(path.resolve(file)), target);
  throw new StateError(
    `the state file ${file} is a symbolic link to ${target}; iap-auth0 replaces its state file atomically, ` +
      'which would replace the link ' +
      'instead of writing through it, so nothing was changed.',
    `pass --state with the real path (--state ${real})`,
    'symlink',
  );
}

/**
 * Makes sure the state folder exists. Only a folder created here is made private (0700) and gets
 * a .gitignore so the state is never committed by accident; an existing folder (a project folder
 * inside a git repository, a symlink to a folder elsewhere) is left exactly as it is.
 */
async function ensureFolder(dir: string): Promise<void> {
  // mkdir returns the first folder it created, or undefined when `dir` already existed.
  if ((await mkdir(dir, { recursive: true, mode: 0o700 })) === undefined) return;
  await chmod(dir, 0o700).catch(() => undefined);
  await writeFile(path.join(dir, '.gitignore'), '*\n', { flag: 'wx', mode: 0o600 }).catch((e) => {
    if (e.code !== 'EEXIST') throw e;
  });
}

/** Atomic write: a crash leaves either the old file or the new one, never half of one. */
export async function writeState(file: string, state: State): Promise<void> {
  // The last line of defence: init and destroy refuse a symlinked state file before they start.
  await refuseSymlink(file);
  const dir = path.dirname(path.resolve(file));
  try {
    await ensureFolder(dir);
    // In the folder the path names, which for a symlinked folder is inside its target: the rename stays on one file
    // system.
    const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
    const text = JSON.stringify({ ...state, updatedAt: new Date().toISOString() }, null, 2) + '\n';
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (e) {
    if (e instanceof StateError) throw e;
    throw new StateError(
      `cannot write the state file ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`,
      'make its folder writable, or pass --state with a writable path',
      'unwritable',
    );
  }
}

export interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

// The lock is the folder `${file}.lock/` holding one entry per contender, `${pid}-${nonce}.json`
// (a LockInfo). Taking it needs no atomic compare-and-swap:
//   1. look first: while another live entry is there, pause briefly (random) without writing one;
//   2. write our entry (a dot-prefixed temp file renamed into place, so nobody reads half of one);
//   3. list the folder: if no other live entry is there, we hold the lock.
// Mutual exclusion: a winner listed after its entry appeared and saw no other. A contender whose
// entry that listing did not show placed it after the listing began, so its own listing, later
// still, shows the winner's entry (present from before until release; a listing always returns an
// entry that exists throughout it) and it does not win. Of contenders that see each other, the
// oldest (startedAt, then name) keeps its entry and looks again while the others remove theirs and
// go back to 1, so simultaneous runs end with one holder instead of all backing off; keeping an
// entry longer never breaks the argument above. An entry of this host whose process is gone is
// stale and removed by whoever sees it; an entry that cannot be read, or of another host, counts
// as alive. After a few attempts a contender gives up and names the other entry's holder; it gives
// up at once on an entry that waiting cannot change: one older than any contention lasts (a holder)
// or one that cannot be read. Giving up early is always safe; only a win needs the argument above.
const LOCK_ATTEMPTS = 6;
const CONTENTION_MS = 2000;
const pause = () => new Promise((r) => setTimeout(r, 10 + Math.random() * 50));
const HOST = os.hostname();

interface Entry {
  name: string;
  info?: LockInfo;
}

/**
 * Takes the lock beside the state file. A second run stops within a few hundred milliseconds,
 * naming the holder; a lock left by a process that no longer exists (same host) is taken over.
 */
export async function acquireLock(file: string, command: string): Promise<() => Promise<void>> {
  await refuseSymlink(file);
  const lock = `${file}.lock`;
  try {
    await ensureFolder(path.dirname(path.resolve(file)));
    return await contend(lock, command);
  } catch (e) {
    if (e instanceof StateError) throw e;
    throw new StateError(
      `cannot take the lock ${lock} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); nothing ` +
        'was changed.',
      'make the state folder writable, or pass --state with a writable path',
      'unwritable',
    );
  }
}

/** Steps 1 to 3 above, a few times; the release function, or a refusal naming the holder. */
async function contend(lock: string, command: string): Promise<() => Promise<void>> {
  const info: LockInfo = { pid: process.pid, host: HOST, startedAt: new Date().toISOString(), command };
  const me: Entry = { name: `${process.pid}-${randomBytes(6).toString('hex')}.json`, info };
  let placed = false;
  let others: Entry[] = [];
  for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
    if (attempt > 0) await pause();
    if (!placed) {
      await takeOverOldLock(lock);
      others = await liveEntries(lock, me.name);
      if (others.some(settled)) break;
      if (others.length) continue;
      placed = await placeEntry(lock, me);
      if (!placed) continue;
    }
    others = await liveEntries(lock, me.name);
    if (!others.length) return () => releaseLock(lock, me.name);
    if (others.some(settled)) break;
    if (others.some((o) => older(o, me))) {
      await removeEntry(lock, me.name);
      placed = false;
    }
  }
  if (placed) await releaseLock(lock, me.name);
  const holder = others.filter((o) => o.info).sort((a, b) => (older(a, b) ? -1 : 1))[0]?.info;
  throw lockedError(lock, holder, 'folder');
}

/** An entry that is surely not a contender about to back off: a holder for a while, or unreadable. */
const settled = (o: Entry): boolean => !o.info || Date.now() - Date.parse(o.info.startedAt) > CONTENTION_MS;

/** Whether `a` came before `b`: an entry that cannot be read is assumed older (we yield to it). */
function older(a: Entry, b: Entry): boolean {
  if (!a.info || !b.info) return !a.info;
  return a.info.startedAt < b.info.startedAt || (a.info.startedAt === b.info.startedAt && a.name < b.name);
}

function lockedError(lock: string, holder: LockInfo | undefined, kind: 'folder' | 'file'): StateError {
  return new StateError(
    `another iap-auth0 run holds the lock ${lock}` +
      (holder ? ` (${holder.command}, pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}).` : '.'),
    'wait for it to finish; if that process is gone, delete ' +
      `${kind === 'folder' ? `the folder ${lock} (rm -r ${lock})` : lock}`,
    'locked',
  );
}

/**
 * A lock left by an older iap-auth0 is a plain file at the lock's path. Its holder still running
 * (or unknown) means refusal; a dead one's file is removed. (A still running older version racing
 * this takeover is not covered: it would need the old format's own, non-atomic rules.)
 */
async function takeOverOldLock(lock: string): Promise<void> {
  const st = await lstat(lock).catch(() => undefined);
  if (!st || st.isDirectory()) return;
  const holder = await readEntry(lock);
  if (holder === null) return;
  if (holder && holder.host === HOST && !alive(holder.pid)) {
    // ENOENT: another run removed it first; EISDIR/EPERM: it is already a lock folder.
    await unlink(lock).catch(() => undefined);
    return;
  }
  throw lockedError(lock, holder, 'file');
}

/** The other live entries, removing stale ones on the way; none when the folder does not exist. */
async function liveEntries(lock: string, mine: string): Promise<Entry[]> {
  const names = await readdir(lock).catch((e) => {
    if (['ENOENT', 'ENOTDIR'].includes(e.code)) return [] as string[];
    throw e;
  });
  const live: Entry[] = [];
  for (const name of names) {
    if (name.startsWith('.') || name === mine) continue;
    const info = await readEntry(path.join(lock, name));
    if (info === null) continue;
    if (info && info.host === HOST && !alive(info.pid)) {
      await removeEntry(lock, name);
      continue;
    }
    live.push({ name, info });
  }
  return live;
}

/**
 * Writes our entry whole (temp file + rename); false when the folder vanished or is a file meanwhile.
 * Nothing in the lock is secret: folder and entry take the user's umask, so another user who may
 * write the state folder can take part and read who holds the lock.
 */
async function placeEntry(lock: string, me: Entry): Promise<boolean> {
  await mkdir(lock).catch((e) => {
    if (e.code !== 'EEXIST') throw e;
  });
  const tmp = path.join(lock, `.${me.name}.tmp`);
  try {
    await writeFile(tmp, JSON.stringify(me.info), { flag: 'wx' });
    await rename(tmp, path.join(lock, me.name));
    return true;
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    // A finishing run removed the empty folder after our mkdir, or an older iap-auth0 put its file there.
    if (['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return false;
    throw e;
  }
}

async function removeEntry(lock: string, name: string): Promise<void> {
  await unlink(path.join(lock, name)).catch((e) => {
    if (e.code !== 'ENOENT') throw e;
  });
}

/** Our entry goes, then the folder if nobody else is in it, so a finished run leaves no lock path behind. */
async function releaseLock(lock: string, mine: string): Promise<void> {
  await removeEntry(lock, mine);
  await rmdir(lock).catch((e) => {
    if (!['ENOTEMPTY', 'EEXIST', 'ENOENT'].includes(e.code)) throw e;
  });
}

/** An entry's holder: null when the entry is gone, undefined when it cannot be read or parsed (counted as alive). */
async function readEntry(file: string): Promise<LockInfo | null | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? null : undefined;
  }
  try {
    const info = JSON.parse(text) as LockInfo;
    return Number.isInteger(info?.pid) && info.pid > 0 && typeof info.host === 'string' ? info : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function fileMode(file: string): Promise<number> {
  return (await stat(file)).mode & 0o777;
}
