// Resource Manager through Google's generated clients (v1 and v3): project numbers and parents for
// the three seeded projects, getAncestry up to the organization, organizations, 403 for what the
// caller cannot see, and project IAM read-modify-write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSandbox, clientsFor, googleError, control } from './helpers/sandbox.js';

const PROJECTS = [
  {
    id: 'sandbox-project',
    number: '415104041262',
    v1Parent: { type: 'organization', id: '123456789012' },
    v3Parent: 'organizations/123456789012',
    ancestry: ['project/sandbox-project', 'organization/123456789012'],
  },
  {
    id: 'sandbox-folder-project',
    number: '628205712753',
    v1Parent: { type: 'folder', id: '345678901234' },
    v3Parent: 'folders/345678901234',
    ancestry: ['project/sandbox-folder-project', 'folder/345678901234', 'organization/123456789012'],
  },
  {
    id: 'sandbox-no-org',
    number: '985566250549',
    v1Parent: undefined,
    v3Parent: undefined,
    ancestry: ['project/sandbox-no-org'],
  },
];

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the subtests share one sandbox and run in order
test('Cloud Resource Manager', async (t) => {
  const sb = await useSandbox();
  const c = clientsFor(sb);

  await t.test('no token is 401', async () => {
    const res = await fetch(
      `${sb.env.CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER}v3/projects/sandbox-project`,
    );
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as any).error.status, 'UNAUTHENTICATED');
  });

  for (const p of PROJECTS) {
    await t.test(`${p.id}: v1 get, v3 get by id and number, getAncestry`, async () => {
      const v1 = (await c.crmV1.projects.get({ projectId: p.id })).data;
      assert.equal(v1.projectNumber, p.number, 'the number is a string');
      assert.equal(v1.projectId, p.id);
      assert.equal(v1.lifecycleState, 'ACTIVE');
      assert.ok(v1.name && v1.createTime);
      assert.deepEqual(v1.parent, p.v1Parent);
      assert.equal('parent' in v1, p.v1Parent !== undefined, 'no parent key at all without an organization');

      for (const ref of [p.id, p.number]) {
        const v3 = (await c.crmV3.projects.get({ name: `projects/${ref}` })).data;
        assert.equal(v3.name, `projects/${p.number}`);
        assert.equal(v3.projectId, p.id);
        assert.equal(v3.state, 'ACTIVE');
        assert.equal(v3.parent, p.v3Parent);
        assert.equal('parent' in v3, p.v3Parent !== undefined);
        assert.ok(v3.displayName && v3.createTime && v3.updateTime && v3.etag);
      }

      const anc = (await c.crmV1.projects.getAncestry({ projectId: p.id, requestBody: {} })).data.ancestor!;
      assert.deepEqual(
        anc.map((a) => `${a.resourceId!.type}/${a.resourceId!.id}`),
        p.ancestry,
        'bottom-up',
      );
    });
  }

  await t.test('unknown projects and organizations are 403, as Google answers', async () => {
    for (const call of [
      c.crmV3.projects.get({ name: 'projects/someone-elses' }),
      c.crmV1.projects.get({ projectId: 'someone-elses' }),
      c.crmV1.projects.getAncestry({ projectId: 'someone-elses', requestBody: {} }),
      c.crmV1.projects.getIamPolicy({ resource: 'someone-elses', requestBody: {} }),
      c.crmV3.projects.getIamPolicy({ resource: 'projects/someone-elses', requestBody: {} }),
    ]) {
      const e = await googleError(call);
      assert.equal(e.code, 403);
      assert.equal(e.status, 'PERMISSION_DENIED');
      assert.match(e.message, /projects\/someone-elses/);
    }
    const org = await googleError(c.crmV3.organizations.get({ name: 'organizations/999' }));
    assert.equal(org.code, 403);
    assert.match(org.message, /resourcemanager\.organizations\.get/);
    const mine = (await c.crmV3.organizations.get({ name: 'organizations/123456789012' })).data;
    assert.equal(mine.name, 'organizations/123456789012');
    assert.equal(mine.state, 'ACTIVE');
    assert.equal(mine.displayName, 'sandbox.example');
    assert.ok(mine.directoryCustomerId);
  });

  await t.test('project IAM: read-modify-write with etags, stale etag 409 ABORTED, allUsers refused', async () => {
    const p = (
      await c.crmV1.projects.getIamPolicy({
        resource: 'sandbox-project',
        requestBody: { options: { requestedPolicyVersion: 3 } },
      })
    ).data;
    assert.deepEqual(p.bindings, [{ role: 'roles/owner', members: ['user:developer@sandbox.example'] }]);
    assert.ok(p.etag);
    const bindings = [...p.bindings!, { role: 'roles/viewer', members: ['user:carol@sandbox.example'] }];
    const next = (
      await c.crmV1.projects.setIamPolicy({ resource: 'sandbox-project', requestBody: { policy: { ...p, bindings } } })
    ).data;
    assert.notEqual(next.etag, p.etag);
    // v3 by number sees the same policy.
    const v3 = (await c.crmV3.projects.getIamPolicy({ resource: 'projects/415104041262', requestBody: {} })).data;
    assert.equal(v3.etag, next.etag);
    assert.deepEqual(v3.bindings!.find((b) => b.role === 'roles/viewer')!.members, ['user:carol@sandbox.example']);

    const stale = await googleError(
      c.crmV3.projects.setIamPolicy({
        resource: 'projects/sandbox-project',
        requestBody: { policy: { ...p, bindings } },
      }),
    );
    assert.equal(stale.code, 409);
    assert.equal(stale.status, 'ABORTED');
    assert.equal(
      stale.message,
      'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.',
    );
    for (const member of ['allUsers', 'allAuthenticatedUsers']) {
      const pub = await googleError(
        c.crmV1.projects.setIamPolicy({
          resource: 'sandbox-project',
          requestBody: { policy: { ...next, bindings: [...bindings, { role: 'roles/viewer', members: [member] }] } },
        }),
      );
      assert.equal(pub.code, 400, member);
      assert.equal(pub.status, 'INVALID_ARGUMENT', member);
    }
    const ghost = await googleError(
      c.crmV1.projects.setIamPolicy({
        resource: 'sandbox-project',
        requestBody: {
          policy: {
            ...next,
            bindings: [
              {
                role: 'roles/viewer',
                members: ['serviceAccount:service-415104041262@gcp-sa-iap.iam.gserviceaccount.com'],
              },
            ],
          },
        },
      }),
    );
    assert.equal(ghost.status, 'INVALID_ARGUMENT');
    assert.match(ghost.message, /does not exist/);
    assert.equal(
      (await c.crmV1.projects.getIamPolicy({ resource: 'sandbox-project', requestBody: {} })).data.etag,
      next.etag,
      'refused writes changed nothing',
    );

    // Another client's edit in between makes our etag stale.
    await control(sb, '/iam-policy', {
      resource: 'crm:projects/415104041262',
      policy: { ...next, bindings: [...bindings, { role: 'roles/editor', members: ['user:dave@sandbox.example'] }] },
    });
    assert.equal(
      (
        await googleError(
          c.crmV1.projects.setIamPolicy({
            resource: 'sandbox-project',
            requestBody: { policy: { ...next, bindings } },
          }),
        )
      ).status,
      'ABORTED',
    );
  });

  await t.test('a restricted token gets 403 naming the permission', async () => {
    const { token } = await control(sb, '/tokens', { deny: ['resourcemanager.projects.setIamPolicy'] });
    const limited = clientsFor({ ...sb, env: { ...sb.env, CLOUDSDK_AUTH_ACCESS_TOKEN: token } });
    const p = (await limited.crmV1.projects.getIamPolicy({ resource: 'sandbox-project', requestBody: {} })).data;
    const e = await googleError(
      limited.crmV1.projects.setIamPolicy({ resource: 'sandbox-project', requestBody: { policy: p } }),
    );
    assert.equal(e.code, 403);
    assert.match(
      e.message,
      /Permission 'resourcemanager\.projects\.setIamPolicy' denied on resource 'projects\/sandbox-project'/,
    );
  });
});
