// Which --allow values need the post-login Action, without the schema library: `status` asks this
// at start-up, where loading valibot and the CEL parser would cost time for nothing.

/** Does this --allow list need the post-login Action (roles and groups reach Google only through it)? */
export const needsGroupsClaim = (allow: readonly string[]) =>
  allow.some((a) => a.startsWith('role:') || a.startsWith('group:'));
