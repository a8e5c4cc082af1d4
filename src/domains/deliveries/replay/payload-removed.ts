import { ConflictError } from '../../errors.ts';

/** Why an event no longer has its payload (`events.payload_removed_by`); null for payloads removed before it was recorded. */
export type PayloadRemoval = 'ERASED' | 'EXPIRED' | null;

/**
 * The refusal of a replay whose event has no payload left: erased (`eraseResource`) or removed by
 * retention. Sending it again would send an empty body, so nothing is sent; the record stays.
 */
export function payloadRemovedError(path: string[], removedAt: Date, removedBy: PayloadRemoval): ConflictError {
  const why =
    removedBy === 'ERASED' ? 'erased (eraseResource)'
    : removedBy === 'EXPIRED' ? "removed by the workspace's retention (payloadRetentionDays)"
    : 'removed';
  return new ConflictError(path, `the event's payload was ${why} on ${removedAt.toISOString()}, so there is nothing left to send`);
}
