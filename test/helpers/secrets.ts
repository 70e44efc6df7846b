// The secrets check every reliability scenario ends with: no secret or bearer token the sandbox
// ever handed out (Auth0 client secrets including the M2M one, OAuth credential secrets, Auth0
// and Google access tokens; world.issuedSecrets keeps them after deletion) appears in anything
// the tool printed or wrote, and the state folder and file keep their modes.
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Sandbox } from '../../src/sandbox/index.js';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

/** Outputs: every stdout/stderr text of the scenario; dirs: every folder the tool wrote into. */
export async function assertNoSecretLeaked(
  sb: Sandbox,
  outputs: string[],
  dirs: string[],
): Promise<{ secrets: number; bytes: number }> {
  const secrets = [...sb.world.issuedSecrets].filter((s) => s.length >= 16);
  const written = await Promise.all(
    dirs.flatMap(async (d) => Promise.all((await filesUnder(d)).map((f) => readFile(f, 'utf8')))),
  );
  const haystack = [...outputs, ...written.flat()].join('\n');
  for (const s of secrets) {
    assert.ok(!haystack.includes(s), `a secret (${s.slice(0, 6)}…) appears in the output or a written file`);
  }
  for (const d of dirs) {
    const stateDir = path.join(d, '.iap-auth0');
    const st = await stat(stateDir).catch(() => undefined);
    if (!st) continue;
    assert.equal(st.mode & 0o777, 0o700, `${stateDir} is 0700`);
    const file = await stat(path.join(stateDir, 'state.json')).catch(() => undefined);
    if (file) assert.equal(file.mode & 0o777, 0o600, 'state.json is 0600');
  }
  return { secrets: secrets.length, bytes: haystack.length };
}
