// `npm run bench`: makes one sandbox CA (Node trusts NODE_EXTRA_CA_CERTS only from start-up, as for
// the tests), then runs bench/main.js with it.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTls } from '../src/sandbox/core/tls.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const caDir = path.join(here, '..', 'bench-ca');
await createTls(path.join(caDir, 'leaf'), caDir);
const r = spawnSync(process.execPath, [path.join(here, 'main.js'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(caDir, 'sandbox-ca.pem'), IAP_AUTH0_TEST_CA_DIR: caDir },
});
process.exit(r.status ?? 1);
