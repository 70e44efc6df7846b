// The account a guided init names before its first question (src/google/account.ts): the email Google's tokeninfo
// gives for the credentials' token, through the sandbox's tokeninfo (src/sandbox/google/tokeninfo.ts); and, when
// Google does not say (an unknown token, an endpoint that is down or answers nonsense), where the credentials come
// from instead, never an error: the account line is information, not a check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { useSandbox, requestLog } from './helpers/sandbox.js';
import { googleAccountEmail } from '../src/google/account.js';
import { accountWords } from '../src/core/targets.js';

test('tokeninfo names the sandbox developer; the token travels in a POST body, never in the URL', async () => {
  const sb = await useSandbox();
  const since = (await requestLog(sb)).at(-1)?.seq ?? 0;
  const email = await googleAccountEmail(sb.env);
  assert.equal(email, 'developer@sandbox.example');
  assert.equal(accountWords(email, sb.env), 'developer@sandbox.example (CLOUDSDK_AUTH_ACCESS_TOKEN)');
  const calls = (await requestLog(sb, since)).filter((r) => r.api === 'tokeninfo');
  assert.deepEqual(
    calls.map((r) => [r.method, r.path, r.status]),
    [['POST', '/tokeninfo', 200]],
  );
});

test('an unknown token, a closed port or a non-JSON answer: no email, and the words name the source', async () => {
  const sb = await useSandbox();
  assert.equal(await googleAccountEmail({ ...sb.env, CLOUDSDK_AUTH_ACCESS_TOKEN: 'ya29.not-a-token' }), undefined);
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const down = { ...sb.env, IAP_AUTH0_GOOGLE_TOKENINFO_URL: `http://127.0.0.1:${port}/tokeninfo` };
  assert.equal(await googleAccountEmail(down), undefined);
  assert.equal(accountWords(undefined, down), 'the access token in CLOUDSDK_AUTH_ACCESS_TOKEN');
  const odd = http.createServer((_q, s) => s.end('<html>proxy login</html>'));
  await new Promise<void>((r) => odd.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(odd.address() as AddressInfo).port}/tokeninfo`;
    assert.equal(await googleAccountEmail({ ...sb.env, IAP_AUTH0_GOOGLE_TOKENINFO_URL: url }), undefined);
  } finally {
    await new Promise((r) => odd.close(r));
  }
});

test('a silent endpoint costs at most the timeout', async () => {
  const silent = http.createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/tokeninfo`;
    const env = { CLOUDSDK_AUTH_ACCESS_TOKEN: 'ya29.x', IAP_AUTH0_GOOGLE_TOKENINFO_URL: url };
    assert.equal(await googleAccountEmail(env, { timeoutMs: 200 }), undefined);
  } finally {
    silent.closeAllConnections();
    await new Promise((r) => silent.close(r));
  }
});
