#!/usr/bin/env node
// Run by `npm publish` (prepublishOnly) in a package's folder: refuses a publication whose registry page would
// show broken links. npmjs.com renders the README but serves no other file of the package, and it rewrites a
// relative link (`docs/SANDBOX.md`) into a link to the source repository only when package.json names one in
// `repository` (npm/marky-markdown#432, npm/npm#7594); without it the link points at a page that does not exist.
// The repository's URL is the maintainers' to give, so this check asks for it instead of guessing one.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dir = path.resolve(process.argv[2] ?? '.');
const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
const readme = existsSync(path.join(dir, 'README.md')) ? readFileSync(path.join(dir, 'README.md'), 'utf8') : '';

/** Link targets in the README that are neither absolute URLs nor anchors within the page. */
const relative = [...readme.matchAll(/\]\(([^)\s]+)\)/g)]
  .map((m) => m[1])
  .filter((href) => !/^([a-z][a-z0-9+.-]*:|#)/i.test(href));

const problems = [];
const repo = typeof manifest.repository === 'string' ? manifest.repository : manifest.repository?.url;
if (relative.length > 0 && !repo)
  problems.push(
    `package.json has no "repository", so the registry page cannot resolve the README's ${relative.length} ` +
      `relative links (first: ${relative[0]}). Add "repository": {"type": "git", "url": ` +
      `"git+https://github.com/OWNER/REPO.git"} naming where this code is published, then publish again.`,
  );
for (const href of relative) {
  const file = href.split('#')[0];
  if (file && !existsSync(path.join(dir, file))) problems.push(`README.md links to ${href}, which does not exist.`);
}
if (!existsSync(path.join(dir, 'LICENSE')))
  problems.push(`no LICENSE file although package.json declares ${manifest.license ?? 'no licence'}.`);

if (problems.length > 0) {
  process.stderr.write(`${manifest.name} is not ready to publish:\n${problems.map((p) => `- ${p}\n`).join('')}`);
  process.exit(1);
}
