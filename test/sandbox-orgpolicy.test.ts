// Domain-restricted sharing in the sandbox: with the organization enforcing
// iam.allowedPolicyMemberDomains, setIamPolicy on Cloud Run services, IAP resources and the
// project refuses new members outside the organization's customer (service agents, allUsers,
// other domains, workforce pool principals by default) with Google's 400 and its detail, while
// the organization's own people and accounts pass and members already there stay. The Org Policy
// API v2 lets a user apply Google's documented fix (allowAll for the project) and take it back.
// `iap-auth0 sandbox --org-policy … --consistency-delay …` starts with both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useSandbox, clientsFor, waitOperation } from './helpers/sandbox.js';

const NUMBER = '415104041262';
const P = 'sandbox-project';
const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/iap-auth0.js');

async function errorBody(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e: any) {
    return e?.response?.data?.error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
test('domain-restricted sharing and the Org Policy API', async (t) => {
  const sb = await useSandbox({ orgPolicies: ['iam.allowedPolicyMemberDomains'] });
  for (const id of ['iam.googleapis.com', 'run.googleapis.com', 'iap.googleapis.com'])
    sb.world.services.get(NUMBER)!.set(id, { state: 'ENABLED', enabledAt: 0 });
  sb.world.serviceIdentities.set(`${NUMBER}/iap.googleapis.com`, {
    email: 'service-415104041262@gcp-sa-iap.iam.gserviceaccount.com',
    uniqueId: sb.world.newUniqueId(),
  });
  const c = clientsFor(sb);
  const agent = 'serviceAccount:service-415104041262@gcp-sa-iap.iam.gserviceaccount.com'; // gcp-api.md 2.7
  const pool = 'principalSet://iam.googleapis.com/locations/global/workforcePools/some-pool/*';
  const orgpolicy = sb.env.CLOUDSDK_API_ENDPOINT_OVERRIDES_ORGPOLICY;
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${orgpolicy}v2/${path}`, {
      method,
      headers: { authorization: `Bearer ${sb.env.CLOUDSDK_AUTH_ACCESS_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, json: (await r.json()) as any };
  };
  const grantProject = async (member: string, role = 'roles/viewer') => {
    const p = (await c.crmV1.projects.getIamPolicy({ resource: P, requestBody: {} })).data;
    return c.crmV1.projects.setIamPolicy({
      resource: P,
      requestBody: { policy: { ...p, bindings: [...(p.bindings ?? []), { role, members: [member] }] } },
    });
  };
  const run = c.run.projects.locations.services;
  const svc = `projects/${P}/locations/europe-west1/services/drs`;
  const grantRun = async (member: string) => {
    const p = (await run.getIamPolicy({ resource: svc })).data;
    return run.setIamPolicy({
      resource: svc,
      requestBody: {
        policy: { ...p, bindings: [...(p.bindings ?? []), { role: 'roles/run.invoker', members: [member] }] },
      },
    });
  };
  const iapResource = `projects/${NUMBER}/iap_web/cloud_run-europe-west1/services/drs`;
  const grantIap = async (member: string) => {
    const p = (await c.iap.getIamPolicy({ resource: iapResource, requestBody: {} })).data;
    return c.iap.setIamPolicy({
      resource: iapResource,
      requestBody: {
        policy: {
          ...p,
          bindings: [...(p.bindings ?? []), { role: 'roles/iap.httpsResourceAccessor', members: [member] }],
        } as never,
      },
    });
  };

  await t.test('the organization policy is there, readable through the Org Policy API', async () => {
    const r = await call('GET', `organizations/${sb.world.organization.id}/policies/iam.allowedPolicyMemberDomains`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.spec.rules, [{ values: { allowedValues: ['C0sandbox'] } }]);
  });

  await t.test(
    "Cloud Run: the IAP service agent, allUsers and other domains are refused with Google's 400",
    async () => {
      const { data: op } = await run.create({
        parent: `projects/${P}/locations/europe-west1`,
        serviceId: 'drs',
        requestBody: { template: { containers: [{ image: 'us-docker.pkg.dev/cloudrun/container/hello' }] } },
      });
      await waitOperation(() => c.run.projects.locations.operations.get({ name: op.name! }));
      for (const member of [
        agent,
        'allUsers',
        'user:someone@gmail.com',
        `serviceAccount:x@other-project.iam.gserviceaccount.com`,
      ]) {
        const e = await errorBody(grantRun(member));
        assert.equal(e.code, 400, member);
        assert.equal(e.status, 'FAILED_PRECONDITION', member);
        assert.equal(
          e.message,
          'One or more users named in the policy do not belong to a permitted customer, perhaps due to an ' +
            'organization policy.',
        );
        assert.deepEqual(e.details, [
          {
            '@type': 'type.googleapis.com/google.rpc.PreconditionFailure',
            violations: [
              {
                type: 'constraints/iam.allowedPolicyMemberDomains',
                description: 'User is not in permitted organization.',
              },
            ],
          },
        ]);
      }
      // The organization's own people and accounts pass.
      await grantRun('user:alice@sandbox.example');
      await grantRun(`serviceAccount:${NUMBER}-compute@developer.gserviceaccount.com`);
    },
  );

  await t.test(
    "IAP and the project: the same refusal (the project with Resource Manager's text); workforce principals " +
      'too, by default',
    async () => {
      const e = await errorBody(grantIap(pool));
      assert.deepEqual([e.code, e.status], [400, 'FAILED_PRECONDITION']);
      assert.match(e.message, /^One or more users named in the policy do not belong to a permitted customer/);
      const crm = await errorBody(grantProject(agent));
      assert.deepEqual(
        [crm.code, crm.status, crm.message],
        [400, 'FAILED_PRECONDITION', 'One or more users named in the policy do not belong to a permitted customer.'],
      );
      await grantIap('group:iap-users@sandbox.example');
      // The other answer to the open question: workforce principals of the organization's own pools pass.
      sb.world.drsBlocksWorkforce = false;
      sb.world.pools.set('some-pool', {
        poolId: 'some-pool',
        parent: `organizations/${sb.world.organization.id}`,
        sessionDuration: '3600s',
        disabled: false,
        state: 'ACTIVE',
        createdAt: 0,
      });
      try {
        await grantIap(pool);
      } finally {
        sb.world.drsBlocksWorkforce = true;
      }
    },
  );

  await t.test('not retroactive: a member already in the policy does not block a later write', async () => {
    sb.world.policies.set(
      `run:projects/${NUMBER}/locations/europe-west1/services/drs`,
      {
        ...sb.world.policies.get(`run:projects/${NUMBER}/locations/europe-west1/services/drs`),
        bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }],
      },
      {},
    );
    await grantRun('user:bob@sandbox.example');
  });

  await t.test('the Org Policy API needs its API enabled in the project', async () => {
    const r = await call('GET', `projects/${P}/policies/iam.allowedPolicyMemberDomains`);
    assert.equal(r.status, 403);
    assert.equal(r.json.error.details[0].reason, 'SERVICE_DISABLED');
    assert.equal(r.json.error.details[0].metadata.service, 'orgpolicy.googleapis.com');
    const { data: op } = await c.serviceusage.services.enable({
      name: `projects/${P}/services/orgpolicy.googleapis.com`,
    });
    await waitOperation(() => c.serviceusage.operations.get({ name: op.name! }));
  });

  await t.test(
    "Google's documented fix: allowAll for the project (get 404, then create), the grant passes; delete puts " +
      "the organization's policy back",
    async () => {
      const name = `projects/${P}/policies/iam.allowedPolicyMemberDomains`;
      assert.equal((await call('GET', name)).status, 404);
      const eff = await call('GET', `${name}:getEffectivePolicy`);
      assert.deepEqual(
        eff.json.spec.rules,
        [{ values: { allowedValues: ['C0sandbox'] } }],
        'inherited from the organization',
      );
      const bad = await call('POST', `projects/${P}/policies`, { name, spec: { rules: [{ enforce: true }] } });
      assert.equal(bad.status, 400, 'a list constraint takes no enforce');
      const created = await call('POST', `projects/${P}/policies`, { name, spec: { rules: [{ allowAll: true }] } });
      assert.equal(created.status, 200);
      assert.equal(created.json.name, `projects/${NUMBER}/policies/iam.allowedPolicyMemberDomains`);
      assert.equal(
        (await call('POST', `projects/${P}/policies`, { name, spec: { rules: [{ allowAll: true }] } })).status,
        409,
      );
      assert.deepEqual((await call('GET', `${name}:getEffectivePolicy`)).json.spec.rules, [{ allowAll: true }]);
      await grantRun(agent);
      await grantIap(pool);
      await grantProject(agent);
      // set-policy on an existing policy patches it; delete restores inheritance.
      assert.equal(
        (
          await call('PATCH', name, {
            name,
            spec: { rules: [{ values: { allowedValues: ['C0sandbox', 'C0other'] } }] },
          })
        ).status,
        200,
      );
      assert.equal((await call('DELETE', name)).status, 200);
      assert.equal((await call('DELETE', name)).status, 404);
      assert.equal(
        (await errorBody(grantRun('user:carol@elsewhere.example'))).status,
        'FAILED_PRECONDITION',
        'enforced again',
      );
      assert.ok(
        (await run.getIamPolicy({ resource: svc })).data.bindings!.some((b) => b.members!.includes(agent)),
        'the grant made meanwhile stays',
      );
    },
  );

  await t.test('an unknown project answers 403; a bad constraint name 400', async () => {
    assert.equal((await call('GET', 'projects/nobody/policies/iam.allowedPolicyMemberDomains')).status, 403);
    assert.equal((await call('GET', `projects/${P}/policies/not a constraint`)).status, 400);
  });
});

test('without --org-policy nothing is restricted', async () => {
  const sb = await useSandbox();
  assert.equal(sb.world.orgPolicies.size, 0);
});

test('iap-auth0 sandbox --org-policy and --consistency-delay', async () => {
  const { NODE_EXTRA_CA_CERTS: _, ...env } = process.env;
  const child = spawn(
    process.execPath,
    ['--', bin, 'sandbox', '--org-policy', 'iam.allowedPolicyMemberDomains', '--consistency-delay', '2s'],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '',
    err = '';
  const ready = new Promise<void>((r) =>
    child.stderr!.on('data', (d) => {
      err += d;
      if (err.includes('Press Ctrl-C')) r();
    }),
  );
  const vars = await new Promise<Record<string, string>>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (/^IAP_AUTH0_SANDBOX_URL=/m.test(out))
        resolve(
          Object.fromEntries(
            out
              .trim()
              .split('\n')
              .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
          ),
        );
    });
    child.on('exit', (code) => reject(new Error(`sandbox exited early with ${code}: ${err}`)));
  });
  try {
    const world = (await (await fetch(`${vars.IAP_AUTH0_SANDBOX_URL}/world`)).json()) as any;
    assert.deepEqual(
      world.orgPolicies.map((p: any) => p.name),
      ['organizations/123456789012/policies/iam.allowedPolicyMemberDomains'],
    );
    assert.match(vars.CLOUDSDK_API_ENDPOINT_OVERRIDES_ORGPOLICY, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    await ready; // the ready line on stderr follows the variables on stdout
    assert.match(err, /consistency delay 2000 ms, org policy iam\.allowedPolicyMemberDomains/);
  } finally {
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  for (const args of [
    ['--org-policy', 'iam.somethingElse'],
    ['--consistency-delay', 'soon'],
  ]) {
    const bad = spawn(process.execPath, ['--', bin, 'sandbox', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let e = '';
    bad.stderr!.on('data', (d) => (e += d));
    assert.equal(await new Promise((r) => bad.on('exit', r)), 2, args.join(' '));
    assert.match(e, new RegExp(args[0]));
  }
});
