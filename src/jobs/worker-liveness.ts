import type pg from 'pg';
import type { WorkerEvents } from 'graphile-worker';
import { logger } from '../observability/logger.ts';

const log = logger.child({ component: 'worker' });

export interface Heartbeat {
  /** Stops beating and removes this process's row, once its pool has released its jobs. */
  stop(): Promise<void>;
}

/**
 * Keeps this worker process's heartbeat: a row under the id its graphile-worker pool locks jobs
 * with, touched every `intervalMs`, so the sweep in any process can tell this worker, however
 * slow its jobs, from one that died (see `unlockDeadWorkers`). The pool's id comes from its
 * `pool:create` event, which `events` must carry before the runner starts. A beat that fails
 * is logged and tried again at the next interval; missing beats for the stale time is what
 * makes a worker count as dead, so the interval is a fraction of it.
 */
export function keepHeartbeat(pool: pg.Pool, events: WorkerEvents, intervalMs: number): Heartbeat {
  const workerIds = new Set<string>();
  let stopped = false;
  const beat = async () => {
    if (stopped || workerIds.size === 0) return;
    try {
      await pool.query(
        `insert into worker_heartbeats (worker_id) select unnest($1::text[])
         on conflict (worker_id) do update set beat_at = now()`,
        [[...workerIds]],
      );
    } catch (error) {
      log.warn({ err: error }, 'a heartbeat failed; it is tried again at the next interval');
    }
  };
  events.on('pool:create', ({ workerPool }) => {
    workerIds.add(workerPool.id);
    void beat();
  });
  const timer = setInterval(() => void beat(), intervalMs);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      if (workerIds.size > 0) await pool.query('delete from worker_heartbeats where worker_id = any($1::text[])', [[...workerIds]]);
    },
  };
}
