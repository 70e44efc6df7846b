// Input validation shared by flags, env, state and prompts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as v from 'valibot';
import * as s from '../src/inputs/schema.js';
import * as ids from '../src/lib/ids.js';
import * as google from '../src/sandbox/facts/id-rules.js';
import os from 'node:os';
import path from 'node:path';
import { allowListOf, resolveInputs, type InitFlags } from '../src/inputs/resolve.js';

const err = (r: v.SafeParseResult<v.GenericSchema>) => (r.success ? '' : r.issues[0].message);

test('Auth0 domains: URLs pasted from the dashboard are reduced to the host; paths are refused', () => {
  assert.equal(v.parse(s.auth0DomainSchema, 'https://dev-abc.us.auth0.com/'), 'dev-abc.us.auth0.com');
  assert.equal(v.parse(s.auth0DomainSchema, '127.0.0.1:8443'), '127.0.0.1:8443');
  assert.match(err(v.safeParse(s.auth0DomainSchema, 'https://dev-abc.us.auth0.com/api/v2')), /no path/);
  assert.match(err(v.safeParse(s.auth0DomainSchema, 'localhost')), /Auth0 domain/);
  assert.match(err(v.safeParse(s.auth0DomainSchema, 'dev..auth0.com')), /Auth0 domain/);
});

test('ids, images, members, organizations', () => {
  assert.match(err(v.safeParse(s.poolSchema, 'gcp-pool-123')), /reserved/);
  assert.match(err(v.safeParse(s.serviceSchema, 'My_App')), /service name/);
  assert.equal(v.safeParse(s.imageSchema, 'us-docker.pkg.dev/cloudrun/container/hello').success, true);
  assert.equal(
    v.safeParse(s.imageSchema, 'europe-west1-docker.pkg.dev/p/repo/app:v1.2@sha256:' + 'a'.repeat(64)).success,
    true,
  );
  assert.equal(v.safeParse(s.imageSchema, 'Not An Image').success, false);
  assert.equal(v.parse(s.organizationSchema, 'organizations/123456789012'), '123456789012');
  assert.equal(v.safeParse(s.organizationSchema, 'example.com').success, false);
  assert.equal(v.safeParse(s.allowSchema, 'user:auth0|64f1').success, true);
  assert.equal(v.safeParse(s.allowSchema, 'alice@example.com').success, false);
  assert.equal(
    s.allowMember('pool', 'p-123456'),
    'principalSet://iam.googleapis.com/locations/global/workforcePools/p-123456/*',
  );
  assert.equal(
    s.allowMember('user:auth0|x', 'p-123456'),
    'principal://iam.googleapis.com/locations/global/workforcePools/p-123456/subject/auth0|x',
  );
  assert.equal(
    s.allowMember('group:admins', 'p-123456'),
    'principalSet://iam.googleapis.com/locations/global/workforcePools/p-123456/group/admins',
  );
});

test('derived ids always satisfy the real rules, even for the longest names', () => {
  for (const [project, service] of [
    ['sandbox-project', 'hello'],
    ['a'.repeat(30), 'b'.repeat(49)],
    ['my-proj-1', 'x'],
    ['p23456', 'svc-with-hyphen-at-cut-point-aaaaaaaaaaaaaa-b'],
  ]) {
    const d = s.derivedIds(project, 'northamerica-northeast2', service);
    assert.equal(ids.workforcePoolId(d.pool), undefined, d.pool);
    assert.equal(ids.workforceProviderId(d.provider), undefined);
    assert.equal(ids.oauthClientId(d.oauthClient), undefined, d.oauthClient);
    assert.equal(ids.serviceAccountId(d.serviceAccount), undefined, d.serviceAccount);
    // And by the sandbox's own copy of Google's rules (gcp-api.md 4.1, 6.1, 7.1, 8.1), which the CLI's cannot bend.
    for (const [rule, id] of [
      [google.workforcePoolId, d.pool],
      [google.workforceProviderId, d.provider],
      [google.oauthClientId, d.oauthClient],
      [google.serviceAccountId, d.serviceAccount],
    ] as const) {
      assert.equal(rule(id), undefined, id);
    }
    assert.deepEqual(s.derivedIds(project, 'northamerica-northeast2', service), d, 'deterministic');
  }
});

test('every answer of the guided init has its variable; flags win; the state file wins over variables', async () => {
  const base = {
    CLOUDSDK_CONFIG: path.join(os.tmpdir(), 'iap-auth0-no-gcloud-config'),
    GOOGLE_CLOUD_PROJECT: 'p-one-two',
    AUTH0_DOMAIN: 'dev-abc123.us.auth0.com',
  };
  const env = {
    ...base,
    IAP_AUTH0_SERVICE: 'from-env',
    IAP_AUTH0_IMAGE: 'europe-docker.pkg.dev/p-one-two/apps/web:1',
    IAP_AUTH0_ALLOW: 'role:admin, email:Alice@Example.com  group:eng,role:admin',
    IAP_AUTH0_POOL: 'env-pool',
    IAP_AUTH0_PROVIDER: 'env-provider',
    IAP_AUTH0_OAUTH_CLIENT: 'env-oauth-client',
  };
  const resolve = (
    flags: InitFlags,
    e: NodeJS.ProcessEnv = env,
    recorded?: Awaited<ReturnType<typeof resolveInputs>>,
  ) => resolveInputs({ flags, env: e, interactive: false, ...(recorded ? { recorded } : {}) });
  const r = await resolve({});
  assert.equal(r.service, 'from-env');
  assert.equal(r.image, 'europe-docker.pkg.dev/p-one-two/apps/web:1');
  assert.deepEqual(r.allow, ['role:admin', 'email:alice@example.com', 'group:eng']);
  assert.deepEqual([r.pool, r.provider, r.oauthClient], ['env-pool', 'env-provider', 'env-oauth-client']);
  assert.equal(r.deployImage, undefined, 'only --image redeploys an existing service');
  // Flags win over variables.
  const f = await resolve({
    service: 'from-flag',
    image: 'us-docker.pkg.dev/cloudrun/container/hello',
    allow: ['pool'],
    pool: 'flag-pool',
    provider: 'flag-provider',
    oauthClient: 'flag-oauth-client',
  });
  assert.deepEqual(
    [f.service, f.image, f.allow, f.pool, f.provider, f.oauthClient],
    [
      'from-flag',
      'us-docker.pkg.dev/cloudrun/container/hello',
      ['pool'],
      'flag-pool',
      'flag-provider',
      'flag-oauth-client',
    ],
  );
  // A re-run: what the state file recorded wins over ambient variables (as for AUTH0_DOMAIN).
  const first = await resolve({ service: 'hello' }, base);
  const again = await resolve({}, env, first);
  assert.deepEqual(
    [again.service, again.image, again.allow, again.pool, again.oauthClient],
    [first.service, first.image, ['pool'], first.pool, first.oauthClient],
  );
  // Without any: the missing message names the variable too.
  await assert.rejects(resolve({}, base), /missing --service \(or set IAP_AUTH0_SERVICE\)/);
});

test('a bad value from a variable is refused naming the variable', async () => {
  const env = {
    CLOUDSDK_CONFIG: path.join(os.tmpdir(), 'iap-auth0-no-gcloud-config'),
    GOOGLE_CLOUD_PROJECT: 'p-one-two',
    AUTH0_DOMAIN: 'dev-abc123.us.auth0.com',
    IAP_AUTH0_SERVICE: 'hello',
  };
  const bad = (name: string, value: string) =>
    resolveInputs({ flags: {}, env: { ...env, [name]: value }, interactive: false });
  await assert.rejects(bad('IAP_AUTH0_SERVICE', 'Bad_Name'), /^Error: IAP_AUTH0_SERVICE: service name "Bad_Name"/);
  await assert.rejects(bad('IAP_AUTH0_IMAGE', 'not an image'), /^Error: IAP_AUTH0_IMAGE: /);
  await assert.rejects(bad('IAP_AUTH0_POOL', 'gcp-reserved'), /^Error: IAP_AUTH0_POOL: .*reserved/);
  await assert.rejects(bad('IAP_AUTH0_PROVIDER', 'Provider!'), /^Error: IAP_AUTH0_PROVIDER: /);
  await assert.rejects(bad('IAP_AUTH0_OAUTH_CLIENT', 'x'), /^Error: IAP_AUTH0_OAUTH_CLIENT: /);
  await assert.rejects(
    bad('IAP_AUTH0_ALLOW', 'role:admin alice@example.com'),
    /^Error: IAP_AUTH0_ALLOW: .*email:alice/,
  );
  // A flag given instead is judged, not the variable: the flag wins.
  assert.equal(
    (
      await resolveInputs({
        flags: { pool: 'good-pool' },
        env: { ...env, IAP_AUTH0_POOL: 'gcp-x' },
        interactive: false,
      })
    ).pool,
    'good-pool',
  );
  // Commas, spaces or both between members; blank means unset.
  assert.deepEqual(allowListOf(' role:a,role:b  email:c@d.io ,, '), ['role:a', 'role:b', 'email:c@d.io']);
  assert.deepEqual(allowListOf('  '), []);
  assert.deepEqual(
    (await resolveInputs({ flags: {}, env: { ...env, IAP_AUTH0_ALLOW: ' ' }, interactive: false })).allow,
    ['pool'],
  );
});
