// Input validation shared by flags, env, state and prompts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as v from 'valibot';
import * as s from '../src/inputs/schema.js';
import * as ids from '../src/lib/ids.js';
import * as google from '../src/sandbox/facts/id-rules.js';

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
