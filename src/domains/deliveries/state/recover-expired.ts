import type { EntityManager } from '@mikro-orm/postgresql';
import { addJobs } from '../../../db/graphile-worker.ts';
import { namedStatement, runNamed } from '../../../db/prepared-statement.ts';
import { pumpJobsFor } from '../delivery-jobs.ts';
import { logChangesCtes } from '../changes/log-changes.ts';
import { END_LEASE } from './lease.ts';

/** Leases taken back per sweep; the next sweep takes the rest. */
const RECOVERED_PER_SWEEP = 1000;

/**
 * `recover`: deliveries still claimed after their lease ran out go back to RETRYING, due now
 * (at-least-once: the receiver may have seen that attempt; the webhook-id lets it dedupe). Rows
 * another sweep holds are skipped, so every worker process may sweep at once. A pump that runs
 * takes such a delivery itself at its next claim; this is for connections whose pump is gone
 * with its worker. Each one recovered enters the change log, so streams see it retrying.
 */
const RECOVER_EXPIRED = namedStatement<{ limit: number }>('switchyard_recover_expired', `
  with recovered as (
       update deliveries d set status = 'RETRYING', next_attempt_at = now(), ${END_LEASE}, updated_at = now()
       where d.id in (
         select id from deliveries where status = 'DELIVERING' and claimed_until < now()
         for update skip locked limit :limit)
       returning d.id, d.workspace_id, d.status, d.connection_id),
     ${logChangesCtes('recovered')}
  select r.connection_id, (select count(*) from announced_changes) as announced from recovered r`);

/** Recovers abandoned claims and queues their connections' pumps, in the caller's transaction. */
export async function recoverExpiredLeases(tx: EntityManager): Promise<number> {
  const rows = await runNamed<{ connection_id: string }, { limit: number }>(tx, RECOVER_EXPIRED, { limit: RECOVERED_PER_SWEEP });
  await addJobs(tx, pumpJobsFor(rows.map((row) => row.connection_id)));
  return rows.length;
}
