import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Releases the jobs of graphile-worker pools that are dead, and forgets their heartbeats.
 *
 * graphile-worker 0.18 locks a job (and its named queue) with the id of the worker pool that
 * runs it (`pool-…`, one per `run()`, announced by its `pool:create` event), and a pool that
 * dies keeps its locks for four hours. Each worker process beats under that id (see
 * `worker_heartbeats`), so a pool is dead when its heartbeat is older than `staleSeconds`,
 * however long its jobs have run: a slow pump is never taken from a live worker. A lock held
 * by a pool that never beat (one started by another tool, or forgotten already) falls back to
 * the age of the lock. Graphile Worker Pro decides the same way, by a heartbeat per worker.
 * Returns the pools released.
 */
export async function unlockDeadWorkers(em: EntityManager, staleSeconds: number): Promise<string[]> {
  const rows = await em.execute<{ worker_id: string }[]>(
    `with dead as (
       delete from worker_heartbeats where beat_at < now() - make_interval(secs => ?) returning worker_id),
     holders as (
       select locked_by, min(locked_at) as since from graphile_worker._private_jobs
       where locked_by is not null group by locked_by
       union all
       select locked_by, min(locked_at) from graphile_worker._private_job_queues
       where locked_by is not null group by locked_by),
     gone as (
       select distinct h.locked_by as worker_id from holders h
       where h.locked_by in (select worker_id from dead)
          or (h.since < now() - make_interval(secs => ?)
              and not exists (select 1 from worker_heartbeats w where w.worker_id = h.locked_by))),
     unlocked as (select graphile_worker.force_unlock_workers(array(select worker_id from gone))),
     -- Idle workers hear of the released jobs at once rather than at their next poll.
     woken as (select pg_notify('jobs:insert', json_build_object('count', count(*))::text) from gone having count(*) > 0)
     select worker_id from gone where exists (select 1 from unlocked) and (select count(*) from woken) >= 0`,
    [staleSeconds, staleSeconds],
  );
  return rows.map((row) => row.worker_id);
}
