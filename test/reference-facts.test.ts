// The formats both sides build, each checked on its own against literal strings copied from the
// reference notes (../shared/reference/gcp-api.md, auth0.md), never against each other: the
// sandbox's copy (src/sandbox/facts/) and the CLI's (src/lib/ids.ts) could otherwise drift
// together. The example values are the reference's own where it gives one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as sandbox from '../src/sandbox/facts/google-names.js';
import * as sandboxRules from '../src/sandbox/facts/id-rules.js';
import { customClaimKept } from '../src/sandbox/facts/auth0-claims.js';
import {
  IAP_ISSUER as SANDBOX_ISSUER,
  IAP_JWT_LIFETIME_S,
  WORKFORCE_IDENTITY_SOURCE,
} from '../src/sandbox/facts/iap-jwt.js';
import * as cli from '../src/lib/ids.js';
import { IAP_ISSUER as IDENTITY_ISSUER } from 'iap-auth0-identity';

const sides = { sandbox, cli } as const;

for (const [side, f] of Object.entries(sides)) {
  test(`${side}: resource names, URIs and e-mails are the reference's`, () => {
    // gcp-api.md 8.2: the redirect URI IAP's OAuth client must allow, keyed by the generated clientId.
    assert.equal(
      f.IAP_REDIRECT_URI('a1b2c3d4e-5f6a-7b8c-9d0e-1f2a3b4c5d6e'),
      'https://iap.googleapis.com/v1/oauth/clientIds/a1b2c3d4e-5f6a-7b8c-9d0e-1f2a3b4c5d6e:handleRedirect',
    );
    // gcp-api.md 10.3: native IAP on Cloud Run, "example /projects/628205712753/locations/us-central1/services/runiap".
    assert.equal(
      f.IAP_AUDIENCE('628205712753', 'us-central1', 'runiap'),
      '/projects/628205712753/locations/us-central1/services/runiap',
    );
    // gcp-api.md 9.1: live output projects/985566250549/iap_web/cloud_run-us-east4/services/…, underscore.
    assert.equal(
      f.IAP_RUN_RESOURCE('985566250549', 'us-east4', 'mg-guide'),
      'projects/985566250549/iap_web/cloud_run-us-east4/services/mg-guide',
    );
    // gcp-api.md 2.7.
    assert.equal(f.IAP_AGENT_EMAIL('985566250549'), 'service-985566250549@gcp-sa-iap.iam.gserviceaccount.com');
    // gcp-api.md 6.2 and 7.3.
    assert.equal(f.POOL_RESOURCE('keepzero-okta-poc'), 'locations/global/workforcePools/keepzero-okta-poc');
    assert.equal(f.PROVIDER_RESOURCE('my-pool', 'auth0'), 'locations/global/workforcePools/my-pool/providers/auth0');
    // gcp-api.md 7.5:
    // https://auth.cloud.google/signin-callback/locations/global/workforcePools/{POOL_ID}/providers/{PROVIDER_ID}.
    assert.equal(
      'https://auth.cloud.google' + f.SIGNIN_CALLBACK_PATH('my-pool', 'auth0'),
      'https://auth.cloud.google/signin-callback/locations/global/workforcePools/my-pool/providers/auth0',
    );
  });
}

test("the groups claim is namespaced (auth0.md 5), and the sandbox's copy of Auth0's claim rules keeps it", () => {
  // A bare `groups` claim is silently dropped by Auth0; the name must be a URL off Auth0's domains.
  assert.equal(cli.GROUPS_CLAIM, 'https://iap-auth0.dev/groups');
  assert.equal(customClaimKept('https://iap-auth0.dev/groups'), true);
  assert.equal(customClaimKept('groups'), false);
  assert.equal(customClaimKept('roles'), false);
  assert.equal(customClaimKept('https://example.auth0.com/groups'), false);
  assert.equal(customClaimKept('favorite_color'), true, 'non-namespaced names are allowed since 2022-07-28');
});

test("IAP's signed header: issuer, lifetime and identity source (gcp-api.md 10.3)", () => {
  assert.equal(SANDBOX_ISSUER, 'https://cloud.google.com/iap');
  assert.equal(IDENTITY_ISSUER, 'https://cloud.google.com/iap');
  assert.equal(IAP_JWT_LIFETIME_S, 600, '"IAP assertions are valid for 10 minutes"');
  assert.equal(WORKFORCE_IDENTITY_SOURCE, 'WORKFORCE_IDENTITY', 'not WORKFORCE_IDENTITY_FEDERATION');
});

const ruleSides = { sandbox: sandboxRules, cli } as const;
for (const [side, r] of Object.entries(ruleSides)) {
  test(`${side}: id rules accept and refuse what the reference says`, () => {
    const ok = (rule: (id: string) => string | undefined, id: string) =>
      assert.equal(rule(id), undefined, `${id} is valid`);
    const bad = (rule: (id: string) => string | undefined, id: string) => assert.ok(rule(id), `${id} is refused`);
    // gcp-api.md 4.1: 6-30 chars, ^[a-z]([-a-z0-9]*[a-z0-9])$.
    ok(r.serviceAccountId, 'iap-auth0-run');
    bad(r.serviceAccountId, 'short');
    bad(r.serviceAccountId, 'a'.repeat(31));
    bad(r.serviceAccountId, 'run-acct-');
    // gcp-api.md 5.1: letter first, no trailing hyphen, fewer than 50 characters.
    ok(r.runServiceId, 'hello');
    ok(r.runServiceId, 'a'.repeat(49));
    bad(r.runServiceId, 'a'.repeat(50));
    bad(r.runServiceId, 'my-app-');
    bad(r.runServiceId, '1app');
    // gcp-api.md 6.1: 6-63 chars, letter first, no trailing hyphen, gcp- reserved.
    ok(r.workforcePoolId, 'keepzero-okta-poc');
    bad(r.workforcePoolId, 'pool5');
    bad(r.workforcePoolId, 'a'.repeat(64));
    bad(r.workforcePoolId, 'gcp-pool-x');
    // gcp-api.md 7.1: 4-32 chars [a-z0-9-], gcp- reserved.
    ok(r.workforceProviderId, 'auth0');
    bad(r.workforceProviderId, 'abc');
    bad(r.workforceProviderId, 'gcp-auth0');
    bad(r.workforceProviderId, 'Auth0');
    // gcp-api.md 8.1: as a pool id.
    ok(r.oauthClientId, 'iap-auth0-client');
    bad(r.oauthClientId, 'gcp-client');
    bad(r.oauthClientId, 'client-');
    // gcp-api.md 8.4: 4-32 chars [a-z0-9-], gcp- reserved.
    ok(r.oauthCredentialId, 'iap-secret');
    bad(r.oauthCredentialId, 'abc');
    bad(r.oauthCredentialId, 'gcp-secret');
  });
}
