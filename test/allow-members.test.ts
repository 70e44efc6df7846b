// The pure parts of --allow (issue 14): the values accepted and refused, the IAM member each
// grants, the provider's attribute mapping (evaluated by the sandbox's CEL engine, as STS would),
// the Action's code and marker, and the Action stage's decision. Expected values are literals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as v from 'valibot';
import { allowMember, allowSchema, requireSchema } from '../src/inputs/schema.js';
import { desiredMapping } from '../src/core/stages/workforce-provider.js';
import { actionCode, actionName, actionOwner } from '../src/core/stages/auth0-action/code.js';
import { decideAction, type ActionRead } from '../src/core/stages/auth0-action/decide.js';
import { checkCondition, mapAttributes } from '../src/sandbox/frontdoor/attribute-mapping.js';
import { conditionFor, derivedCondition } from '../src/core/stages/workforce-condition.js';
import { allowScopes } from '../src/core/auth0-preflight.js';
import { decideAccess, wantedMembers } from '../src/core/stages/access.js';
import { conditionalMembersOf, membersOf } from '../src/core/iam-policy.js';

const P = 'principalSet://iam.googleapis.com/locations/global/workforcePools/p-123456';
const parse = (x: string) => v.safeParse(allowSchema, x);
const message = (x: string) => {
  const r = parse(x);
  return r.success ? '' : r.issues[0].message;
};

test('--allow values: emails lower-cased, malformed ones and emails given to user: refused naming the fix', () => {
  assert.equal(v.parse(allowSchema, 'email:Alice@Example.COM'), 'email:alice@example.com');
  assert.equal(v.parse(allowSchema, 'role:admin'), 'role:admin');
  assert.equal(v.parse(allowSchema, 'group:engineering'), 'group:engineering');
  assert.equal(v.parse(allowSchema, 'user:auth0|64f1'), 'user:auth0|64f1');
  assert.match(message('email:alice'), /^email:alice: "alice" is not an email address: use email:alice@example\.com$/);
  assert.match(message('email:'), /is not an email address/);
  assert.match(
    message('user:alice@example.com'),
    /is an email address, not an Auth0 user id: use --allow email:alice@/,
  );
  assert.equal(message('role:'), 'role:: the role name is empty: use role:NAME, e.g. role:admin');
  assert.equal(message('group:'), 'group:: the group name is empty: use group:NAME, e.g. group:engineering');
  assert.match(message('role:site admins'), /a role name has no spaces and no slash/);
  assert.match(
    message('alice@example.com'),
    /--allow member is invalid: .* \(for this address: email:alice@example\.com\)/,
  );
  assert.match(message('team:x'), /^--allow member is invalid: use pool, user:/);
});

test('the member each value grants; role: and group: share the groups namespace', () => {
  assert.equal(allowMember('email:alice@example.com', 'p-123456'), `${P}/attribute.email/alice@example.com`);
  assert.equal(allowMember('role:admin', 'p-123456'), `${P}/group/admin`);
  assert.equal(allowMember('group:admin', 'p-123456'), `${P}/group/admin`);
});

test('role:X and group:X name one member: wanted and granted once', () => {
  const inputs: any = { allow: ['role:admin', 'group:admin', 'email:a@b.c', 'role:admin'], pool: 'p-123456' };
  assert.deepEqual(wantedMembers({ inputs }), [`${P}/group/admin`, `${P}/attribute.email/a@b.c`]);
  const state: any = { stage: () => ({ resources: {}, added: [] }) };
  const d = decideAccess({ inputs, state }, 'projects/1/iap_web', [], true);
  assert.deepEqual(d.grant, [`${P}/group/admin`, `${P}/attribute.email/a@b.c`]);
  assert.deepEqual(d.changes[0].members, d.grant);
});

test('conditional bindings: membersOf leaves them out, conditionalMembersOf lists them', () => {
  const role = 'roles/iap.httpsResourceAccessor';
  const policy = {
    bindings: [
      { role, members: ['user:a@x.com'] },
      { role, members: ['user:b@x.com'], condition: { title: 'weekdays', expression: 'request.time < x' } },
      { role, members: ['user:c@x.com'], condition: { expression: 'request.host == "h"' } },
      { role: 'roles/other', members: ['user:d@x.com'], condition: { title: 't', expression: 'e' } },
    ],
  };
  assert.deepEqual(membersOf(policy, role), ['user:a@x.com']);
  assert.deepEqual(conditionalMembersOf(policy, role), [
    { member: 'user:b@x.com', condition: 'weekdays (request.time < x)' },
    { member: 'user:c@x.com', condition: 'request.host == "h"' },
  ]);
});

test('the mapping: google.groups for role:/group:, the verified email for email:', () => {
  assert.deepEqual(desiredMapping(['pool']), {
    'google.subject': 'assertion.sub',
    'google.email': 'assertion.email',
    'google.display_name': 'assertion.name',
  });
  const m = desiredMapping(['email:alice@example.com', 'role:admin']);
  assert.equal(m['google.groups'], "assertion['https://iap-auth0.dev/groups']");
  assert.equal(
    m['attribute.email'],
    'has(assertion.email_verified) && assertion.email_verified == true && has(assertion.email) ? ' +
      "assertion.email.lowerAscii() : ''",
  );
  assert.ok(m['attribute.email'].length <= 2048, 'within the 2048-character limit of a mapping (gcp-api.md 7.1)');
  // Evaluated by the sandbox's CEL engine as STS evaluates it: only a verified address is mapped.
  const email = (claims: Record<string, unknown>) => {
    const r = mapAttributes(m, { sub: 'auth0|x', ...claims });
    assert.ok(r.ok);
    return r.identity.attributes.email;
  };
  assert.deepEqual(email({ email: 'Alice@Example.com', email_verified: true }), ['alice@example.com']);
  assert.deepEqual(email({ email: 'alice@example.com', email_verified: false }), ['']);
  assert.deepEqual(email({ email: 'alice@example.com' }), ['']);
  assert.deepEqual(email({ email: 'alice@example.com', email_verified: 'true' }), ['']);
});

test('the Action: its name and marker carry the setup id; its code names the app and the claim', () => {
  assert.equal(actionName('k3vq7xa2'), 'iap-auth0 groups claim (setup k3vq7xa2)');
  const code = actionCode('k3vq7xa2', 'AbC123');
  assert.equal(
    code.split('\n')[0],
    '// Managed by iap-auth0 (setup k3vq7xa2): iap-auth0 init rewrites this code, iap-auth0 destroy deletes it.',
  );
  assert.match(code, /if \(event\.client\.client_id !== "AbC123"\) return;/);
  assert.match(code, /api\.idToken\.setCustomClaim\("https:\/\/iap-auth0\.dev\/groups", /);
  assert.equal(actionOwner(code), 'k3vq7xa2');
  assert.equal(actionOwner('exports.onExecutePostLogin = async () => {};'), undefined);
});

const ctx = (allow: string[]) => ({ inputs: { allow, setupId: 'k3vq7xa2' } }) as never;
const CODE = actionCode('k3vq7xa2', 'app1');
const live = (o: Partial<NonNullable<ActionRead['action']>> = {}) => ({
  id: 'act1',
  name: 'iap-auth0 groups claim (setup k3vq7xa2)',
  code: CODE,
  status: 'built',
  deployedCode: CODE,
  allChangesDeployed: true,
  ...o,
});
const plan = (allow: string[], read: ActionRead, clientId: string | null = 'app1') =>
  decideAction(ctx(allow), read, clientId ?? undefined).changes.map(
    (c) => `${c.action} ${c.resource}${c.awaits ? ' (awaits)' : ''}`,
  );
const A = 'Auth0 Action "iap-auth0 groups claim (setup k3vq7xa2)"';
const B = 'Auth0 post-login trigger bindings';

test("the Action stage's decision, one write per change", () => {
  assert.deepEqual(plan(['pool'], { bound: false }), ['none Auth0 post-login Action']);
  assert.deepEqual(plan(['role:admin'], { bound: false }), [
    `create ${A}`,
    `create ${A}: deployed version`,
    `update ${B}`,
  ]);
  assert.deepEqual(plan(['group:eng'], { bound: false }, null), [
    `create ${A} (awaits)`,
    `create ${A}: deployed version`,
    `update ${B}`,
  ]);
  assert.deepEqual(plan(['role:admin'], { action: live(), bound: true }), [`none ${A}`]);
  assert.deepEqual(plan(['role:admin'], { action: live(), bound: false }), [`update ${B}`]);
  assert.deepEqual(plan(['role:admin'], { action: live(), bound: true }, 'app2'), [
    `update ${A}`,
    `create ${A}: deployed version`,
  ]);
  assert.deepEqual(plan(['role:admin'], { action: live({ deployedCode: 'old' }), bound: true }), [
    `create ${A}: deployed version`,
  ]);
  assert.deepEqual(plan(['pool'], { action: live(), bound: true }), [`update ${B}`, `delete ${A}`]);
  assert.deepEqual(plan(['pool'], { action: live(), bound: false }), [`delete ${A}`]);
  const foreign = decideAction(ctx(['role:admin']), { action: live({ code: 'x' }), bound: true }, 'app1');
  assert.equal(foreign.do, 'refuse');
  assert.equal(foreign.changes[0].code, 'ACTION_NOT_OURS');
  assert.deepEqual(plan(['pool'], { action: live({ code: 'x' }), bound: true }), ['none Auth0 Action act1']);
});

test('the Auth0 scopes --allow adds to init', () => {
  assert.deepEqual(allowScopes(['pool', 'email:a@b.c', 'user:auth0|x'], false), []);
  assert.deepEqual(allowScopes(['group:eng'], false), [
    'read:actions',
    'create:actions',
    'update:actions',
    'delete:actions',
  ]);
  assert.deepEqual(allowScopes(['role:admin'], false), [
    'read:actions',
    'create:actions',
    'update:actions',
    'delete:actions',
    'read:roles',
  ]);
  assert.deepEqual(allowScopes(['pool'], true), ['read:actions', 'create:actions', 'update:actions', 'delete:actions']);
});

test('the derived attribute condition admits exactly the listed people; nothing to derive with pool', () => {
  assert.equal(derivedCondition(['pool']), '');
  assert.equal(derivedCondition(['pool', 'role:admin']), '');
  assert.equal(derivedCondition([`${P}/*`]), '');
  assert.equal(
    derivedCondition(['user:auth0|a1', 'email:alice@example.com', 'role:admin', 'group:eng', 'group:admin']),
    'assertion.sub in ["auth0|a1"] || (has(attribute.email) && attribute.email in ["alice@example.com"]) || ' +
      '(has(google.groups) && google.groups.exists(g, g in ["admin", "eng"]))',
  );
  assert.equal(derivedCondition(Array.from({ length: 400 }, (_, i) => `role:role-number-${i}`)), '', 'past 4096');
  // Evaluated by the sandbox's CEL engine over what the mapping gives, as STS evaluates it.
  const condition = derivedCondition(['email:alice@example.com', 'role:admin']);
  const mapping = desiredMapping(['email:alice@example.com', 'role:admin']);
  const admits = (claims: Record<string, unknown>) => {
    const m = mapAttributes(mapping, { sub: 'auth0|x', ...claims });
    assert.ok(m.ok);
    return checkCondition(condition, { sub: 'auth0|x', ...claims }, m.identity).ok;
  };
  const G = 'https://iap-auth0.dev/groups';
  assert.equal(admits({ email: 'Alice@example.com', email_verified: true }), true);
  assert.equal(admits({ email: 'alice@example.com', email_verified: false }), false);
  assert.equal(admits({ email: 'bob@example.com', email_verified: true, [G]: ['viewer'] }), false);
  assert.equal(admits({ email: 'bob@example.com', email_verified: true, [G]: ['viewer', 'admin'] }), true);
  assert.equal(admits({}), false);
});

test('--require: a CEL condition replaces the derived one; bad CEL and an over-long one are refused', () => {
  assert.equal(
    conditionFor({ allow: ['role:admin'], require: 'assertion.email_verified == true' }),
    'assertion.email_verified == true',
  );
  assert.equal(
    conditionFor({ allow: ['role:admin'] }),
    '(has(google.groups) && google.groups.exists(g, g in ["admin"]))',
  );
  assert.equal(v.parse(requireSchema, "  'admins' in google.groups "), "'admins' in google.groups");
  assert.equal(v.parse(requireSchema, ''), '');
  const bad = v.safeParse(requireSchema, 'assertion.sub ==');
  assert.ok(!bad.success);
  assert.match(bad.issues[0].message, /^"assertion\.sub ==" is not a CEL expression \(.+\): write a condition such as/);
  const long = v.safeParse(requireSchema, `assertion.sub == "${'a'.repeat(4100)}"`);
  assert.ok(!long.success);
  assert.equal(long.issues[0].message, 'the attribute condition is longer than the 4096 characters Google allows');
});
