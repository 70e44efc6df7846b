// The repository's packages as users get them: `npm pack`, then an install of the tarball into an empty folder.
// Installs are offline and pinned. A plain `npm install x.tgz` would resolve each dependency's range against the
// registry's package documents, which `npm ci` never caches (a lockfile names exact versions, so it fetches only
// tarballs): offline it fails, online it may pick versions newer than the lockfile's. So the folder gets a lockfile
// of its own, cut from the repository's: the tarballs, and every package they reach, at the place and version the
// repository's lockfile has them. `npm ci --offline` then needs only tarballs that the repository's `npm ci` put
// in the npm cache, and installs exactly the tree CI tested.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const IDENTITY_DIR = path.join(ROOT, 'packages', 'identity');

/**
 * The environment for npm and node working in another folder. `npm test` hands its scripts variables about this
 * package (npm_package_*, npm_lifecycle_*, INIT_CWD, npm_config_local_prefix): a child npm that inherited them
 * could act on this repository instead of the folder it was started in. npm's own settings (the cache, the
 * registry, user config) are kept.
 */
export function npmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    const ours = /^npm_/i.test(k) && !/^npm_config_/i.test(k);
    if (ours || k === 'INIT_CWD' || /^npm_config_(local_prefix|prefix|global_prefix)$/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

const exec = promisify(execFile);

/** Runs npm in `cwd`; a failure names the command and carries npm's own output. */
export async function npm(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec('npm', args, { cwd, env: npmEnv(), maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(' ')} (in ${cwd}) failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

interface Manifest {
  name: string;
  version: string;
  license?: string;
  bin?: Record<string, string>;
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
}

export interface Packed {
  /** The tarball's path (for a dry run, where it would have been written). */
  file: string;
  manifest: Manifest;
  /** Every file in the tarball, relative to the package folder. */
  files: string[];
}

/**
 * `npm pack` of the package in `dir` into `dest` (`--dry-run`: only the list). Lifecycle scripts are skipped: the
 * tests run on the build `npm test` made, and the root's `prepare` would rebuild dist/ under the running tests.
 */
export async function pack(dir: string, dest: string, opts: { dryRun?: boolean } = {}): Promise<Packed> {
  const args = ['pack', '--json', '--ignore-scripts', '--pack-destination', dest];
  const { stdout } = await npm(opts.dryRun ? [...args, '--dry-run'] : args, dir);
  const [info] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  const manifest = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as Manifest;
  return { file: path.join(dest, info.filename), manifest, files: info.files.map((f) => f.path).sort() };
}

interface LockEntry {
  version?: string;
  resolved?: string;
  link?: boolean;
  dev?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [k: string]: unknown;
}

/** Where Node (and npm) would find `name` from the package at `from`: its own node_modules, then each parent's. */
function locate(lock: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let dir = from; ; ) {
    const at = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (lock[at] && !lock[at].link) return at;
    if (!dir) return undefined;
    const i = dir.lastIndexOf('/node_modules/');
    dir = i < 0 ? '' : dir.slice(0, i);
  }
}

/** What an installed package needs at run time: its dependencies, optional ones, and peers it does not waive. */
function needs(e: LockEntry): string[] {
  const peers = Object.keys(e.peerDependencies ?? {}).filter((p) => !e.peerDependenciesMeta?.[p]?.optional);
  return [...Object.keys(e.dependencies ?? {}), ...Object.keys(e.optionalDependencies ?? {}), ...peers];
}

/**
 * The lockfile's `packages` for a folder depending on `tarballs` (as file: specs relative to `dir`) and on
 * `registry` packages (at the repository lockfile's version): every package they reach, as the repository has it.
 */
async function pinnedPackages(dir: string, tarballs: Packed[], registry: string[]) {
  const lock = (
    JSON.parse(await readFile(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, LockEntry>;
    }
  ).packages;
  const out: Record<string, LockEntry> = {};
  const deps: Record<string, string> = {};
  const queue: [string, string[]][] = [];
  for (const t of tarballs) {
    const { name, version, license, bin, engines, dependencies } = t.manifest;
    const spec = `file:${path.relative(dir, t.file)}`;
    deps[name] = spec;
    out[`node_modules/${name}`] = { version, resolved: spec, license, bin, engines, dependencies };
    queue.push([`node_modules/${name}`, Object.keys(dependencies ?? {})]);
  }
  for (const name of registry) {
    deps[name] = lock[`node_modules/${name}`]?.version ?? '';
    queue.push(['', [name]]);
  }
  while (queue.length) {
    const [from, names] = queue.shift()!;
    for (const name of names) {
      if (out[`node_modules/${name}`] && tarballs.some((t) => t.manifest.name === name)) continue;
      const at = locate(lock, from, name);
      if (!at) throw new Error(`${name}, needed by ${from || 'the folder'}, is not in the repository's lockfile`);
      if (out[at]) continue;
      // Flags that describe the repository's tree (dev-only, optional for dev) do not hold in the folder's.
      const { dev, devOptional, peer, ...entry } = lock[at];
      out[at] = entry;
      queue.push([at, needs(entry)]);
    }
  }
  return { deps, packages: out };
}

/**
 * Installs `tarballs` and the `registry` packages into `dir` with `npm ci --offline`, pinned to the repository's
 * lockfile. Keeps a package.json already there (as `npm init -y` wrote it) and adds the dependencies to it.
 */
export async function installPinned(dir: string, tarballs: Packed[], registry: string[] = []): Promise<void> {
  const pkgFile = path.join(dir, 'package.json');
  const pkg = JSON.parse(await readFile(pkgFile, 'utf8').catch(() => '{"name":"app","version":"1.0.0"}'));
  const { deps, packages } = await pinnedPackages(dir, tarballs, registry);
  pkg.dependencies = { ...pkg.dependencies, ...deps };
  await writeFile(pkgFile, JSON.stringify(pkg, null, 2) + '\n');
  const root = { name: pkg.name, version: pkg.version, dependencies: pkg.dependencies };
  const lockfile = { name: pkg.name, version: pkg.version, lockfileVersion: 3, requires: true, packages: {} };
  lockfile.packages = { '': root, ...packages };
  await writeFile(path.join(dir, 'package-lock.json'), JSON.stringify(lockfile, null, 2) + '\n');
  await npm(['ci', '--offline', '--no-audit', '--no-fund'], dir);
}

/** Disk use of a folder in KB, as `du -sk` reports it (blocks, not bytes: what the install costs the disk). */
export async function duKb(dir: string): Promise<number> {
  return Number((await exec('du', ['-sk', dir])).stdout.split('\t')[0]);
}
