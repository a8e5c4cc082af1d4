import type { EntityManager } from '@mikro-orm/postgresql';

/** Payloads of Switchyard's graphile-worker tasks, by task identifier. */
declare global {
  namespace GraphileWorker {
    interface Tasks {
      /** One run of a connection's pump: its due deliveries, up to its cap at once, or in order. */
      deliver_connection: { connectionId: string };
      /** Puts every delivery matching a filter back in the queue, a batch at a time. */
      replay_deliveries: ReplayJobPayload;
    }
  }
}

export interface ReplayJobPayload {
  workspaceId: string;
  filter: DeliveryFilterSpec;
  /** Replays only deliveries with ids up to this one: those that existed when asked. */
  upToId: string;
  /** Last id handled by the previous batch. */
  afterId: string | null;
}

/** A deliveries filter in storage terms (UUIDs, ISO dates). */
export interface DeliveryFilterSpec {
  statuses?: string[];
  connectionId?: string;
  eventId?: string;
  eventType?: string;
  since?: string;
  until?: string;
}

/** A row of graphile-worker's `job_spec`, ready for `add_jobs`. */
export interface JobSpec {
  identifier: keyof GraphileWorker.Tasks;
  payload: unknown;
  queue_name: string | null;
  run_at: string | null;
  job_key: string | null;
}

const compact = (uuid: string) => uuid.replaceAll('-', '');

/**
 * A run of a connection's pump: the job that makes its deliveries go, ordered or not.
 * graphile-worker runs one job at a time per named queue, across every worker process, so each
 * connection has one pump running at most, and a switch of `ordered` never has two pumps at
 * once; the pump keeps up to `maxConcurrency` attempts in flight (one when ordered), and a
 * connection that hangs holds one worker slot however large its backlog. The job key keeps one
 * run waiting at most: new events share it (the emit write share-locks it rather than adding
 * another, see `persistEvents`). `waiting` is the job new events merge into; a pump that waits
 * for its connection (a rate limit, a failing streak, an ordered head's retry) keeps its time, so
 * events then wait with it. `retry` is the wake-up at the next retry, which new events leave alone.
 */
export function connectionPumpJob(connectionId: string, runAt?: Date, kind: 'waiting' | 'retry' = 'waiting'): JobSpec {
  const queue = `conn_${compact(connectionId)}`;
  return {
    identifier: 'deliver_connection',
    payload: { connectionId },
    queue_name: queue,
    run_at: runAt?.toISOString() ?? null,
    job_key: kind === 'retry' ? `${queue}_retry` : queue,
  };
}

/** The pump runs that make these connections' deliveries go, one per connection. */
export function pumpJobsFor(connectionIds: string[]): JobSpec[] {
  return [...new Set(connectionIds)].map((id) => connectionPumpJob(id));
}

/**
 * SQL that adds the job specs in the JSON array `specs` (an SQL expression) through
 * graphile-worker's own `add_jobs`, inside the caller's transaction. By default a keyed job
 * that already waits keeps its run time, so new events do not pull a pump that waits for its
 * connection forward; `reschedule` gives such a job the new time instead. Specs must not
 * repeat a job key.
 */
export function addJobsSql(specs: string, { reschedule = false } = {}): string {
  return `select count(*) as added from graphile_worker.add_jobs(
    array(select row(s.identifier, s.payload, s.queue_name, s.run_at, 25, s.job_key, 0, null)::graphile_worker.job_spec
          from json_populate_recordset(null::graphile_worker.job_spec, ${specs}) s),
    ${reschedule ? 'false' : 'true'})`;
}

/** Adds jobs in the caller's transaction; keyed jobs that wait keep their time unless `reschedule`. */
export async function addJobs(em: EntityManager, jobs: JobSpec[], options: { reschedule?: boolean } = {}): Promise<void> {
  if (jobs.length > 0) await em.execute(addJobsSql('?::json', options), [JSON.stringify(jobs)]);
}
