// Words at the terminal's width (issue 15): a refusal and its hints as the CLI prints them, wrapped
// at word boundaries (wrap.ts) with continuation lines under the text, left as they are off a
// terminal; and members in the plan's words (`email alice@…`, `role admin`, `everyone in the pool`),
// a raw principal only for a raw --allow value. Pure; expected values are literals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorLines, proseLines, proseWidth } from '../src/cli/wrap.js';
import { allowWords, memberWords, membersInWords } from '../src/lib/member-words.js';
import { allowMember } from '../src/inputs/schema.js';
import { decideAccess, inWords } from '../src/core/stages/access.js';

// The refusal seen at 80 columns ("…/service" / "s/budget", "records w" / "hat it changed").
const MESSAGE =
  'nothing was changed: 2 resources this setup would use are not its own\n' +
  '  - service account projects/sandbox-project/serviceAccounts/' +
  'iap-budget-us-central1@sandbox-project.iam.gserviceaccount.com exists but was not created by iap-auth0\n' +
  '  - Cloud Run service projects/sandbox-project/locations/us-central1/services/budget exists but was not ' +
  'created by iap-auth0';
const HINT =
  'pass --adopt to use them (iap-auth0 changes only what IAP needs, records what it changed, and never deletes ' +
  'them), or choose other ids with --service, --service-account\n  hint: or run iap-auth0 init --setup other';

/**
 * The lines give back the text: each line's content (after its indent) continues the text where the
 * previous one stopped, and a line ends either at a space of the text (a word boundary) or, inside
 * one token too long for a line, right after a "/", "@", "." or "-" (never inside letters or digits).
 */
function assertWordBoundaries(text: string, lines: string[], width: number): void {
  const flat = text.replace(/\s+/g, ' ');
  let at = 0;
  for (const [i, line] of lines.entries()) {
    const content = i === 0 ? line : line.trimStart();
    if (flat[at] === ' ') at++; // a line that starts a line of the text: its own indent was trimmed
    assert.equal(flat.slice(at, at + content.length), content, `line ${i} continues the text: ${line}`);
    at += content.length;
    if (at < flat.length && flat[at] !== ' ')
      assert.match(content, /[/@.-]$/, `a token is cut only after / @ . - : ${line}`);
    if (line.length > width) assert.ok(!/\s/.test(content.trim()), `only a token is wider than ${width}: ${line}`);
  }
  assert.equal(at, flat.length, 'every word is there');
}

test('a refusal at 80 columns: words whole, continuation under the text, each hint under "hint: "', () => {
  const lines = errorLines(MESSAGE, HINT, 80);
  assert.deepEqual(lines, [
    'iap-auth0: nothing was changed: 2 resources this setup would use are not its own',
    '  - service account',
    '    projects/sandbox-project/serviceAccounts/',
    '    iap-budget-us-central1@sandbox-project.iam.gserviceaccount.com exists but',
    '    was not created by iap-auth0',
    '  - Cloud Run service',
    '    projects/sandbox-project/locations/us-central1/services/budget exists but',
    '    was not created by iap-auth0',
    '  hint: pass --adopt to use them (iap-auth0 changes only what IAP needs, records',
    '        what it changed, and never deletes them), or choose other ids with',
    '        --service, --service-account',
    '  hint: or run iap-auth0 init --setup other',
  ]);
  for (const l of lines) assert.ok(l.length <= 80, l);
  assertWordBoundaries(`iap-auth0: ${MESSAGE}\n  hint: ${HINT}`, lines, 80);
});

test('every width from 30 to 120: no line wider except an unbreakable token, and every word given back', () => {
  const text = `iap-auth0: ${MESSAGE}\n  hint: ${HINT}`;
  for (let width = 30; width <= 120; width++) assertWordBoundaries(text, errorLines(MESSAGE, HINT, width), width);
  // A first line that wraps hangs under the text after "iap-auth0: ".
  assert.deepEqual(
    errorLines('--region: Cloud Run does not offer region xx-east9 here. Nothing was changed.', '', 50),
    [
      'iap-auth0: --region: Cloud Run does not offer',
      '           region xx-east9 here. Nothing was',
      '           changed.',
    ],
  );
});

test('off a terminal (no width): the lines as they were, one per message line, for logs and grep', () => {
  assert.deepEqual(errorLines(MESSAGE, HINT), `iap-auth0: ${MESSAGE}\n  hint: ${HINT}`.split('\n'));
  assert.deepEqual(errorLines('bad flag', undefined), ['iap-auth0: bad flag']);
  assert.equal(proseWidth({ isTTY: false, columns: 80 }), undefined);
  assert.equal(proseWidth({ isTTY: true, columns: 60 }), 60);
  assert.equal(proseWidth({ isTTY: true, columns: 0 }), 80, "a terminal without a size: wrap.ts's 80");
});

test("init's failure summary: a line without a label continues two columns in, made so far under its text", () => {
  const text =
    'IAP settings: the IAP settings of projects/415104041262/iap_web/cloud_run-europe-west1/services/hello ' +
    'could not be written\n  hint: check that the IAP API is enabled and retry in a minute, as init does\n' +
    '    made so far: OAuth client iap-auth0-hello-europe-west1 with its credential and a second one';
  assert.deepEqual(proseLines(text, 60), [
    'IAP settings: the IAP settings of',
    '  projects/415104041262/iap_web/cloud_run-europe-west1/',
    '  services/hello could not be written',
    '  hint: check that the IAP API is enabled and retry in a',
    '        minute, as init does',
    '    made so far: OAuth client iap-auth0-hello-europe-west1',
    '                 with its credential and a second one',
  ]);
});

const P = 'principalSet://iam.googleapis.com/locations/global/workforcePools/pool-1';

test('members in words: the kind and its name, the pool by id or as "the pool"; others as they are', () => {
  assert.equal(memberWords(`${P}/*`), 'everyone in pool pool-1');
  assert.equal(memberWords(`${P}/*`, 'pool-1'), 'everyone in the pool');
  assert.equal(memberWords(`${P}/*`, 'other'), 'everyone in pool pool-1');
  assert.equal(memberWords(`${P}/attribute.email/alice@sandbox.example`), 'email alice@sandbox.example');
  assert.equal(memberWords(`${P}/group/engineering`), 'group engineering');
  assert.equal(
    memberWords('principal://iam.googleapis.com/locations/global/workforcePools/pool-1/subject/auth0|64f1'),
    'user auth0|64f1',
  );
  assert.equal(memberWords('serviceAccount:sa@p.iam.gserviceaccount.com'), 'sa@p.iam.gserviceaccount.com');
  assert.equal(memberWords('user:someone@example.com'), 'user:someone@example.com');
  assert.equal(allowWords('pool'), 'everyone in the pool');
  assert.equal(allowWords('email:alice@sandbox.example'), 'email alice@sandbox.example');
  assert.equal(allowWords('role:admin'), 'role admin');
  assert.equal(allowWords('group:engineering'), 'group engineering');
  assert.equal(allowWords('user:auth0|64f1'), 'user auth0|64f1');
  assert.equal(allowWords(`${P}/group/x`), `${P}/group/x`, 'a raw principal as it was given');
});

test("access speaks the --allow values' words: role admin (not group admin), raw only for a raw value", () => {
  const raw = `${P}/attribute.department/sales`;
  const inputs: any = { allow: ['role:admin', 'email:Alice@Sandbox.example', raw], pool: 'pool-1' };
  const members = inputs.allow.map((a: string) => allowMember(a, 'pool-1'));
  assert.equal(inWords({ inputs }, members), `role admin, email Alice@Sandbox.example, ${raw}`);
  // A member no value asks for any more (a revoked one): by the member itself.
  assert.equal(inWords({ inputs }, [`${P}/*`, `${P}/group/old`]), 'everyone in the pool, group old');
  assert.equal(inWords({ inputs: { allow: [], pool: 'pool-1' } as any }, [`${P}/*`]), 'everyone in the pool');
  assert.equal(
    membersInWords([`${P}/group/admin`], ['group:admin', 'role:admin'], (a) => allowMember(a, 'pool-1')),
    'group admin',
    'one member, said once, by the first value that asks for it',
  );
  const state: any = { stage: () => ({ resources: {}, added: [] }) };
  const keep = decideAccess({ inputs, state }, 'projects/1/iap_web', members, true);
  assert.equal(keep.changes[0].reason, `role admin, email Alice@Sandbox.example, ${raw} already may pass`);
  assert.deepEqual(keep.changes[0].members, undefined, 'the plan data keeps members only for changes');
  const grant = decideAccess({ inputs, state }, 'projects/1/iap_web', [], true);
  assert.deepEqual(grant.changes[0].members, members, '--json keeps the raw members');
});
