// 1. Install footprint, the way `npx iap-auth0` and an app's `npm install iap-auth0-identity` install: each package
// packed with `npm pack`, then `npm install --omit=dev` of the tarball into an empty folder, from the npm registry.
// The CLI depends on iap-auth0-identity (packages/identity): its packed tarball is installed alongside and stands in
// for the registry's copy, so the figure is what a user gets once both are published. The monolith figure is ours
// had we used the monolithic `googleapis` instead of the per-API clients.
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT, log } from './lib.js';

const duKb = (p: string) => Number(execFileSync('du', ['-sk', p]).toString().split('\t')[0]);

/** Every installed package folder (node_modules/x, node_modules/@s/x, nested too). */
async function packages(dir: string): Promise<string[]> {
  const out: string[] = [];
  const nm = path.join(dir, 'node_modules');
  for (const e of await readdir(nm, { withFileTypes: true }).catch(() => [])) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const dirs = e.name.startsWith('@')
      ? (await readdir(path.join(nm, e.name))).map((n) => path.join(nm, e.name, n))
      : [path.join(nm, e.name)];
    for (const d of dirs) {
      out.push(d);
      out.push(...(await packages(d)));
    }
  }
  return out;
}

/** The top-level packages of an install and their sizes, largest first. */
async function sizes(nm: string): Promise<{ name: string; mb: number }[]> {
  const top: { name: string; mb: number }[] = [];
  for (const e of await readdir(nm)) {
    if (e.startsWith('.')) continue;
    if (e.startsWith('@'))
      for (const n of await readdir(path.join(nm, e)))
        top.push({ name: `${e}/${n}`, mb: duKb(path.join(nm, e, n)) / 1024 });
    else top.push({ name: e, mb: duKb(path.join(nm, e)) / 1024 });
  }
  return top.sort((a, b) => b.mb - a.mb);
}

/**
 * `npm pack` of the package in `dir` into `dest`; the tarball's path. Without lifecycle scripts: `npm run bench`
 * has just built, and the root's `prepare` (a build, which starts by emptying dist/) would delete the running bench.
 */
function pack(dir: string, dest: string): string {
  const name = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', dest], { cwd: dir })
    .toString()
    .trim()
    .split('\n')
    .pop()!;
  return path.join(dest, name);
}

/** `npm install --omit=dev` of `specs` into a new empty folder `name` under `tmp`; the folder. */
async function install(tmp: string, name: string, specs: string[]): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir);
  await writeFile(path.join(dir, 'package.json'), `{"name":"${name}","private":true}`);
  execFileSync('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--silent', ...specs], { cwd: dir });
  return dir;
}

export interface Footprint {
  tarballKb: number;
  installedMb: number;
  packages: number;
  top: { name: string; mb: number }[];
  monolithMb: number;
  googleClientsMb: number;
  googleapisMb: number;
  /** `npm install iap-auth0-identity` into an empty folder: the library an app installs (goal: under 1 MB). */
  identity: { tarballKb: number; installedKb: number; packages: number; names: string[] };
}

export async function footprint(): Promise<Footprint> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-footprint-'));
  try {
    log('packing both packages and installing them with --omit=dev (needs the npm registry)');
    const identityTgz = pack(path.join(ROOT, 'packages', 'identity'), tmp);
    const cliTgz = pack(ROOT, tmp);
    const lib = await install(tmp, 'identity', [identityTgz]);
    const libPackages = await packages(lib);
    const inst = await install(tmp, 'install', [cliTgz, identityTgz]);
    const nm = path.join(inst, 'node_modules');
    const top = await sizes(nm);
    const googleClientsMb = top.filter((t) => t.name.startsWith('@googleapis/')).reduce((s, t) => s + t.mb, 0);
    log('installing the monolithic googleapis for comparison');
    const mono = await install(tmp, 'mono', ['googleapis@latest']);
    const googleapisMb = duKb(path.join(mono, 'node_modules', 'googleapis')) / 1024;
    const installedMb = duKb(nm) / 1024;
    return {
      tarballKb: duKb(cliTgz),
      installedMb,
      packages: (await packages(inst)).length,
      top,
      // Ours with the four per-API clients swapped for the monolith (their shared runtime is the same).
      monolithMb: installedMb - googleClientsMb + googleapisMb,
      googleClientsMb,
      googleapisMb,
      identity: {
        tarballKb: duKb(identityTgz),
        installedKb: duKb(path.join(lib, 'node_modules')),
        packages: libPackages.length,
        names: libPackages.map((p) => path.relative(path.join(lib, 'node_modules'), p)).sort(),
      },
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
