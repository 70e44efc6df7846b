// IAM read-modify-write: read the policy, change only our members, write it back with the etag we
// read. Another client's concurrent edit makes the write fail with 409 ABORTED; then the whole
// read-modify-write is repeated, so no member anyone else added is ever dropped.
import { withRetry } from './retry.js';
import { isAborted, isTransient } from './google-errors.js';

/** An IAM condition (Schema$Expr of the generated clients). */
export interface Expr {
  expression?: string | null;
  title?: string | null;
  description?: string | null;
  location?: string | null;
}
/** The generated clients' Schema$Policy shape, so a policy read from one API is written back without a cast. */
export interface Policy {
  version?: number | null;
  etag?: string | null;
  bindings?: { role?: string | null; members?: string[] | null; condition?: Expr }[];
}

export interface PolicyAccess {
  get(): Promise<Policy>;
  set(policy: Policy): Promise<Policy>;
}

/** Members of `role` (unconditional bindings only: the only ones iap-auth0 writes or removes). */
export const membersOf = (p: Policy, role: string) =>
  (p.bindings ?? []).filter((b) => b.role === role && !b.condition).flatMap((b) => b.members ?? []);

/**
 * Members of `role` through conditional bindings (IAM conditions), each with its condition as a
 * reader knows it: the title, else the expression. They hold the role only while it is true.
 */
export const conditionalMembersOf = (p: Policy, role: string): { member: string; condition: string }[] =>
  (p.bindings ?? [])
    .filter((b) => b.role === role && b.condition)
    .flatMap((b) => {
      const c = b.condition!;
      const condition = c.title ? `${c.title}${c.expression ? ` (${c.expression})` : ''}` : (c.expression ?? '');
      return (b.members ?? []).map((member) => ({ member, condition }));
    });

/**
 * Adds `members` to `role`; returns the members this call added (empty = no write made). A write
 * whose answer never came (timeout, lost response) may still have landed: members it carried that
 * the retry then finds present count as added by us, so destroy removes them later.
 */
export async function addMembers(
  access: PolicyAccess,
  role: string,
  members: string[],
  signal?: AbortSignal,
  /** Told every member of `role` once the call is done (so a caller needs no second read). */
  seen?: (all: string[]) => void,
): Promise<string[]> {
  const maybe = new Set<string>();
  return change(
    access,
    signal,
    (p) => {
      const have = new Set(membersOf(p, role));
      const add = members.filter((m) => !have.has(m));
      const landed = [...maybe].filter((m) => have.has(m));
      seen?.([...have, ...add]);
      if (!add.length) return { changed: landed };
      const bindings = [...(p.bindings ?? [])];
      const i = bindings.findIndex((b) => b.role === role && !b.condition);
      if (i >= 0) bindings[i] = { ...bindings[i], members: [...(bindings[i].members ?? []), ...add] };
      else bindings.push({ role, members: add });
      return { changed: [...landed, ...add], policy: { ...p, bindings } };
    },
    (attempted) => {
      for (const m of attempted) maybe.add(m);
    },
  );
}

/** Removes `members` from `role`, leaving every other member alone; returns what was removed. */
export async function removeMembers(
  access: PolicyAccess,
  role: string,
  members: string[],
  signal?: AbortSignal,
): Promise<string[]> {
  return change(access, signal, (p) => {
    const drop = new Set(members.filter((m) => membersOf(p, role).includes(m)));
    if (!drop.size) return { changed: [] };
    const bindings = (p.bindings ?? [])
      .map((b) =>
        b.role === role && !b.condition ? { ...b, members: (b.members ?? []).filter((m) => !drop.has(m)) } : b,
      )
      .filter((b) => (b.members ?? []).length > 0);
    return { changed: [...drop], policy: { ...p, bindings } };
  });
}

async function change(
  access: PolicyAccess,
  signal: AbortSignal | undefined,
  mutate: (p: Policy) => { changed: string[]; policy?: Policy },
  onUncertainWrite?: (attempted: string[]) => void,
): Promise<string[]> {
  return withRetry(
    async () => {
      const current = await withRetry(() => access.get(), { signal });
      const { changed, policy } = mutate(current);
      if (!policy) return changed;
      try {
        await access.set({ ...policy, etag: current.etag }); // stale etag → 409 ABORTED → retried whole
      } catch (e) {
        // A refused write (409, 4xx) changed nothing; anything else may have landed.
        if (!isAborted(e) && isTransient(e)) onUncertainWrite?.(changed);
        throw e;
      }
      return changed;
      // 16 tries (about a minute at most, with the 8 s cap): a policy someone else keeps editing, a
      // busy shared project or an automation loop, still lets one read-modify-write through.
    },
    { signal, attempts: 16, baseMs: 250, retryable: (e) => isAborted(e) || isTransient(e) },
  );
}
