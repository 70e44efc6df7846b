#!/usr/bin/env node
// Empties the build output before a build. tsc writes what the sources make but never removes what they no
// longer make: after a file is moved or deleted (src/identity/*.ts moved into packages/identity), its old .js and
// .d.ts stay in dist/, are published by the `files` globs and run by the tests. A checkout switched from an older
// commit failed `npm test` that way (package-contents found dist/src/identity/audience.d.ts). Node's own rmSync, so
// the build script works wherever npm does.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
for (const dir of ['dist', 'packages/identity/dist']) rmSync(path.join(root, dir), { recursive: true, force: true });
