// The attribute condition iap-auth0 derives from --allow (issue 14, item 3): a pool that should
// admit only some people refuses the others at sign-in, so IAM never sees an identity that should
// not exist (Google's STS rejects the credential: "rejected by the attribute condition"). It admits
// exactly what the access members admit: the listed Auth0 user ids, verified emails (the mapped
// attribute.email, empty unless verified), and roles and groups (google.groups, from the Action's
// claim). With `pool` or a raw principal:// member in --allow there is nothing to derive: empty.
// --require CEL replaces the derived condition. Only a condition iap-auth0 wrote (recorded as
// providerCondition) is ever replaced or removed.

/** A CEL list of string literals (JSON's string syntax is CEL's for these characters). */
const list = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;

/** The attribute condition's limit (gcp-api.md 7.1). */
export const CONDITION_MAX = 4096;

/** Pure: the condition for this --allow list, or '' when it admits everyone the pool maps. */
export function derivedCondition(allow: readonly string[]): string {
  if (allow.some((a) => a === 'pool' || a.startsWith('principal'))) return '';
  const of = (kind: string) => allow.filter((a) => a.startsWith(`${kind}:`)).map((a) => a.slice(kind.length + 1));
  const users = of('user');
  const emails = of('email');
  const groups = [...new Set([...of('role'), ...of('group')])];
  const parts = [
    ...(users.length ? [`assertion.sub in ${list(users)}`] : []),
    ...(emails.length ? [`(has(attribute.email) && attribute.email in ${list(emails)})`] : []),
    ...(groups.length ? [`(has(google.groups) && google.groups.exists(g, g in ${list(groups)}))`] : []),
  ];
  const condition = parts.join(' || ');
  // Past the limit Google would refuse the provider: access is then left to IAM alone.
  return condition.length > CONDITION_MAX ? '' : condition;
}

/** The condition init writes: --require when given (recorded), else the one derived from --allow. */
export const conditionFor = (inputs: { allow: readonly string[]; require?: string }): string =>
  inputs.require ?? derivedCondition(inputs.allow);
