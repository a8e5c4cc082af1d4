import type { EntityManager } from '@mikro-orm/postgresql';
import { namedStatement, runNamed } from '../../../db/prepared-statement.ts';
import { queuePumpNow } from '../delivery-jobs.ts';
import { logChangesCtes } from '../changes/log-changes.ts';
import { statusIn, WAITING } from './delivery-states.ts';

/**
 * `unpark`: the deliveries that waited while their connection was paused or disabled are due
 * now (a retry's time passed while it waited, or it would wait out the rest of its backoff on
 * top). One statement for a backlog of any size, which enters each one in the change log, so
 * streams show it waiting no more at once.
 */
const UNPARK = namedStatement<{ connectionId: string }>('switchyard_unpark', `
  with unparked as (
       update deliveries d set parked_at = null, updated_at = now(),
         next_attempt_at = case when d.status = 'RETRYING' then now() else d.next_attempt_at end
       where d.connection_id = :connectionId and d.parked_at is not null and ${statusIn(WAITING, 'd')}
       returning d.id, d.workspace_id, d.status),
     ${logChangesCtes('unparked')}
  select u.id, (select count(*) from announced_changes) as announced from unparked u`);

/**
 * Sends the deliveries that waited while a connection was paused or disabled back to work, in
 * the caller's transaction (resumeConnection's), and queues the connection's pump now, even if
 * it waited for the connection's next retry: the connection was resumed on purpose.
 */
export async function unparkDeliveries(tx: EntityManager, connectionId: string): Promise<number> {
  const rows = await runNamed(tx, UNPARK, { connectionId });
  await queuePumpNow(tx, connectionId);
  return rows.length;
}
