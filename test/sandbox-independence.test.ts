// The sandbox must not agree with the CLI by construction. If it imported the CLI's builders (the
// redirect URI, the audience, the claim names, the id rules...), a wrong format would be wrong on
// both sides and every test would pass. So the sandbox keeps its own copy of each fact
// (src/sandbox/facts/), and this test reads every import in src/sandbox and fails on any that
// leaves the sandbox, except a short list of low-level helpers that state no fact about Google or
// Auth0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The tests run from dist/test/; the sources are read as written.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const src = path.join(root, 'src');
const sandbox = path.join(src, 'sandbox');

/** Shared code the sandbox may use: parsing helpers with no id, URI or claim in them. */
const ALLOWED = new Map([
  ['src/lib/cookies.ts', 'parses a Cookie header'],
  ['src/lib/duration.ts', 'parses "31d" for the clock control'],
  ['src/lib/ca-fetch.ts', 'an HTTPS client trusting an extra CA (the one such client of the project)'],
]);

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : /\.[mc]?ts$/.test(n) && !n.endsWith('.d.ts') ? [p] : [];
  });
}

/**
 * Every module specifier a source text names: static imports and re-exports (type-only too), bare imports, import().
 */
function specifiersIn(text: string): string[] {
  return [
    ...text.matchAll(/(?:^|[\s;])(?:import|export)\s[^'";]*?\sfrom\s*['"]([^'"]+)['"]/g),
    ...text.matchAll(/(?:^|[\s;])import\s*['"]([^'"]+)['"]/g),
    ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]);
}
const specifiers = (file: string) => specifiersIn(readFileSync(file, 'utf8'));

/** The source file a relative specifier names ('./x.js' is compiled from './x.ts'). */
const resolveTs = (from: string, spec: string) =>
  path.relative(root, path.resolve(path.dirname(from), spec)).replace(/\.([mc]?)js$/, '.$1ts');

test('src/sandbox imports nothing of the CLI but low-level helpers', () => {
  const files = tsFiles(sandbox);
  assert.ok(files.length > 30, `the sandbox's sources were found (${files.length})`);
  const outside: string[] = [];
  for (const f of files) {
    for (const spec of specifiers(f)) {
      // The package's own name would reach the CLI's code the long way round.
      if (spec === 'iap-auth0' || spec.startsWith('iap-auth0/'))
        outside.push(`${path.relative(root, f)} imports ${spec}`);
      if (!spec.startsWith('.')) continue; // node: built-ins and npm packages
      const target = resolveTs(f, spec);
      if (target.startsWith('src/sandbox/') || ALLOWED.has(target)) continue;
      outside.push(`${path.relative(root, f)} imports ${target}`);
    }
  }
  assert.deepEqual(outside, [], 'the sandbox keeps its own copy of every fact it checks (src/sandbox/facts/)');
});

test('the helpers the sandbox may share import nothing themselves', () => {
  // Otherwise a fact could come in through them.
  for (const file of ALLOWED.keys()) {
    const own = specifiers(path.join(root, file)).filter((s) => s.startsWith('.'));
    assert.deepEqual(own, [], `${file} imports nothing of the project`);
  }
});

test('the scan sees every import form it must catch', () => {
  // A self-check of the scanner on made-up lines, so a regex slip cannot make the first test pass.
  const sample = [
    "import { a } from '../../lib/ids.js';",
    "import type { B } from '../../core/context.js';",
    "export { parseDuration } from '../../lib/duration.js';",
    "import * as ns from '../../inputs/schema.js';",
    "import {\n  c,\n  d,\n} from '../../state/names.js';",
    "const m = await import('../../core/stage.js');",
    "import '../../core/side-effect.js';",
    "import { listen } from '../core/http.js';",
  ].join('\n');
  const from = path.join(sandbox, 'frontdoor', 'sample.ts');
  assert.deepEqual(
    specifiersIn(sample)
      .map((s) => resolveTs(from, s))
      .sort(),
    [
      'src/core/context.ts',
      'src/core/side-effect.ts',
      'src/core/stage.ts',
      'src/inputs/schema.ts',
      'src/lib/duration.ts',
      'src/lib/ids.ts',
      'src/sandbox/core/http.ts',
      'src/state/names.ts',
    ],
  );
});
