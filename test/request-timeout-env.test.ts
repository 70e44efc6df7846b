// The request timeout (IAP_AUTH0_REQUEST_TIMEOUT) comes from the environment the core is given, as every
// other setting does (tests and the sandbox supply one), never from this process's own. Each call here
// meets a black hole (a port that accepts connections and never answers) with a 1 s timeout in the
// given env while this process sets none (the default is 20 s): the messages say which timeout applied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { auth0Discovery } from '../src/core/auth0-client.js';
import { gdata } from '../src/core/google-call.js';
import { googleClients } from '../src/google/clients.js';
import { useSandbox, control } from './helpers/sandbox.js';

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

  await t.test('a Google call: the breaker gives the endpoint up after two timeouts of the given length', async () => {
    // The sandbox's black hole: it accepts the request and never answers (docs/SANDBOX.md, faults).
    const sb = await useSandbox();
    await control(sb, '/faults', { spec: 'cloudresourcemanager=1:hang' });
    const env = { ...sb.env, IAP_AUTH0_REQUEST_TIMEOUT: '1s' };
    const origin = new URL(sb.env.CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER).origin;
    const signal = new AbortController().signal;
    const google = googleClients(env, { signal });
    try {
      await assert.rejects(
        gdata({ env, signal, emit: () => undefined }, () => google.crmV3.projects.get({ name: 'projects/p-one-two' })),
        new RegExp(`no answer from ${origin.replace(/[.*/]/g, '\\$&')} within 1 s \\(2 tries\\)`),
      );
    } finally {
      await control(sb, '/faults', { spec: '' });
    }
  });
});
