import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../../config.ts';
import { forgetExpiredLingering, unlockDeadWorkers } from '../../../db/graphile-worker.ts';
import { recoverExpiredLeases } from '../state/recover-expired.ts';

/**
 * Puts back to work what a crashed worker left behind (a SIGKILL, an OOM, a lost machine), in
 * one transaction:
 * - deliveries still claimed after their lease ran out go back to RETRYING, due now, and their
 *   connections' pumps are queued (see `recoverExpiredLeases`);
 * - graphile-worker jobs locked by a worker process whose heartbeat stopped are unlocked (see
 *   `unlockDeadWorkers`); a live worker keeps its jobs however long they run. graphile-worker
 *   itself waits 4 hours before it releases a dead worker's jobs.
 * - what pumps said they linger for and did not take back, once it ran out (see `beginLingering`).
 * Safe to run in every worker process at once.
 */
export async function recoverStalled(em: EntityManager, config: Config): Promise<{ deliveries: number; workers: number }> {
  return em.transactional(async (tx) => {
    const deliveries = await recoverExpiredLeases(tx);
    const workers = await unlockDeadWorkers(tx, config.staleJobSeconds);
    await forgetExpiredLingering(tx);
    return { deliveries, workers: workers.length };
  });
}
