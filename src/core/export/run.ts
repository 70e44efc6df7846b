// `export terraform` without a terminal: judge the inputs (state file, folder, credentials) before
// any request, read the setup live, build the files (pure), then print them (--dry-run) or write
// them. Nothing is written unless every read and check passed; an existing folder is written into
// only with --force.
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DEFAULT_STATE_PATH } from '../../state/store.js';
import { STAGES } from '../../state/schema.js';
import { readRecorded, contextFromState } from '../recorded-setup.js';
import { checkCredentials, checkGoogleCredentials } from '../local-checks.js';
import { auth0Preflight } from '../auth0-preflight.js';
import { UserError, EXIT } from '../../lib/exit-codes.js';
import { readLive } from './read-live.js';
import { driftProblems } from './drift.js';
import { buildFiles, type ExportFile } from './files.js';
import type { State } from '../../state/schema.js';

export const DEFAULT_EXPORT_DIR = 'iap-auth0-terraform';

export interface ExportOptions {
  env: NodeJS.ProcessEnv;
  statePath?: string;
  dir?: string;
  dryRun?: boolean;
  force?: boolean;
  signal: AbortSignal;
}

export interface ExportResult {
  dir: string;
  dryRun: boolean;
  setupId?: string;
  files: ExportFile[];
  /** How many resources `terraform plan` imports. */
  imports: number;
  notes: string[];
}

/** Only a finished setup can be described: every stage done. */
function assertFinished(state: State, statePath: string): void {
  const open = STAGES.filter((s) => state.stages[s]?.status !== 'done');
  if (open.length)
    throw new UserError(
      `the setup in ${statePath} is not finished ` +
        `(${open.map((s) => `${s}: ${state.stages[s]?.status ?? 'pending'}`).join(', ')}); nothing was written.`,
      EXIT.USAGE,
      'run iap-auth0 init to finish it, then export again',
    );
}

/** The folder may be written: absent, empty, or --force. Judged before any request. */
async function checkDir(dir: string, force: boolean): Promise<void> {
  const st = await stat(dir).catch(() => undefined);
  if (!st) return;
  if (!st.isDirectory())
    throw new UserError(
      `--dir: ${dir} exists and is not a folder; nothing was written.`,
      EXIT.USAGE,
      'pass --dir with another path',
    );
  if (!force && (await readdir(dir)).length)
    throw new UserError(
      `--dir: the folder ${dir} exists and is not empty; nothing was written.`,
      EXIT.USAGE,
      'pass --force to overwrite the files the export writes there, or --dir with another path',
    );
}

/** Writes the files: a new folder appears whole (written aside, then renamed); an existing one file by file. */
async function writeFiles(dir: string, files: ExportFile[]): Promise<void> {
  const exists = await stat(dir).catch(() => undefined);
  if (!exists) {
    const parent = path.dirname(path.resolve(dir));
    await mkdir(parent, { recursive: true });
    const aside = path.join(parent, `.${path.basename(dir)}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await mkdir(aside);
      for (const f of files) await writeFile(path.join(aside, f.path), f.content, { mode: 0o644 });
      await rename(aside, dir);
    } catch (e) {
      await rm(aside, { recursive: true, force: true });
      throw e;
    }
    return;
  }
  for (const f of files) {
    const target = path.join(dir, f.path);
    const tmp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, f.content, { mode: 0o644 });
    await rename(tmp, target);
  }
}

export async function runExport(o: ExportOptions): Promise<ExportResult> {
  const statePath = o.statePath ?? DEFAULT_STATE_PATH;
  const dir = o.dir ?? DEFAULT_EXPORT_DIR;
  const state = await readRecorded(statePath, 'export terraform');
  assertFinished(state, statePath);
  if (!o.dryRun) await checkDir(dir, !!o.force);
  checkCredentials(o.env);
  await checkGoogleCredentials(o.env);
  const { session } = await auth0Preflight({
    env: o.env,
    inputs: state.inputs,
    recorded: state.inputs,
    signal: o.signal,
    command: 'export terraform',
    // The recorded post-login Action is read too.
    ...(state.stages['auth0-action']?.resources.actionId ? { extra: ['read:actions'] } : {}),
  });
  const ctx = contextFromState({
    env: o.env,
    state,
    statePath,
    emit: () => undefined,
    signal: o.signal,
    persist: false,
    auth0: session,
  });
  const live = await readLive(ctx);
  const drift = driftProblems({ state, live });
  if (drift.length)
    throw new UserError(
      `the setup no longer matches its state file: ${drift.join('; ')}; nothing was written.`,
      EXIT.USAGE,
      'run iap-auth0 init to put it right (iap-auth0 verify says what is wrong), then export again',
    );
  const plan = buildFiles({ state, live });
  if (!o.dryRun) await writeFiles(dir, plan.files);
  return {
    dir,
    dryRun: !!o.dryRun,
    ...(state.setupId ? { setupId: state.setupId } : {}),
    files: plan.files,
    imports: plan.imports.length,
    notes: plan.notes,
  };
}
