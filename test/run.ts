// `npm test`: makes one sandbox CA, then runs every compiled test file with node's test runner
// and NODE_EXTRA_CA_CERTS pointing at that CA, exactly as a user's shell would be set up after
// `iap-auth0 sandbox`. (Node reads NODE_EXTRA_CA_CERTS only at start-up, hence this wrapper.)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTls } from '../src/sandbox/core/tls.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const caDir = path.join(here, '..', 'test-ca');
await createTls(path.join(caDir, 'leaf'), caDir);

function find(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? find(p) : n.endsWith('.test.js') ? [p] : [];
  });
}
// test/live/ runs against a real project and tenant: only with --live (npm run test:live), never in npm test.
const args = process.argv.slice(2);
const live = args.includes('--live');
const filter = args.filter((a) => a !== '--live');
const liveDir = path.join(here, 'live') + path.sep;
const files = find(here)
  .filter((f) => f.startsWith(liveDir) === live)
  .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)))
  .sort();
if (!files.length) {
  process.stderr.write(
    'no test file matches ' +
      `${filter.join(', ')}${live ? ' under test/live/' : ' (test/live/ runs only with --live: npm run test:live)'}` +
      '\n',
  );
  process.exit(1);
}
// A test that hangs fails after 15 minutes instead of stalling the run (no test comes close).
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=900000', ...files], {
  stdio: 'inherit',
  env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(caDir, 'sandbox-ca.pem'), IAP_AUTH0_TEST_CA_DIR: caDir },
});
process.exit(r.status ?? 1);
