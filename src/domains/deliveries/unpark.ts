import type { EntityManager } from '@mikro-orm/postgresql';
import { addJobs, connectionPumpJob } from './job-specs.ts';

/**
 * Sends the deliveries that waited while a connection was paused or disabled back to work, in
 * the caller's transaction (resumeConnection's): they are due now, and the connection's pump is
 * queued. One statement for a backlog of any size.
 */
export async function unparkDeliveries(tx: EntityManager, connectionId: string): Promise<number> {
  const [row] = await tx.execute<{ count: string }[]>(
    `with unparked as (
       update deliveries set parked_at = null, updated_at = now(),
         next_attempt_at = case when status = 'RETRYING' then now() else next_attempt_at end
       where connection_id = ? and parked_at is not null returning id)
     select (select count(*) from unparked) as count from connections where id = ?`,
    [connectionId, connectionId],
  );
  if (!row) return 0;
  // Now, even if the pump waited for the connection's next retry: it was resumed on purpose.
  await addJobs(tx, [connectionPumpJob(connectionId)], { reschedule: true });
  return Number(row.count);
}
