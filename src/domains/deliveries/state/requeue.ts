import type { EntityManager } from '@mikro-orm/postgresql';
import { addJobs } from '../../../db/graphile-worker.ts';
import { namedStatement, runNamed } from '../../../db/prepared-statement.ts';
import { pumpJobsFor } from '../delivery-jobs.ts';
import { notifyDeliveryChanges } from '../delivery-notifications.ts';
import { REPLAYABLE, statusIn } from './delivery-states.ts';
import { END_LEASE } from './lease.ts';

/**
 * `replay`: a new attempt chain for the same delivery (so the same webhook-id), PENDING, and
 * parked if its connection is not active. Only deliveries neither queued nor in flight start
 * again: a replay of one that waits or is being sent would have it sent twice at once. Nor
 * those whose event's payload was erased or removed by retention: they would go out empty.
 * The connections' rows are share-locked, so a resume committing meanwhile is waited for and
 * seen: a replay never parks a delivery behind a resume that already unparked the others.
 */
const REQUEUE = namedStatement<{ ids: string[] }>('switchyard_requeue', `
  with locked as (
       select c.id, c.status from connections c
       where c.id in (select connection_id from deliveries where id = any(:ids::uuid[]))
       for share)
  update deliveries d set status = 'PENDING', chain = d.chain + 1, chain_attempts = 0, next_attempt_at = null, ${END_LEASE},
    parked_at = case when c.status = 'ACTIVE' then null else now() end, updated_at = now()
  from locked c, events e
  where c.id = d.connection_id and e.id = d.event_id and e.payload_removed_at is null
    and d.id = any(:ids::uuid[]) and ${statusIn(REPLAYABLE, 'd')}
  returning d.id, d.connection_id, c.status = 'ACTIVE' as active`);

/**
 * Replays the deliveries `ids` of one workspace that may be replayed, in the caller's
 * transaction, queues their connections' pumps now (even where a pump waits for its connection's
 * next retry: a replay is asked for on purpose) and announces the changes. Returns the ids replayed.
 */
export async function requeueDeliveries(tx: EntityManager, workspaceId: string, ids: string[]): Promise<string[]> {
  const rows = await runNamed<{ id: string; connection_id: string; active: boolean }, { ids: string[] }>(tx, REQUEUE, { ids });
  await addJobs(tx, pumpJobsFor(rows.filter((row) => row.active).map((row) => row.connection_id)), { reschedule: true });
  await notifyDeliveryChanges(tx, rows.map((row) => ({ workspaceId, deliveryId: row.id, status: 'PENDING' as const })));
  return rows.map((row) => row.id);
}
