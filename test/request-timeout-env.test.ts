// The request timeout (IAP_AUTH0_REQUEST_TIMEOUT) comes from the environment the core is given, as every
// other setting does (tests and the sandbox supply one), never from this process's own. Each call here
// times out with a 1 s timeout in the given env while this process sets none (the default is 20 s): the
// messages say which timeout applied. Auth0 discovery meets a real black hole (a port that accepts
// connections and never answers); were its timer lost (see the Google case), undici's own 10 s connect
// timeout would still end it, with the same message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { auth0Discovery } from '../src/core/auth0-client.js';
import { gdata } from '../src/core/google-call.js';

/** A loopback port that accepts connections and never answers (not even the TLS handshake). */
async function blackHole(t: { after(fn: () => void | Promise<void>): void }): Promise<string> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

test('the request timeout comes from the env the core is given, not from process.env', async (t) => {
  assert.equal(process.env.IAP_AUTH0_REQUEST_TIMEOUT, undefined, 'this process sets no timeout of its own');

  await t.test('Auth0 discovery', async (t) => {
    const host = await blackHole(t);
    await assert.rejects(
      auth0Discovery(host, { IAP_AUTH0_REQUEST_TIMEOUT: '1s' }),
      new RegExp(`cannot reach Auth0 at https://${host.replace(/\./g, '\\.')}/\\S+ \\(no answer within 1 s\\)`),
    );
  });

  await t.test('a Google call: the breaker gives an endpoint up after two timeouts of the given length', async () => {
    // Each attempt fails as gaxios reports a request aborted by its timeout (the message, and the URL in
    // `config`). Not a real black hole: on Node 20 gaxios's AbortSignal.any([signal, AbortSignal.timeout()])
    // can lose its timeout to garbage collection (nodejs/node#57736) and hang, which a test must not.
    const origin = 'https://cloudresourcemanager.timeout-test.invalid';
    const env = { IAP_AUTH0_REQUEST_TIMEOUT: '1s' };
    let attempts = 0;
    const timedOut = async (): Promise<{ data: unknown }> => {
      attempts++;
      throw Object.assign(new Error('The operation was aborted.'), { config: { url: `${origin}/v3/projects/p` } });
    };
    await assert.rejects(
      gdata({ env, signal: new AbortController().signal, emit: () => undefined }, timedOut),
      new RegExp(`no answer from ${origin.replace(/[.*/]/g, '\\$&')} within 1 s \\(2 tries\\)`),
    );
    assert.equal(attempts, 2, 'given up after two timeouts');
  });
});
