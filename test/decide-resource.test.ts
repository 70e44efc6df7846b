// The decision shape the workforce pool, the workforce provider and the OAuth client share
// (src/core/decide-resource.ts): which marker is rewritten, and the undelete / adopt / update /
// none changes, asserted as literal plans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existingChanges, markerToWrite } from '../src/core/decide-resource.js';

const resource = 'locations/global/workforcePools/p1';
const why = {
  undelete: 'it was deleted',
  adopted: '; mappings added',
  update: 'mappings missing',
  asIs: 'as it should be',
};
const base = {
  stage: 'workforce-pool' as const,
  resource,
  use: 'created' as const,
  marker: { owner: 'abcd2345', shared: [] },
  deleted: false,
  adopting: false,
  fields: [] as string[],
};

test('a marker is rewritten only over an iap-auth0 marker that says something else', () => {
  const ours = { owner: 'abcd2345', shared: ['efgh6789', 'ijkl2345'] };
  assert.equal(markerToWrite(ours, { owner: 'abcd2345', shared: ['ijkl2345', 'efgh6789'] }), undefined);
  assert.deepEqual(markerToWrite(ours, { owner: '', shared: ['efgh6789'] }), {
    owner: 'abcd2345',
    shared: ['efgh6789', 'ijkl2345'],
  });
  // Nobody's marker (a resource someone made by hand, adopted): its description is kept.
  assert.equal(markerToWrite({ shared: ['abcd2345'] }, undefined), undefined);
  assert.equal(markerToWrite(undefined, { owner: 'abcd2345', shared: [] }), undefined);
});

test("this setup's resource as it should be: one none, with the decider's words", () => {
  assert.deepEqual(existingChanges(base, why), [
    { stage: 'workforce-pool', action: 'none', resource, reason: 'as it should be' },
  ]);
});

test('a resource already recorded as shared: none, naming its owner', () => {
  const shared = { ...base, use: 'adopted' as const, marker: { owner: 'efgh6789', shared: ['abcd2345'] } };
  assert.deepEqual(existingChanges(shared, why), [
    {
      stage: 'workforce-pool',
      action: 'none',
      resource,
      reason: "iap-auth0 setup efgh6789's: shared, never deleted by this setup",
    },
  ]);
});

test('adopted by this run: one adopt carrying the fields, never an update as well', () => {
  const adopting = {
    ...base,
    use: 'adopted' as const,
    marker: { shared: ['abcd2345'] },
    adopting: true,
    fields: ['attributeMapping'],
  };
  assert.deepEqual(existingChanges(adopting, why), [
    {
      stage: 'workforce-pool',
      action: 'adopt',
      resource,
      reason: "someone else's: used, never deleted by this setup; mappings added",
      fields: ['attributeMapping'],
    },
  ]);
  assert.deepEqual(existingChanges({ ...adopting, fields: [] }, { ...why, adopted: ' (--adopt)' }), [
    {
      stage: 'workforce-pool',
      action: 'adopt',
      resource,
      reason: "someone else's: used, never deleted by this setup (--adopt)",
      fields: [],
    },
  ]);
});

test('fields that differ: one update; what it waits for only when the decider names it', () => {
  const patch = { ...base, fields: ['oidc', 'description'] };
  assert.deepEqual(existingChanges(patch, why), [
    {
      stage: 'workforce-pool',
      action: 'update',
      resource,
      reason: 'mappings missing',
      fields: ['oidc', 'description'],
    },
  ]);
  assert.deepEqual(existingChanges(patch, { ...why, awaits: "the Auth0 app's client id" }), [
    {
      stage: 'workforce-pool',
      action: 'update',
      resource,
      reason: 'mappings missing',
      fields: ['oidc', 'description'],
      awaits: "the Auth0 app's client id",
    },
  ]);
});

test('a deleted resource: undeleted first; with nothing else to change, the undelete is the whole plan', () => {
  assert.deepEqual(existingChanges({ ...base, deleted: true }, why), [
    { stage: 'workforce-pool', action: 'undelete', resource, reason: 'it was deleted' },
  ]);
  assert.deepEqual(existingChanges({ ...base, deleted: true, fields: ['description'] }, why), [
    { stage: 'workforce-pool', action: 'undelete', resource, reason: 'it was deleted' },
    { stage: 'workforce-pool', action: 'update', resource, reason: 'mappings missing', fields: ['description'] },
  ]);
});
