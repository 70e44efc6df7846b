// Domain-restricted sharing's fix, as init's hint tells a person to make it, done through the
// sandbox's APIs (what gcloud calls): used by the org-policy tests and the all-at-once test.
import assert from 'node:assert/strict';
import { clientsFor, waitOperation } from './sandbox.js';
import type { Sandbox } from '../../src/sandbox/index.js';

/**
 * What the hint tells the user to run, done through the sandbox's APIs: enable the API, set the policy from the hint's
 * YAML.
 */
export async function applyHintedFix(sb: Sandbox, hint: string): Promise<void> {
  const project = /--project=(\S+)/.exec(hint)![1];
  const { data: op } = await clientsFor(sb).serviceusage.services.enable({
    name: `projects/${project}/services/orgpolicy.googleapis.com`,
  });
  await waitOperation(() => clientsFor(sb).serviceusage.operations.get({ name: op.name! }));
  // The printf '…' of the hint, read as YAML of one name and one allowAll rule.
  const yaml = /printf '([^']+)'/.exec(hint)![1].replace(/\\n/g, '\n');
  const name = /^name: (\S+)$/m.exec(yaml)![1];
  assert.match(yaml, /^spec:\n {2}rules:\n {2}- allowAll: true\n$/m);
  const parent = name.split('/policies/')[0];
  // gcloud org-policies set-policy: get (404 here), then create.
  const url = `${sb.env.CLOUDSDK_API_ENDPOINT_OVERRIDES_ORGPOLICY}v2/`;
  const headers = { authorization: `Bearer ${sb.env.CLOUDSDK_AUTH_ACCESS_TOKEN}`, 'content-type': 'application/json' };
  // A just-enabled API answers 403 SERVICE_DISABLED while the enablement propagates (the
  // realistic profile's window): asked again, as a person would after gcloud's error.
  let status = 403;
  for (let i = 0; i < 300 && status === 403; i++) {
    if (i) await new Promise((r) => setTimeout(r, 100));
    status = (await fetch(url + name, { headers })).status;
  }
  assert.equal(status, 404);
  const r = await fetch(`${url}${parent}/policies`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name, spec: { rules: [{ allowAll: true }] } }),
  });
  assert.equal(r.status, 200, await r.text());
}
