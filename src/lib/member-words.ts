// Who an IAM member or an --allow value admits, in the words a person reads: `email alice@…`,
// `role admin`, `group engineering`, `user auth0|…`, `everyone in the pool`. The plan (cli/plan-words.ts),
// init's progress and its "Who can sign in:", destroy's removals all say members this way; a raw
// principal shows only for a raw `principal://` / `principalSet://` --allow value, and --json keeps
// the members. Pure, and shared by the core and the CLI (the core never imports from src/cli).

/** A member naming a workforce pool: the pool's id and what follows it (`*`, `group/eng`, …). */
const POOL_MEMBER = /^principal(?:Set)?:\/\/iam\.googleapis\.com\/locations\/global\/workforcePools\/([^/]+)\/(.+)$/;

/**
 * An IAM member in words: the whole pool, an attribute (`email alice@…`), a group, a user; others
 * (a service account, a member of no workforce pool) as they are. The whole pool is "everyone in
 * pool ID", or "everyone in the pool" when it is `pool`, the pool the reader knows this setup uses.
 */
export function memberWords(member: string, pool?: string): string {
  const m = POOL_MEMBER.exec(member);
  if (!m) return member.replace(/^serviceAccount:/, '');
  const [, id, rest] = m;
  if (rest === '*') return id === pool ? 'everyone in the pool' : `everyone in pool ${id}`;
  const named = /^(group|subject|attribute\.[^/]+)\/(.+)$/.exec(rest);
  if (!named) return member;
  const kind = named[1] === 'subject' ? 'user' : named[1].replace(/^attribute\./, '');
  return `${kind} ${named[2]}`;
}

/**
 * An --allow value in words: `pool` is everyone in the pool, `email:`, `role:`, `group:` and
 * `user:` their kind and name; a raw `principal://` or `principalSet://` member as it was given.
 */
export function allowWords(value: string): string {
  if (value === 'pool') return 'everyone in the pool';
  const kind = /^(email|role|group|user):(.+)$/.exec(value);
  return kind ? `${kind[1]} ${kind[2]}` : value;
}

/**
 * Members in words, each once: by the --allow value that asked for it where one did (`role admin`
 * rather than `group admin`, which is the same member), else by the member itself.
 */
export function membersInWords(
  members: readonly string[],
  allow: readonly string[],
  memberOf: (value: string) => string,
  pool?: string,
): string {
  const words = members.map((m) => {
    const value = allow.find((a) => memberOf(a) === m);
    return value ? allowWords(value) : memberWords(m, pool);
  });
  return [...new Set(words)].join(', ');
}
