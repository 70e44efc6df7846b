// The endpoint variables the CLI honours (gcloud's CLOUDSDK_API_ENDPOINT_OVERRIDES_*).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiRoots, signinOrigin, EndpointError } from '../src/google/endpoints.js';
import * as ids from '../src/lib/ids.js';

test('real hosts by default, overrides by origin', () => {
  assert.equal(apiRoots({}).iap, 'https://iap.googleapis.com/');
  const roots = apiRoots({
    CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM: 'http://127.0.0.1:7101',
    CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN: 'https://run.example/v2/',
  });
  assert.equal(roots.iam, 'http://127.0.0.1:7101/');
  assert.equal(roots.run, 'https://run.example/');
  assert.equal(roots.cloudresourcemanager, 'https://cloudresourcemanager.googleapis.com/');
});

test('an override with a path prefix or a bad URL is refused with the variable named', () => {
  assert.throws(
    () => apiRoots({ CLOUDSDK_API_ENDPOINT_OVERRIDES_IAP: 'http://127.0.0.1:7101/iap/' }),
    (e: EndpointError) =>
      e instanceof EndpointError &&
      /CLOUDSDK_API_ENDPOINT_OVERRIDES_IAP/.test(e.message) &&
      /path prefix/.test(e.message),
  );
  assert.throws(() => apiRoots({ CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM: 'not a url' }), /not a URL/);
  assert.throws(() => apiRoots({ CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM: 'ftp://x/' }), /only http and https/);
});

test('sign-in origin', () => {
  assert.equal(signinOrigin({}), 'https://auth.cloud.google');
  assert.equal(signinOrigin({ IAP_AUTH0_SIGNIN_ORIGIN: 'https://127.0.0.1:9/' }), 'https://127.0.0.1:9');
});

test('id rules match the real ones', () => {
  assert.equal(ids.workforcePoolId('iap-auth0-pool'), undefined);
  for (const bad of ['short', 'gcp-reserved-pool', 'trailing-', 'Upper-case', '1starts-with-digit', 'a'.repeat(64)]) {
    assert.match(ids.workforcePoolId(bad) ?? '', /workforce pool id/, bad);
  }
  assert.equal(ids.workforceProviderId('auth0'), undefined);
  assert.ok(ids.workforceProviderId('abc'));
  assert.ok(ids.workforceProviderId('gcp-auth0'));
  assert.equal(ids.runServiceId('my-app'), undefined);
  assert.ok(ids.runServiceId('my-app-'));
  assert.ok(ids.runServiceId('a'.repeat(50)));
  assert.equal(ids.serviceAccountId('iap-auth0-run'), undefined);
  assert.ok(ids.serviceAccountId('short'));
  assert.equal(ids.projectId('sandbox-project'), undefined);
  assert.ok(ids.projectId('my-google-project'));
  assert.equal(ids.IAP_REDIRECT_URI('abc'), 'https://iap.googleapis.com/v1/oauth/clientIds/abc:handleRedirect');
});
