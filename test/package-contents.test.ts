// What `npm pack` puts in each package, from `npm pack --dry-run --json`: the licence, the README and what runs,
// nothing else (no sources, tests, source maps, CA keys, state or env files). What runs is checked by following it:
// every relative import and every file a module reads next to itself is in the package, and every bare import is
// Node's or a declared dependency. Every relative link in a packed Markdown file leads to a packed file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { IDENTITY_DIR, ROOT, pack, type Packed } from './helpers/packed.js';

let tmp: string;
let cli: Packed;
let identity: Packed;

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-pack-'));
  cli = await pack(ROOT, tmp, { dryRun: true });
  identity = await pack(IDENTITY_DIR, tmp, { dryRun: true });
});
after(() => rm(tmp, { recursive: true, force: true }));

/** Files no package may carry, whatever its `files` says. */
const NEVER = [
  /^(src|test|bench|scripts|packages|examples)\//,
  /^dist\/(test|bench)\//,
  /\.map$/,
  /(^|\/)\.iap-auth0\//,
  /state\.json$/,
  /\.(pem|key|env|tgz|log)$/,
  /(test|bench)-ca/,
  /\.ts$/,
];
/** Declarations are the exception to no-.ts: the typed entry points. */
const TYPES = /\.d\.ts$/;

function checkOnly(p: Packed, allowed: RegExp[], dts: RegExp[]) {
  for (const f of p.files) {
    assert.ok(allowed.some((a) => a.test(f)) || dts.some((a) => a.test(f)), `${p.manifest.name} should not ship ${f}`);
    if (!(TYPES.test(f) && dts.some((a) => a.test(f))))
      for (const n of NEVER) assert.doesNotMatch(f, n, `${p.manifest.name} ships ${f}`);
  }
}

test('the CLI package: licence, README, docs, the launcher, the compiled sources, the help text; nothing else', () => {
  for (const f of ['LICENSE', 'README.md', 'package.json', 'bin/iap-auth0.js', 'dist/src/cli/main.js'])
    assert.ok(cli.files.includes(f), `ships ${f}`);
  for (const f of ['dist/src/cli/help.txt', 'dist/src/identity/index.js', 'dist/src/identity/index.d.ts'])
    assert.ok(cli.files.includes(f), `ships ${f}`);
  assert.ok(cli.files.includes('docs/app-integration.md'), 'ships the docs its README links to');
  const allowed = [/^(LICENSE|README\.md|package\.json|bin\/iap-auth0\.js|dist\/src\/cli\/help\.txt)$/];
  checkOnly(cli, [...allowed, /^dist\/src\/.+\.js$/, /^docs\/.+\.md$/], [/^dist\/src\/identity\/index\.d\.ts$/]);
});

test('the identity package: licence, README, the compiled library and its types; nothing else', () => {
  for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts'])
    assert.ok(identity.files.includes(f), `ships ${f}`);
  checkOnly(identity, [/^(LICENSE|README\.md|package\.json)$/, /^dist\/[a-z-]+\.js$/], [/^dist\/[a-z-]+\.d\.ts$/]);
  assert.deepEqual(Object.keys(identity.manifest.dependencies ?? {}), ['jose'], 'jose is its only dependency');
});

test('both declare Apache-2.0 and ship its full text', async () => {
  for (const [p, dir] of [
    [cli, ROOT],
    [identity, IDENTITY_DIR],
  ] as const) {
    assert.equal(p.manifest.license, 'Apache-2.0');
    const text = await readFile(path.join(dir, 'LICENSE'), 'utf8');
    assert.match(text, /Apache License\s+Version 2\.0, January 2004/);
    assert.match(text, /END OF TERMS AND CONDITIONS/, 'the full text, not a notice');
  }
});

/** Specifiers a compiled module loads: static and dynamic imports, and files it reads next to itself. */
function loads(js: string): { imports: string[]; reads: string[] } {
  const imports = [...js.matchAll(/(?:^|[;\s])(?:import|export)\s[^'";]*?from\s*'([^']+)'|\bimport\('([^']+)'\)/gm)];
  const reads = [
    ...js.matchAll(/new URL\('([^']+)', import\.meta\.url\)/g),
    ...js.matchAll(/path\.resolve\(path\.dirname\(fileURLToPath\(import\.meta\.url\)\), '([^']+)'\)/g),
  ];
  return { imports: imports.map((m) => m[1] ?? m[2]), reads: reads.map((m) => m[1]) };
}

/** The package name a bare specifier names: `jose`, `@googleapis/run`, `auth0` for `auth0/legacy`. */
const packageOf = (spec: string) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

async function checkRuntimeClosure(p: Packed, dir: string) {
  const deps = new Set(Object.keys(p.manifest.dependencies ?? {}));
  const builtins = new Set(builtinModules);
  for (const f of p.files.filter((f) => /\.js$/.test(f))) {
    const { imports, reads } = loads(await readFile(path.join(dir, f), 'utf8'));
    for (const spec of [...imports, ...reads]) {
      if (spec.startsWith('.')) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(f), spec));
        assert.ok(p.files.includes(target), `${p.manifest.name}: ${f} loads ${spec}, which is not in the package`);
      } else if (spec.startsWith('node:') || builtins.has(spec)) continue;
      else assert.ok(deps.has(packageOf(spec)), `${p.manifest.name}: ${f} imports ${spec}, not a dependency`);
    }
  }
}

test('everything the packed modules load is in the package or a declared dependency', async () => {
  await checkRuntimeClosure(cli, ROOT);
  await checkRuntimeClosure(identity, IDENTITY_DIR);
  // The launcher reaches the CLI, the CLI's identity subpath reaches the identity package.
  assert.ok(
    loads(await readFile(path.join(ROOT, 'bin/iap-auth0.js'), 'utf8')).imports.includes('../dist/src/cli/main.js'),
  );
  const reexport = await readFile(path.join(ROOT, 'dist/src/identity/index.js'), 'utf8');
  assert.deepEqual(loads(reexport).imports, ['iap-auth0-identity']);
});

test('every relative link in a packed Markdown file leads to a packed file', async () => {
  for (const [p, dir] of [
    [cli, ROOT],
    [identity, IDENTITY_DIR],
  ] as const) {
    for (const f of p.files.filter((f) => f.endsWith('.md'))) {
      const md = await readFile(path.join(dir, f), 'utf8');
      for (const [, href] of md.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(href) || href.startsWith('#')) continue;
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(f), href.split('#')[0]));
        assert.ok(p.files.includes(target), `${p.manifest.name}: ${f} links to ${href}, which is not in the package`);
      }
    }
  }
});
