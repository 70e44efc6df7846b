// Soft delete shared by workforce pools, providers and OAuth clients: DELETED for 30 days (the id
// stays taken and undelete restores it), then purged for good. Purge is computed on read from the
// sandbox clock, so a test can jump past the window with POST /clock.
import { SOFT_DELETE_MS } from '../core/clock.js';
import type { World } from '../world.js';

export interface SoftDeletable {
  state: 'ACTIVE' | 'DELETED';
  deletedAt?: number;
  expireTime?: string;
}

export function markDeleted(world: World, r: SoftDeletable): void {
  r.state = 'DELETED';
  r.deletedAt = world.clock.now();
  r.expireTime = world.clock.iso(r.deletedAt + SOFT_DELETE_MS);
}

export function markActive(r: SoftDeletable): void {
  r.state = 'ACTIVE';
  delete r.deletedAt;
  delete r.expireTime;
}

/** Drops entries whose 30 days are over; call before every lookup. */
export function purgeExpired<T extends SoftDeletable>(
  world: World,
  map: Map<string, T>,
  onPurge?: (key: string) => void,
): void {
  const now = world.clock.now();
  for (const [k, v] of map) {
    if (v.state === 'DELETED' && v.deletedAt !== undefined && now >= v.deletedAt + SOFT_DELETE_MS) {
      map.delete(k);
      onPurge?.(k);
    }
  }
}

/** Wire fields of the soft-delete state. */
export const softDeleteView = (r: SoftDeletable) => ({
  state: r.state,
  ...(r.expireTime ? { expireTime: r.expireTime } : {}),
});
