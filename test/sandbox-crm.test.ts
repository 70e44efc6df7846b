// Resource Manager through Google's generated clients: project numbers and parents (v1 and v3),
// the organization behind a folder, projects without one, and project IAM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSandbox, clientsFor, googleError } from './helpers/sandbox.js';

test('Cloud Resource Manager', async (t) => {
  const sb = await useSandbox();
  const c = clientsFor(sb);

  await t.test('v1 and v3 project get: number as a string, parent', async () => {
    const v1 = (await c.crmV1.projects.get({ projectId: 'sandbox-project' })).data;
    assert.equal(v1.projectNumber, '415104041262');
    assert.deepEqual(v1.parent, { type: 'organization', id: '123456789012' });
    const v3 = (await c.crmV3.projects.get({ name: 'projects/sandbox-project' })).data;
    assert.equal(v3.name, 'projects/415104041262');
    assert.equal(v3.parent, 'organizations/123456789012');
    assert.equal((await c.crmV3.projects.get({ name: 'projects/415104041262' })).data.projectId, 'sandbox-project');
  });

  await t.test('a project in a folder finds its organization through getAncestry', async () => {
    assert.equal((await c.crmV3.projects.get({ name: 'projects/sandbox-folder-project' })).data.parent, 'folders/345678901234');
    const anc = (await c.crmV1.projects.getAncestry({ projectId: 'sandbox-folder-project', requestBody: {} })).data.ancestor!;
    assert.deepEqual(anc.map((a) => `${a.resourceId!.type}/${a.resourceId!.id}`), ['project/sandbox-folder-project', 'folder/345678901234', 'organization/123456789012']);
  });

  await t.test('a project without organization has no parent', async () => {
    const v3 = (await c.crmV3.projects.get({ name: 'projects/sandbox-no-org' })).data;
    assert.equal(v3.parent, undefined);
    const anc = (await c.crmV1.projects.getAncestry({ projectId: 'sandbox-no-org', requestBody: {} })).data.ancestor!;
    assert.equal(anc.length, 1);
  });

  await t.test('unknown projects and organizations are 403, as Google answers', async () => {
    const e = await googleError(c.crmV3.projects.get({ name: 'projects/someone-elses' }));
    assert.equal(e.code, 403);
    assert.equal(e.status, 'PERMISSION_DENIED');
    assert.equal((await googleError(c.crmV3.organizations.get({ name: 'organizations/999' }))).code, 403);
    assert.equal((await c.crmV3.organizations.get({ name: 'organizations/123456789012' })).data.state, 'ACTIVE');
  });

  await t.test('project IAM: read-modify-write with etags, stale etag ABORTED, allUsers refused', async () => {
    const p = (await c.crmV1.projects.getIamPolicy({ resource: 'sandbox-project', requestBody: { options: { requestedPolicyVersion: 3 } } })).data;
    assert.ok(p.bindings!.some((b) => b.role === 'roles/owner'));
    const bindings = [...p.bindings!, { role: 'roles/viewer', members: ['user:carol@sandbox.example'] }];
    const next = (await c.crmV1.projects.setIamPolicy({ resource: 'sandbox-project', requestBody: { policy: { ...p, bindings } } })).data;
    assert.notEqual(next.etag, p.etag);
    const stale = await googleError(c.crmV3.projects.setIamPolicy({ resource: 'projects/sandbox-project', requestBody: { policy: { ...p, bindings } } }));
    assert.equal(stale.code, 409);
    assert.equal(stale.status, 'ABORTED');
    const pub = await googleError(c.crmV1.projects.setIamPolicy({ resource: 'sandbox-project', requestBody: { policy: { ...next, bindings: [...bindings, { role: 'roles/viewer', members: ['allUsers'] }] } } }));
    assert.equal(pub.status, 'INVALID_ARGUMENT');
    const ghost = await googleError(c.crmV1.projects.setIamPolicy({ resource: 'sandbox-project', requestBody: { policy: { ...next, bindings: [{ role: 'roles/viewer', members: ['serviceAccount:service-415104041262@gcp-sa-iap.iam.gserviceaccount.com'] }] } } }));
    assert.match(ghost.message, /does not exist/);
  });
});
