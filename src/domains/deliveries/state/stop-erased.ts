import type { EntityManager } from '@mikro-orm/postgresql';
import { namedStatement, runNamed } from '../../../db/prepared-statement.ts';
import { notifyDeliveryChanges } from '../delivery-notifications.ts';
import { statusIn, WAITING } from './delivery-states.ts';

/**
 * `erase`: the waiting deliveries of erased events stop, dead with the reason, parked or not: they
 * could only send an empty payload now. One in flight keeps its claim and ends as its attempt
 * says; the record of each stays, for the audit trail.
 */
const STOP_ERASED = namedStatement<{ eventIds: string[]; reason: string }>('switchyard_stop_erased', `
  update deliveries d set status = 'DEAD', next_attempt_at = null, parked_at = null, last_error = :reason, updated_at = now()
  where d.event_id = any(:eventIds::uuid[]) and ${statusIn(WAITING, 'd')}
  returning d.id`);

/**
 * Stops the waiting deliveries of the erased events `eventIds` of one workspace, in the caller's
 * transaction, and announces the changes. Returns the ids stopped.
 */
export async function stopErasedDeliveries(tx: EntityManager, workspaceId: string, eventIds: string[], reason: string): Promise<string[]> {
  if (eventIds.length === 0) return [];
  const rows = await runNamed<{ id: string }, { eventIds: string[]; reason: string }>(tx, STOP_ERASED, { eventIds, reason });
  await notifyDeliveryChanges(tx, rows.map((row) => ({ workspaceId, deliveryId: row.id, status: 'DEAD' as const })));
  return rows.map((row) => row.id);
}
