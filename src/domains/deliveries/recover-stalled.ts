import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config.ts';
import { unlockDeadWorkers } from '../../db/graphile-worker.ts';
import { addJobs, pumpJobsFor } from './job-specs.ts';

/**
 * Puts back to work what a crashed worker left behind (a SIGKILL, an OOM, a lost machine):
 * - deliveries still claimed after their lease ran out go back to RETRYING, due now, and their
 *   connections' pumps are queued (at-least-once: the receiver may have seen that attempt; the
 *   webhook-id lets it dedupe);
 * - graphile-worker jobs locked by a worker process whose heartbeat stopped are unlocked (see
 *   `unlockDeadWorkers`); a live worker keeps its jobs however long they run. graphile-worker
 *   itself waits 4 hours before it releases a dead worker's jobs.
 * Safe to run in every worker process at once.
 */
export async function recoverStalled(em: EntityManager, config: Config): Promise<{ deliveries: number; workers: number }> {
  return em.transactional(async (tx) => {
    const stalled = await tx.execute<{ connection_id: string }[]>(
      `update deliveries d set status = 'RETRYING', next_attempt_at = now(), claimed_until = null, lease = null, updated_at = now()
       where d.id in (
         select id from deliveries where status = 'DELIVERING' and claimed_until < now()
         for update skip locked limit 1000)
       returning d.connection_id`,
    );
    await addJobs(tx, pumpJobsFor(stalled.map((row) => row.connection_id)));
    const workers = await unlockDeadWorkers(tx, config.staleJobSeconds);
    return { deliveries: stalled.length, workers: workers.length };
  });
}
