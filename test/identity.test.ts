// iap-auth0-identity, the library apps import: a real assertion from the sandbox's IAP verifies;
// every way an assertion can be wrong is refused with its own code; IAP key rotation is picked
// up (an unknown kid refetches the key set, with a cool-down); the middleware works in plain http
// and Express and never trusts the unsigned x-goog-authenticated-user-* headers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import Fastify from 'fastify';
import { SignJWT, exportJWK, generateKeyPair, base64url, type JWK } from 'jose';
import {
  verifyIapAssertion,
  iapAudience,
  iapMiddleware,
  iapFastifyHook,
  IapAssertionError,
  type IapAssertionErrorCode,
} from 'iap-auth0-identity';
// The sandbox IAP's signer (its own copy of the reference's claims shape), so the library is checked
// against IAP as the reference describes it, not against the CLI's `dev` signer.
import { IapSigner } from '../src/sandbox/frontdoor/iap-signer.js';
import { useSandbox, moveClock } from './helpers/sandbox.js';
import { runCli } from './helpers/cli.js';
import { Browserless } from './helpers/browserless.js';

// gcp-api.md 10.3: /projects/{PROJECT_NUMBER}/locations/{REGION}/services/{SERVICE}, for the seeded project.
const AUD = '/projects/415104041262/locations/europe-west1/services/hello';
const now = () => Math.floor(Date.now() / 1000);

/** Serves a JWK Set on loopback and counts how often it was fetched. */
async function keyServer(keys: () => { keys: JWK[] }) {
  let fetches = 0;
  const server = http.createServer((_req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(keys()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks`;
  return {
    url,
    fetches: () => fetches,
    close: () =>
      new Promise((r) => {
        server.close(r);
        server.closeAllConnections();
      }),
  };
}

/** A hand-made IAP-like key for assertions with any claims and header. */
async function forger() {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const claims = (extra: Record<string, unknown> = {}) => ({
    iss: 'https://cloud.google.com/iap',
    aud: AUD,
    sub: 'sts.google.com:abc',
    email: 'alice@example.com',
    iat: now(),
    exp: now() + 600,
    identity_source: 'WORKFORCE_IDENTITY',
    workforce_identity: {
      iam_principal: 'principal://iam.googleapis.com/locations/global/workforcePools/p/subject/alice',
      workforce_pool_name: 'locations/global/workforcePools/p',
    },
    ...extra,
  });
  const sign = (extra: Record<string, unknown> = {}, kid = 'k1', drop: string[] = []) => {
    const c: Record<string, unknown> = claims(extra);
    for (const k of drop) delete c[k];
    return new SignJWT(c).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey);
  };
  return { jwk, sign, claims };
}

test("a real assertion, minted by the sandbox's IAP after a sign-in, verifies", async () => {
  const sb = await useSandbox();
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-identity-'));
  const init = await runCli(['init', '--yes', '--service', 'hello', '--region', 'europe-west1'], sb.env, cwd);
  assert.equal(init.code, 0, init.stderr);
  await moveClock(sb, sb.world.profile.iamPropagationMs + 20); // the access binding propagates
  const uri = JSON.parse(await readFile(path.join(cwd, '.iap-auth0', 'state.json'), 'utf8')).stages.deploy.resources
    .uri;
  const page = await new Browserless().signIn(
    `${uri}/__app/whoami`,
    sb.env.IAP_AUTH0_TEST_USER_EMAIL,
    sb.env.IAP_AUTH0_TEST_USER_PASSWORD,
  );
  assert.equal(page.status, 200, page.text.slice(0, 300));
  const { assertion, audience } = JSON.parse(page.text);
  assert.equal(audience, AUD);
  const id = await verifyIapAssertion(assertion, { audience: AUD, jwksUrl: sb.env.IAP_AUTH0_IAP_JWKS_URL });
  assert.equal(id.email, sb.env.IAP_AUTH0_TEST_USER_EMAIL);
  assert.match(id.subject, /^sts\.google\.com:/);
  assert.match(
    id.principal!,
    new RegExp(
      /^principal:\/\/iam\.googleapis\.com\/locations\/global\/workforcePools\/iap-hello-europe-west1-san/.source +
        /dbox-project\/subject\//.source,
    ),
  );
  assert.equal(id.workforcePool, 'locations/global/workforcePools/iap-hello-europe-west1-sandbox-project');
  assert.equal(id.identitySource, 'WORKFORCE_IDENTITY');
  assert.ok(id.expiresAt > id.issuedAt);
  // The audience read from IAP_AUDIENCE, as init sets it on the service.
  const again = await verifyIapAssertion(assertion, {
    env: { IAP_AUDIENCE: AUD },
    jwksUrl: sb.env.IAP_AUTH0_IAP_JWKS_URL,
  });
  assert.equal(again.email, id.email);
});

test('every wrong assertion is refused with its own code', async () => {
  const f = await forger();
  const ks = await keyServer(() => ({ keys: [f.jwk] }));
  const opts = { audience: AUD, jwksUrl: ks.url };
  const good = await f.sign();
  assert.equal((await verifyIapAssertion(good, opts)).email, 'alice@example.com');
  const [h, p, s] = good.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
  const hs256 = await new SignJWT(f.claims())
    .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
    .sign(new TextEncoder().encode(JSON.stringify(f.jwk)));
  const { privateKey: stranger } = await generateKeyPair('ES256');
  const cases: [string, Promise<string> | string, IapAssertionErrorCode, Record<string, unknown>?][] = [
    [
      'tampered payload',
      `${h}.${base64url.encode(JSON.stringify({ ...payload, email: 'mallory@example.com' }))}.${s}`,
      'bad_signature',
    ],
    [
      'signed by another key with the same kid',
      new SignJWT(f.claims()).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(stranger),
      'bad_signature',
    ],
    ['expired', f.sign({ iat: now() - 1200, exp: now() - 600 }), 'expired'],
    ['issued in the future', f.sign({ iat: now() + 600, exp: now() + 1200 }), 'not_yet_valid'],
    ['not valid before later', f.sign({ nbf: now() + 600 }), 'not_yet_valid'],
    ['another audience', f.sign({ aud: '/projects/1/locations/europe-west1/services/other' }), 'wrong_audience'],
    [
      'a project id in the audience',
      f.sign({ aud: '/projects/sandbox-project/locations/europe-west1/services/hello' }),
      'wrong_audience',
    ],
    ['another issuer', f.sign({ iss: 'https://accounts.google.com' }), 'wrong_issuer'],
    ['an issuer with a trailing slash', f.sign({ iss: 'https://cloud.google.com/iap/' }), 'wrong_issuer'],
    ['alg none', `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${p}.`, 'wrong_algorithm'],
    ['HS256 signed with the public key', hs256, 'wrong_algorithm'],
    ['missing exp', f.sign({}, 'k1', ['exp']), 'missing_claim'],
    ['missing iat', f.sign({}, 'k1', ['iat']), 'missing_claim'],
    ['unknown kid', f.sign({}, 'k-unknown'), 'unknown_key'],
    ['no header at all', '', 'missing'],
    ['not a JWT', 'hello.world', 'malformed'],
  ];
  for (const [name, token, code] of cases) {
    await assert.rejects(
      verifyIapAssertion(await token, opts),
      (e: unknown) => {
        assert.ok(e instanceof IapAssertionError, `${name}: ${e}`);
        assert.equal(e.code, code, `${name}: ${e.message}`);
        return true;
      },
      name,
    );
  }
  await assert.rejects(verifyIapAssertion(good, { jwksUrl: ks.url, env: {} }), { code: 'misconfigured' });
  await ks.close();
});

test('IAP key rotation is picked up; an unknown kid refetches at most once per cool-down', async () => {
  const signer = await IapSigner.create();
  const ks = await keyServer(() => signer.jwks());
  const mint = () =>
    signer.sign({
      aud: AUD,
      email: 'alice@example.com',
      sub: 'sts.google.com:abc',
      iamPrincipal: 'principal://x',
      poolName: 'locations/global/workforcePools/p',
      iat: now(),
    });
  const opts = { audience: AUD, jwksUrl: ks.url, keyRefetchCooldownSec: 0 };
  await verifyIapAssertion(await mint(), opts);
  await verifyIapAssertion(await mint(), opts);
  assert.equal(ks.fetches(), 1, 'the key set is cached');
  await signer.rotate();
  assert.equal(
    (await verifyIapAssertion(await mint(), opts)).email,
    'alice@example.com',
    'a token signed with the new key verifies',
  );
  assert.equal(ks.fetches(), 2, 'the unknown kid caused one refetch');
  // With the default 30 s cool-down, a second unknown kid right away does not hammer the server.
  const slow = { audience: AUD, jwksUrl: ks.url + '?2' };
  await verifyIapAssertion(await mint(), slow);
  await signer.rotate();
  await assert.rejects(verifyIapAssertion(await mint(), slow), { code: 'unknown_key' });
  assert.equal(ks.fetches(), 3, 'no refetch inside the cool-down');
  await ks.close();
});

test('the dev key set is used only when opted in, only on loopback, never on Cloud Run', async () => {
  const f = await forger();
  const ks = await keyServer(() => ({ keys: [f.jwk] }));
  const token = await f.sign();
  assert.equal(
    (await verifyIapAssertion(token, { audience: AUD, env: { IAP_AUTH0_DEV_JWKS_URL: ks.url } })).email,
    'alice@example.com',
  );
  await assert.rejects(
    verifyIapAssertion(token, { audience: AUD, env: { IAP_AUTH0_DEV_JWKS_URL: ks.url, K_SERVICE: 'hello' } }),
    (e: IapAssertionError) => e.code === 'misconfigured' && /Cloud Run/.test(e.message),
  );
  await assert.rejects(
    verifyIapAssertion(token, { audience: AUD, env: { IAP_AUTH0_DEV_JWKS_URL: 'https://keys.example.com/jwks' } }),
    (e: IapAssertionError) => e.code === 'misconfigured' && /localhost/.test(e.message),
  );
  await ks.close();
});

test(
  'middleware: plain http and Express attach the identity or answer 401 JSON; unsigned headers are never ' + 'trusted',
  async () => {
    const f = await forger();
    const ks = await keyServer(() => ({ keys: [f.jwk] }));
    const guard = iapMiddleware({ audience: AUD, jwksUrl: ks.url });
    const plain = http.createServer((req, res) =>
      guard(req, res, () => res.end(JSON.stringify({ email: (req as any).iapIdentity.email }))),
    );
    const app = express();
    app.use(iapMiddleware({ audience: AUD, jwksUrl: ks.url }));
    app.get('/', (req, res) => {
      res.json({ email: (req as any).iapIdentity.email });
    });
    for (const [name, server] of [
      ['plain http', plain],
      ['Express', http.createServer(app)],
    ] as const) {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
      const ok = await fetch(url, { headers: { 'x-goog-iap-jwt-assertion': await f.sign() } });
      assert.equal(ok.status, 200, name);
      assert.deepEqual(await ok.json(), { email: 'alice@example.com' });
      const forged = await fetch(url, {
        headers: { 'x-goog-authenticated-user-email': 'accounts.google.com:boss@example.com' },
      });
      assert.equal(forged.status, 401, `${name}: the unsigned header alone is refused`);
      assert.equal(forged.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.deepEqual(await forged.json(), {
        error: 'unauthorized',
        code: 'missing',
        message: 'no x-goog-iap-jwt-assertion header: the request did not come through IAP',
      });
      const expired = await fetch(url, {
        headers: { 'x-goog-iap-jwt-assertion': await f.sign({ iat: now() - 1200, exp: now() - 600 }) },
      });
      assert.equal(expired.status, 401);
      assert.equal(((await expired.json()) as { code: string }).code, 'expired');
      await new Promise((r) => {
        server.close(r);
        server.closeAllConnections();
      });
    }
    await ks.close();
  },
);

test('Fastify hook: the identity on the request, or 401 JSON before the handler runs', async () => {
  const f = await forger();
  const ks = await keyServer(() => ({ keys: [f.jwk] }));
  const app = Fastify();
  let handled = 0;
  app.addHook('onRequest', iapFastifyHook({ audience: AUD, jwksUrl: ks.url }));
  app.get('/', async (request) => {
    handled++;
    return { email: (request as any).iapIdentity.email };
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const ok = await fetch(url, { headers: { 'x-goog-iap-jwt-assertion': await f.sign() } });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { email: 'alice@example.com' });
    const bad = await fetch(url, {
      headers: { 'x-goog-iap-jwt-assertion': await f.sign({ aud: '/projects/1/locations/x/services/y' }) },
    });
    assert.equal(bad.status, 401);
    assert.equal(((await bad.json()) as { code: string }).code, 'wrong_audience');
    assert.equal(handled, 1, 'the handler ran only for the verified request');
  } finally {
    await app.close();
    await ks.close();
  }
});

test('iapAudience uses the project number', () => {
  assert.equal(
    iapAudience({ projectNumber: 415104041262, region: 'us-central1', service: 'app' }),
    '/projects/415104041262/locations/us-central1/services/app',
  );
  assert.throws(
    () => iapAudience({ projectNumber: 'sandbox-project', region: 'us-central1', service: 'app' }),
    /project NUMBER/,
  );
});
