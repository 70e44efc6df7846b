#!/usr/bin/env node
// Fails when a source line is longer than the formatter's line width. Biome's formatter keeps a string, a template
// literal or a comment whole however long it is, and Biome has no line-length lint rule, so this closes the gap.
// It checks the files Biome checks: the folders in biome.jsonc "files.includes", less its "!" entries, as git lists
// them (so ignored files are skipped too). No dependencies: `npm run lint` runs it after `biome check`.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHECKED = /\.(ts|js|mjs|cjs|json|jsonc|sh)$/;

// biome.jsonc allows comments; the config writes them on lines of their own, so dropping those lines is enough.
const config = JSON.parse(
  readFileSync(path.join(root, 'biome.jsonc'), 'utf8')
    .split('\n')
    .filter((line) => !line.trim().startsWith('//'))
    .join('\n'),
);
const width = config.formatter.lineWidth;
const includes = config.files.includes;
// Entries are either `folder/**` (a folder to check), `!folder` or `!file` (left out).
const stem = (p) => p.replace(/^!/, '').replace(/\/\*\*$/, '');
const within = (file, p) => file === stem(p) || file.startsWith(`${stem(p)}/`);
const wanted = (file) =>
  includes.some((p) => !p.startsWith('!') && within(file, p)) &&
  !includes.some((p) => p.startsWith('!') && within(file, p));

const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
  cwd: root,
  encoding: 'utf8',
})
  .split('\n')
  .filter((f) => CHECKED.test(f) && wanted(f));

let long = 0;
for (const file of files) {
  let text;
  try {
    text = readFileSync(path.join(root, file), 'utf8');
  } catch {
    continue; // listed by git but deleted in the work tree
  }
  text.split('\n').forEach((line, i) => {
    // Characters as a reader counts them (code points), as Biome's formatter does.
    const length = [...line].length;
    if (length > width) {
      long++;
      process.stderr.write(`${file}:${i + 1}: ${length} characters (at most ${width})\n`);
    }
  });
}
if (long) {
  process.stderr.write(`${long} line(s) longer than ${width} characters in ${files.length} files checked.\n`);
  process.exit(1);
}
process.stdout.write(`line length: ${files.length} files checked, no line longer than ${width} characters.\n`);
