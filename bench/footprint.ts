// 1. Install footprint: the production dependency tree of the packed package, installed the way
// `npx iap-auth0` installs it (npm pack, then npm install --omit=dev into an empty folder), and the
// same figure had we used the monolithic `googleapis` instead of the per-API clients.
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
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

export interface Footprint {
  tarballKb: number;
  installedMb: number;
  packages: number;
  top: { name: string; mb: number }[];
  monolithMb: number;
  googleClientsMb: number;
  googleapisMb: number;
}

export async function footprint(): Promise<Footprint> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-footprint-'));
  try {
    log('packing and installing the package with --omit=dev (needs the npm registry)');
    const tgz = execFileSync('npm', ['pack', '--silent', '--pack-destination', tmp], { cwd: ROOT })
      .toString()
      .trim()
      .split('\n')
      .pop()!;
    const inst = path.join(tmp, 'install');
    await mkdir(inst);
    await writeFile(path.join(inst, 'package.json'), '{"name":"footprint","private":true}');
    execFileSync('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--silent', path.join(tmp, tgz)], {
      cwd: inst,
    });
    const nm = path.join(inst, 'node_modules');
    const all = await packages(inst);
    const top: { name: string; mb: number }[] = [];
    for (const e of await readdir(nm)) {
      if (e.startsWith('.')) continue;
      if (e.startsWith('@'))
        for (const n of await readdir(path.join(nm, e)))
          top.push({ name: `${e}/${n}`, mb: duKb(path.join(nm, e, n)) / 1024 });
      else top.push({ name: e, mb: duKb(path.join(nm, e)) / 1024 });
    }
    top.sort((a, b) => b.mb - a.mb);
    const googleClientsMb = top.filter((t) => t.name.startsWith('@googleapis/')).reduce((s, t) => s + t.mb, 0);
    log('installing the monolithic googleapis for comparison');
    const mono = path.join(tmp, 'mono');
    await mkdir(mono);
    await writeFile(path.join(mono, 'package.json'), '{"name":"mono","private":true}');
    const pkg = JSON.parse(
      await readFile(path.join(ROOT, 'node_modules', 'googleapis-common', 'package.json'), 'utf8'),
    );
    void pkg;
    execFileSync('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--silent', 'googleapis@latest'], {
      cwd: mono,
    });
    const googleapisMb = duKb(path.join(mono, 'node_modules', 'googleapis')) / 1024;
    const installedMb = duKb(nm) / 1024;
    return {
      tarballKb: duKb(path.join(tmp, tgz)),
      installedMb,
      packages: all.length,
      top,
      // Ours with the four per-API clients swapped for the monolith (their shared runtime is the same).
      monolithMb: installedMb - googleClientsMb + googleapisMb,
      googleClientsMb,
      googleapisMb,
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
