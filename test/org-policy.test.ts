// Domain-restricted sharing end to end. In an organization that enforces
// iam.allowedPolicyMemberDomains, init stops at the deploy stage with ORG_POLICY_DOMAIN_RESTRICTED:
// the message names the constraint and the IAP service agent it refuses, the hint gives Google's
// documented fix as commands for this project; no secret is shown. Applying that fix through the
// Org Policy API (what `gcloud org-policies set-policy` calls), the re-run completes and verify
// passes; putting the organization's policy back keeps the grants; destroy leaves nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useSandbox } from './helpers/sandbox.js';
import { applyHintedFix } from './helpers/org-policy.js';
import { runCli } from './helpers/cli.js';
import { assertNoSecretLeaked } from './helpers/secrets.js';

const AGENT = 'serviceAccount:service-415104041262@gcp-sa-iap.iam.gserviceaccount.com';

test("domain-restricted sharing: a coded error with Google's fix, then a green re-run", async () => {
  const sb = await useSandbox({ orgPolicies: ['iam.allowedPolicyMemberDomains'] });
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-drs-'));
  const outputs: string[] = [];
  const cli = async (args: string[]) => {
    const r = await runCli(args, sb.env, cwd);
    outputs.push(r.stdout, r.stderr);
    return r;
  };

  const first = await cli(['init', '--json', '--service', 'drs']);
  assert.equal(first.code, 1);
  const doc = JSON.parse(first.stdout);
  const deploy = doc.stages.find((s: any) => s.id === 'deploy');
  assert.equal(deploy.ok, false);
  assert.equal(deploy.code, 'ORG_POLICY_DOMAIN_RESTRICTED');
  assert.match(
    deploy.error,
    new RegExp(
      /iam\.allowedPolicyMemberDomains \(domain-restricted sharing\) refuses /.source +
        /serviceAccount:service-415104041262@gcp-sa-iap\.iam\.gserviceaccount\.com in roles\/run\.invoker /.source +
        /on projects\/sandbox-project\/locations\/us-central1\/services\/drs/.source,
    ),
  );
  assert.match(deploy.error, /do not belong to a permitted customer/);
  assert.match(deploy.hint, /gcloud services enable orgpolicy\.googleapis\.com --project=sandbox-project/);
  assert.match(
    deploy.hint,
    new RegExp(
      /printf 'name: projects\/sandbox-project\/policies\/iam\.allowedPolicyMemberDomains\\nspec:\\n {2}r/.source +
        /ules:\\n {2}- allowAll: true\\n' > drs-allow-all\.yaml && gcloud org-policies set-policy /.source +
        /drs-allow-all\.yaml/.source,
    ),
  );
  assert.match(deploy.hint, /re-run iap-auth0 init/);
  assert.match(deploy.hint, /gcloud org-policies delete iam\.allowedPolicyMemberDomains --project=sandbox-project/);
  // Access needs the deploy: it is not attempted; stages that need nothing of it went ahead.
  assert.equal(doc.stages.find((s: any) => s.id === 'access').code, 'DEPENDENCY_FAILED');
  assert.equal(doc.stages.find((s: any) => s.id === 'workforce-pool').ok, true);

  // Without --json: the same message and hint on stderr.
  const plain = await cli(['init', '--yes']);
  assert.equal(plain.code, 1);
  assert.match(plain.stderr, /refuses serviceAccount:service-415104041262@gcp-sa-iap/);
  assert.match(plain.stderr, /hint: the legacy constraint cannot exempt Google's service agents/);

  await applyHintedFix(sb, deploy.hint);
  const fixed = await cli(['init', '--yes']);
  assert.equal(fixed.code, 0, fixed.stderr);
  const key = 'run:projects/415104041262/locations/us-central1/services/drs';
  assert.ok(sb.world.policies.get(key).bindings!.some((b) => b.members.includes(AGENT)));
  const verified = await cli(['verify', '--wait', '1m']);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);

  // Putting the organization's policy back (the hint's last command) keeps the grants.
  const headers = { authorization: `Bearer ${sb.env.CLOUDSDK_AUTH_ACCESS_TOKEN}` };
  const del = await fetch(
    `${sb.env.CLOUDSDK_API_ENDPOINT_OVERRIDES_ORGPOLICY}v2/projects/sandbox-project/policies/iam.allowedPolic` +
      'yMemberDomains',
    { method: 'DELETE', headers },
  );
  assert.equal(del.status, 200);
  assert.equal((await cli(['verify'])).code, 0);
  assert.equal(
    (await cli(['init', '--yes'])).code,
    0,
    'a re-run adds nothing new, so the restored policy does not stop it',
  );
  assert.equal((await cli(['destroy', '--force'])).code, 0);
  assert.equal([...sb.world.runServices.values()].length, 0);
  await assertNoSecretLeaked(sb, outputs, [cwd]);
});
