// The Auth0 tenant's Management API and client-credentials token, driven by the real auth0 SDK
// (v7) exactly as the CLI builds it: domain 127.0.0.1:PORT, M2M client id/secret, HTTPS trusted
// through NODE_EXTRA_CA_CERTS. Raw fetch only where the SDK hides the wire (token errors, headers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManagementClient, ManagementError } from 'auth0';
import { decodeJwt } from 'jose';
import { useSandbox, requestLog, control } from './helpers/sandbox.js';
import { seededRandom } from '../src/sandbox/core/faults.js';

const sb = await useSandbox();
const domain = sb.env.AUTH0_DOMAIN;
const origin = `https://${domain}`;
const audience = `${origin}/api/v2/`;
const newMgmt = () =>
  new ManagementClient({ domain, clientId: sb.env.AUTH0_CLIENT_ID, clientSecret: sb.env.AUTH0_CLIENT_SECRET });
const mgmt = newMgmt();
const TAG = { managed_by: 'iap-auth0' };

/** The ManagementError a rejected SDK call threw. */
async function mgmtError(p: Promise<unknown>): Promise<ManagementError & { body: any }> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ManagementError, `expected a ManagementError, got ${e}`);
    return e as ManagementError & { body: any };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** Runs `fn` with the M2M app's grant changed, restoring it afterwards. */
async function withScopes(change: (s: Set<string>) => void, fn: () => Promise<void>): Promise<void> {
  const saved = new Set(sb.world.auth0M2M.scopes);
  change(sb.world.auth0M2M.scopes);
  try {
    await fn();
  } finally {
    sb.world.auth0M2M.scopes.clear();
    for (const s of saved) sb.world.auth0M2M.scopes.add(s);
  }
}

async function token(body: Record<string, string>, init: { json?: boolean; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${origin}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': init.json ? 'application/json' : 'application/x-www-form-urlencoded', ...init.headers },
    body: init.json ? JSON.stringify(body) : new URLSearchParams(body),
  });
  return { status: res.status, json: (await res.json()) as any, headers: res.headers };
}

test('client-credentials token: JWT for the Management API audience with the M2M grant; Auth0 errors', async () => {
  const ok = await token({
    grant_type: 'client_credentials',
    client_id: sb.env.AUTH0_CLIENT_ID,
    client_secret: sb.env.AUTH0_CLIENT_SECRET,
    audience,
  });
  assert.equal(ok.status, 200);
  assert.equal(ok.json.token_type, 'Bearer');
  assert.equal(ok.json.expires_in, 86400);
  assert.deepEqual(ok.json.scope.split(' ').sort(), [...sb.world.auth0M2M.scopes].sort());
  const claims = decodeJwt(ok.json.access_token);
  assert.equal(claims.iss, `${origin}/`);
  assert.equal(claims.aud, audience);
  assert.equal(claims.sub, `${sb.env.AUTH0_CLIENT_ID}@clients`);

  const basic = 'Basic ' + Buffer.from(`${sb.env.AUTH0_CLIENT_ID}:${sb.env.AUTH0_CLIENT_SECRET}`).toString('base64');
  const viaBasicJson = await token(
    { grant_type: 'client_credentials', audience },
    { json: true, headers: { authorization: basic } },
  );
  assert.equal(viaBasicJson.status, 200, 'JSON body and HTTP Basic are accepted');

  const wrong = await token({
    grant_type: 'client_credentials',
    client_id: sb.env.AUTH0_CLIENT_ID,
    client_secret: 'nope',
    audience,
  });
  assert.equal(wrong.status, 401);
  assert.deepEqual(wrong.json, { error: 'access_denied', error_description: 'Unauthorized' });

  const otherApi = await token({
    grant_type: 'client_credentials',
    client_id: sb.env.AUTH0_CLIENT_ID,
    client_secret: sb.env.AUTH0_CLIENT_SECRET,
    audience: 'https://api.example.com/',
  });
  assert.equal(otherApi.status, 403);
  assert.deepEqual(otherApi.json, {
    error: 'access_denied',
    error_description: 'Service not enabled within domain: https://api.example.com/',
  });
});

test('the Management API wants a valid bearer token', async () => {
  const none = await fetch(`${origin}/api/v2/clients`);
  assert.equal(none.status, 401);
  assert.deepEqual(await none.json(), { statusCode: 401, error: 'Unauthorized', message: 'Missing authentication' });
  const bad = await fetch(`${origin}/api/v2/clients`, { headers: { authorization: 'Bearer not-a-jwt' } });
  assert.equal(bad.status, 401);
  assert.equal(((await bad.json()) as any).message, 'Invalid token');
});

test('the tenant has realistic untagged neighbours: Default App and the CLI M2M app', async () => {
  const page = await mgmt.clients.list();
  const byName = new Map(page.data.map((c) => [c.name, c]));
  assert.equal(byName.get('Default App')?.app_type, 'regular_web');
  const m2m = byName.get('iap-auth0 CLI (sandbox)');
  assert.equal(m2m?.app_type, 'non_interactive');
  assert.equal(m2m?.client_id, sb.env.AUTH0_CLIENT_ID);
  for (const c of page.data) assert.notEqual(c.client_metadata?.managed_by, 'iap-auth0', c.name);
});

test('create applies Auth0 defaults, returns the secret, and enables the app on every connection', async () => {
  const created = await mgmt.clients.create({
    name: 'IAP defaults',
    app_type: 'regular_web',
    oidc_conformant: true,
    client_metadata: TAG,
  });
  assert.equal(created.name, 'IAP defaults');
  assert.match(created.client_id!, /^[A-Za-z0-9]{32}$/);
  assert.ok(created.client_secret && created.client_secret.length >= 32);
  assert.equal(created.token_endpoint_auth_method, 'client_secret_post');
  assert.equal(created.is_first_party, true);
  assert.equal(created.oidc_conformant, true);
  assert.equal(created.jwt_configuration?.alg, 'RS256');
  assert.deepEqual(created.callbacks, []);
  const spa = await mgmt.clients.create({ name: 'A SPA', app_type: 'spa' });
  assert.equal(spa.token_endpoint_auth_method, 'none');

  const conns = await mgmt.clients.connections.get(created.client_id!);
  assert.deepEqual(
    conns.data.map((c) => [c.name, c.strategy]),
    [
      ['Username-Password-Authentication', 'auth0'],
      ['sandbox-signups', 'auth0'],
      ['sandbox-entra', 'waad'],
    ],
  );
  const log = await requestLog(sb);
  const post = log.find((r) => r.api === 'auth0' && r.method === 'POST' && r.path === '/api/v2/clients');
  assert.equal(post?.status, 201);
  assert.equal(post?.mutating, true);
});

test('list pages with per_page (0-based page, totals), filters by app_type, and caps per_page at 100', async () => {
  const mine: string[] = [];
  for (let i = 0; i < 5; i++)
    mine.push(
      (await mgmt.clients.create({ name: `paging ${i}`, app_type: 'regular_web', client_metadata: TAG })).client_id!,
    );
  const total = sb.world.auth0Clients.size;
  const seen: string[] = [];
  let page = await mgmt.clients.list({ per_page: 2 });
  assert.equal((page.response as any).total, total);
  assert.equal((page.response as any).limit, 2);
  let pages = 1;
  for (;;) {
    assert.ok(page.data.length <= 2);
    seen.push(...page.data.map((c) => c.client_id!));
    if (!page.hasNextPage()) break;
    page = await page.getNextPage();
    pages++;
  }
  assert.equal(seen.length, total, 'every client exactly once');
  assert.equal(new Set(seen).size, total);
  assert.ok(pages >= Math.ceil(total / 2));
  for (const id of mine) assert.ok(seen.includes(id));

  const second = await mgmt.clients.list({ page: 1, per_page: 2, fields: 'client_id,name', include_fields: true });
  assert.equal((second.response as any).start, 2);
  assert.deepEqual(Object.keys(second.data[0]).sort(), ['client_id', 'name']);

  const m2mOnly = await mgmt.clients.list({ app_type: 'non_interactive' });
  assert.deepEqual(
    m2mOnly.data.map((c) => c.name),
    ['iap-auth0 CLI (sandbox)'],
  );

  const tooMany = await mgmtError(mgmt.clients.list({ per_page: 101 }));
  assert.equal(tooMany.statusCode, 400);
  assert.equal(tooMany.body.errorCode, 'invalid_query_string');
});

test('get, update (arrays replaced, client_metadata merged, null deletes), delete, then 404', async () => {
  const c = await mgmt.clients.create({
    name: 'IAP crud',
    app_type: 'regular_web',
    callbacks: ['https://a.example/cb', 'https://b.example/cb'],
    web_origins: ['https://a.example'],
    client_metadata: { ...TAG, iap_auth0_provider: 'locations/global/workforcePools/p/providers/x', other: 'keep' },
  });
  const id = c.client_id!;
  const got = await mgmt.clients.get(id);
  assert.deepEqual(got.callbacks, ['https://a.example/cb', 'https://b.example/cb']);
  assert.equal(got.client_secret, c.client_secret, 'read:client_keys shows the secret');

  const updated = await mgmt.clients.update(id, {
    callbacks: ['https://c.example/cb'],
    client_metadata: { iap_auth0_provider: null, iap_auth0_schema: '1' } as any,
  });
  assert.deepEqual(updated.callbacks, ['https://c.example/cb'], 'arrays are replaced, not merged');
  assert.deepEqual(updated.web_origins, ['https://a.example'], 'fields not sent are kept');
  assert.deepEqual(updated.client_metadata, { managed_by: 'iap-auth0', other: 'keep', iap_auth0_schema: '1' });
  assert.deepEqual((await mgmt.clients.get(id)).client_metadata, updated.client_metadata);

  await mgmt.clients.delete(id);
  const gone = await mgmtError(mgmt.clients.get(id));
  assert.ok(gone instanceof ManagementError);
  assert.equal(gone.constructor.name, 'NotFoundError');
  assert.equal(gone.statusCode, 404);
  assert.deepEqual(gone.body, {
    statusCode: 404,
    error: 'Not Found',
    message: 'The client does not exist',
    errorCode: 'inexistent_client',
  });
  assert.equal((await mgmtError(mgmt.clients.delete(id))).statusCode, 404);
  assert.ok(!sb.world.auth0Connections[0].enabled_clients.includes(id), 'deleted apps leave the connections');
});

test(
  'validation: initiate_login_uri must be https (not loopback), names without < >, metadata limits, read-only ' +
    'fields',
  async () => {
    for (const bad of [
      'http://svc-abc.a.run.app',
      'https://localhost:4200/login',
      'https://127.0.0.1/x',
      'https://svc.a.run.app/#frag',
    ]) {
      const e = await mgmtError(mgmt.clients.create({ name: 'bad login uri', initiate_login_uri: bad }));
      assert.equal(e.statusCode, 400, bad);
      assert.equal(e.body.errorCode, 'invalid_body');
      assert.equal(
        e.body.message,
        `Payload validation error: 'Object didn't pass validation for format absolute-https-uri-or-empty: ` +
          `${bad}' on property initiate_login_uri (Initiate login uri, must be https).`,
      );
    }
    const good = await mgmt.clients.create({
      name: 'good login uri',
      initiate_login_uri: 'https://svc-abc-uc.a.run.app',
    });
    assert.equal(good.initiate_login_uri, 'https://svc-abc-uc.a.run.app');
    assert.equal((await mgmt.clients.update(good.client_id!, { initiate_login_uri: '' })).initiate_login_uri, '');

    assert.match(
      (await mgmtError(mgmt.clients.create({ name: 'a <b>' }))).body.message,
      /^Payload validation error: .* on property name/,
    );
    assert.match((await mgmtError(mgmt.clients.create({} as any))).body.message, /Missing required property: name/);
    assert.match(
      (await mgmtError(mgmt.clients.create({ name: 'x', app_type: 'bogus' as any }))).body.message,
      /No enum match for: "bogus"/,
    );
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v']));
    assert.match(
      (await mgmtError(mgmt.clients.create({ name: 'x', client_metadata: eleven }))).body.message,
      /Too many properties defined \(11\), maximum 10/,
    );
    assert.match(
      (await mgmtError(mgmt.clients.create({ name: 'x', client_metadata: { k: 'v'.repeat(256) } }))).body.message,
      /maximum 255/,
    );

    for (const field of ['client_id', 'signing_keys', 'tenant', 'global', 'callback_url_template']) {
      const e = await mgmtError(
        mgmt.clients.update(good.client_id!, { [field]: field === 'global' ? false : 'x' } as any),
      );
      assert.equal(e.statusCode, 400, field);
      assert.equal(e.body.message, `Payload validation error: 'Additional properties not allowed: ${field}'.`);
    }
  },
);

test('a token without the needed scope gets 403 insufficient_scope; the secret needs read:client_keys', async () => {
  const c = await mgmt.clients.create({ name: 'scope probe', app_type: 'regular_web' });
  await withScopes(
    (s) => s.delete('create:clients'),
    async () => {
      const e = await mgmtError(newMgmt().clients.create({ name: 'should fail' }));
      assert.equal(e.statusCode, 403);
      assert.equal(e.constructor.name, 'ForbiddenError');
      assert.deepEqual(e.body, {
        statusCode: 403,
        error: 'Forbidden',
        message: 'Insufficient scope, expected any of: create:clients',
        errorCode: 'insufficient_scope',
      });
    },
  );
  await withScopes(
    (s) => s.delete('read:client_keys'),
    async () => {
      const limited = newMgmt();
      const got = await limited.clients.get(c.client_id!);
      assert.equal(got.name, 'scope probe');
      assert.equal(got.client_secret, undefined);
      assert.equal(got.signing_keys, undefined);
      const listed = await limited.clients.list();
      assert.ok(listed.data.every((x) => x.client_secret === undefined));
      const e = await mgmtError(
        limited.clients.update(c.client_id!, { client_secret: 'new-secret-value-that-is-long-enough' }),
      );
      assert.equal(e.statusCode, 403);
      assert.equal(e.body.message, 'Insufficient scope, expected any of: update:client_keys');
    },
  );
});

test(
  '429 under injected faults carries the rate-limit ' + 'headers, and the SDK retries after x-ratelimit-reset',
  async () => {
    // The SDK's own fetch, watched: the headers of the very 429 it got are checked (no elapsed-time
    // bound, which a loaded machine would break; the SDK's wait is its business, the header ours).
    const seen: { path: string; status: number; headers: Headers; before: number; after: number }[] = [];
    const watched = new ManagementClient({
      domain,
      clientId: sb.env.AUTH0_CLIENT_ID,
      clientSecret: sb.env.AUTH0_CLIENT_SECRET,
      fetch: async (input, init) => {
        const before = Date.now();
        const res = await fetch(input, init);
        seen.push({
          path: new URL(input instanceof Request ? input.url : String(input)).pathname,
          status: res.status,
          headers: res.headers,
          before,
          after: Date.now(),
        });
        return res;
      },
    });
    const c = await watched.clients.create({ name: 'retry probe' }); // the SDK now holds a token
    // A seed whose first auth0 draw fails and second passes, for rate 0.5.
    let seed = 1;
    for (; seed < 1000; seed++) {
      const r = seededRandom(seed);
      if (r() < 0.5 && r() >= 0.5) break;
    }
    const since = (await requestLog(sb)).at(-1)?.seq ?? 0;
    await control(sb, '/faults', { spec: 'auth0=0.5:429', seed });
    try {
      const got = await watched.clients.get(c.client_id!);
      assert.equal(got.name, 'retry probe');
      const tries = (await requestLog(sb, since)).filter((r) => r.path === `/api/v2/clients/${c.client_id}`);
      assert.deepEqual(
        tries.map((r) => r.status),
        [429, 200],
      );
      // What the SDK read before retrying: x-ratelimit-reset in epoch seconds, the second after the
      // 429 was sent (bounded by the request's own start and end, so no wall-clock guess).
      const limited = seen.filter((x) => x.path === `/api/v2/clients/${c.client_id}`);
      assert.deepEqual(
        limited.map((x) => x.status),
        [429, 200],
        'the SDK saw the 429 and retried once',
      );
      assert.equal(limited[0].headers.get('x-ratelimit-remaining'), '0');
      const sdkReset = Number(limited[0].headers.get('x-ratelimit-reset'));
      assert.ok(
        Number.isInteger(sdkReset) &&
          sdkReset >= Math.floor(limited[0].before / 1000) + 1 &&
          sdkReset <= Math.floor(limited[0].after / 1000) + 1,
        `reset ${sdkReset} is the epoch second after the 429`,
      );

      // The wire form of the 429, every time (rate just under 1).
      await control(sb, '/faults', { spec: 'auth0=0.999:429', seed: 3 });
      const t = await token({ grant_type: 'client_credentials', client_id: 'x', client_secret: 'y', audience });
      assert.equal(t.status, 429, 'the client-credentials token is rate-limited too');
      const before = Date.now();
      const res = await fetch(`${origin}/api/v2/clients`, { headers: { authorization: 'Bearer x' } });
      const after = Date.now();
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('x-ratelimit-remaining'), '0');
      assert.ok(res.headers.get('x-ratelimit-limit'));
      const reset = Number(res.headers.get('x-ratelimit-reset'));
      assert.ok(
        reset >= Math.floor(before / 1000) + 1 && reset <= Math.floor(after / 1000) + 1,
        `reset ${reset} is epoch seconds, now+1`,
      );
      assert.deepEqual(await res.json(), {
        statusCode: 429,
        error: 'Too Many Requests',
        message: 'Global limit has been reached',
        errorCode: 'too_many_requests',
      });
      // The browser endpoints are not rate-limited.
      assert.equal((await fetch(`${origin}/.well-known/openid-configuration`)).status, 200);
    } finally {
      await control(sb, '/faults', { spec: '' });
    }
  },
);
