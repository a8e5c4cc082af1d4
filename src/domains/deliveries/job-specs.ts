import { randomInt } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';

/** Payloads of Switchyard's graphile-worker tasks, by task identifier. */
declare global {
  namespace GraphileWorker {
    interface Tasks {
      /** One attempt of one delivery of an unordered connection. */
      deliver: { deliveryId: string };
      /** Works through an ordered connection's deliveries, oldest event first. */
      deliver_ordered: { connectionId: string };
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

export interface ConnectionQueueSettings {
  id: string;
  ordered: boolean;
  /** Effective cap on attempts in flight at once. */
  maxConcurrency: number;
}

const compact = (uuid: string) => uuid.replaceAll('-', '');
/** The shard queues of an unordered connection are named this, then a number. */
export const shardPrefix = (connectionId: string) => `conn_${compact(connectionId)}_`;

/**
 * The graphile-worker job for one delivery. graphile-worker runs one job at a time per named
 * queue, across every worker process; spreading a connection's deliveries over `maxConcurrency`
 * queues caps its attempts in flight without holding a worker slot while it waits, so a slow
 * connection cannot starve the others. An ordered connection gets a single pump job instead.
 */
export function jobForDelivery(deliveryId: string, connection: ConnectionQueueSettings, runAt?: Date): JobSpec {
  if (connection.ordered) return pumpJob(connection.id, runAt);
  return {
    identifier: 'deliver',
    payload: { deliveryId },
    queue_name: `${shardPrefix(connection.id)}${randomInt(connection.maxConcurrency)}`,
    run_at: runAt?.toISOString() ?? null,
    job_key: null,
  };
}

/** The one job that delivers an ordered connection's backlog in order. */
export function pumpJob(connectionId: string, runAt?: Date): JobSpec {
  const name = `fifo_${compact(connectionId)}`;
  return {
    identifier: 'deliver_ordered',
    payload: { connectionId },
    queue_name: name,
    run_at: runAt?.toISOString() ?? null,
    job_key: name,
  };
}

/**
 * SQL that adds the job specs in the JSON array `specs` (an SQL expression) through
 * graphile-worker's own `add_jobs`, inside the caller's transaction. A keyed job that already
 * waits keeps its run time, so new events do not pull an ordered connection's scheduled retry
 * forward. Specs must not repeat a job key.
 */
export function addJobsSql(specs: string): string {
  return `select count(*) as added from graphile_worker.add_jobs(
    array(select row(s.identifier, s.payload, s.queue_name, s.run_at, 25, s.job_key, 0, null)::graphile_worker.job_spec
          from json_populate_recordset(null::graphile_worker.job_spec, ${specs}) s),
    true)`;
}

/** Adds jobs in the caller's transaction. */
export async function addJobs(em: EntityManager, jobs: JobSpec[]): Promise<void> {
  if (jobs.length > 0) await em.execute(addJobsSql('?::json'), [JSON.stringify(jobs)]);
}
