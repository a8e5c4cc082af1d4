import type { EntityManager } from '@mikro-orm/postgresql';
import { shardPrefix } from './job-specs.ts';

/** When this process last held back each connection's backlog, and until when. */
const heldUntil = new Map<string, number>();
const MAX_TRACKED = 10_000;

/**
 * Circuit breaker for an unordered connection whose attempt just failed: its other waiting
 * jobs move to `until`, the failed attempt's retry time. Left due, they would sit at the head of
 * graphile-worker's queue, where every job fetch steps over them one by one while their shard
 * queues are busy with attempts that hang: a failing connection would slow every other.
 * Held at most once a second per connection and process, since finding the jobs scans the
 * jobs table; jobs that arrive meanwhile are tried and, failing, hold the backlog again.
 */
export async function holdBacklog(em: EntityManager, connectionId: string, until: Date): Promise<void> {
  const last = heldUntil.get(connectionId) ?? 0;
  if (until.getTime() < last + 1000) return;
  heldUntil.delete(connectionId);
  heldUntil.set(connectionId, until.getTime());
  if (heldUntil.size > MAX_TRACKED) heldUntil.delete(heldUntil.keys().next().value!);
  try {
    await em.execute(
      `select count(*) from graphile_worker.reschedule_jobs(array(
         select id from graphile_worker.jobs
         where starts_with(queue_name, ?) and locked_at is null and run_at < ?), run_at => ?)`,
      [shardPrefix(connectionId), until, until],
    );
  } catch (error) {
    // Only an optimisation failed: the backlog then runs when it is due, as without it.
    console.error('[worker] holding back a failing connection\'s backlog failed:', error);
  }
}
