import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config.ts';
import { addJobs, pumpJob } from './job-specs.ts';

/**
 * Sends the deliveries that waited while a connection was paused or disabled back to the queue,
 * in the caller's transaction (resumeConnection's). The jobs are built in SQL so a backlog of any
 * size costs one statement, not a round trip per delivery.
 */
export async function unparkDeliveries(tx: EntityManager, config: Config, connectionId: string): Promise<number> {
  const [connection] = await tx.execute<{ ordered: boolean; max_concurrency: number | null }[]>(
    'select ordered, max_concurrency from connections where id = ?',
    [connectionId],
  );
  if (!connection) return 0;
  if (connection.ordered) {
    const [row] = await tx.execute<{ count: string }[]>(
      `with unparked as (update deliveries set parked_at = null, updated_at = now()
                         where connection_id = ? and parked_at is not null returning id)
       select count(*) from unparked`,
      [connectionId],
    );
    await addJobs(tx, [pumpJob(connectionId)]);
    return Number(row?.count ?? 0);
  }
  const shards = connection.max_concurrency ?? config.defaultMaxConcurrency;
  const [row] = await tx.execute<{ count: string }[]>(
    `with unparked as (
       update deliveries set parked_at = null, updated_at = now()
       where connection_id = ? and parked_at is not null returning id),
     jobs as (
       select count(*) from graphile_worker.add_jobs(array(
         select row('deliver', json_build_object('deliveryId', id), 'conn_' || replace(?::text, '-', '') || '_' || floor(random() * ?)::int,
                    null, 25, null, 0, null)::graphile_worker.job_spec
         from unparked)))
     select (select count(*) from unparked) as count, (select * from jobs) as jobs`,
    [connectionId, connectionId, shards],
  );
  return Number(row?.count ?? 0);
}
