import type { EntityManager } from '@mikro-orm/postgresql';
import { addJobs, type JobSpec } from '../../db/graphile-worker.ts';

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
  updatedSince?: string;
  connectionOwner?: string;
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
 * Queues the connection's pump to run now, in the caller's transaction, even where a run waits
 * for the connection's next retry or an ordered head's: for changes asked for on purpose (a
 * resume, a test send, a switch of `ordered`), whose deliveries should not wait with it.
 */
export async function queuePumpNow(tx: EntityManager, connectionId: string): Promise<void> {
  await addJobs(tx, [connectionPumpJob(connectionId)], { reschedule: true });
}

/** One batch of a bulk replay: each job puts a batch back and queues the next. */
export function replayBatchJob(payload: ReplayJobPayload): JobSpec {
  return { identifier: 'replay_deliveries', payload, queue_name: null, run_at: null, job_key: null };
}
