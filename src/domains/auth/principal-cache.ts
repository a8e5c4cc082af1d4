import { LruCache } from '../lru-cache.ts';
import type { Principal } from './principal.ts';
import { revokes, type Revocation } from './revocations.ts';

/** Keys remembered per process. */
const REMEMBERED_KEYS = 10_000;

const principals = new LruCache<string, Principal>(REMEMBERED_KEYS);

/**
 * The principals of keys this process has seen, by key hash, for the one path that may skip the
 * key's lookup: an emit, whose write checks the key itself (still there, not revoked) and the
 * workspace's routing version, in the statement that commits the event, so a revoked key is
 * refused at once in every process without a broadcast, and a rule changed anywhere applies to
 * the very next event. Everything else looks its key up on every request. A revocation broadcast
 * (revocations.ts) drops what it revokes, so a request right after it looks its key up again.
 */
export const principalCache = {
  get: (hash: string) => principals.get(hash),
  remember: (hash: string, principal: Principal) => principals.set(hash, principal),
  forget: (hash: string) => principals.delete(hash),
  /** Drops every remembered principal `revocation` takes away (one key, or a whole workspace's). */
  forgetRevoked: (revocation: Revocation) => principals.deleteWhere((principal) => revokes(revocation, principal)),
};
