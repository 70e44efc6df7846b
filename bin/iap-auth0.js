#!/usr/bin/env -S node --
// Thin launcher: the compiled CLI lives in dist/src (built by `npm run build`, which `npm ci` runs via `prepare`).
import('../dist/src/cli/main.js')
  .then((m) => m.main(process.argv))
  .catch((err) => {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli')) {
      process.stderr.write(
        'iap-auth0: the compiled files are missing. Run `npm run build` (or `npm ci`) in the package folder.\n',
      );
    } else {
      process.stderr.write(`iap-auth0: ${err?.stack ? err.stack : err}\n`);
    }
    process.exit(1);
  });
