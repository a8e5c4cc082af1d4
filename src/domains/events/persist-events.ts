import type { EntityManager } from '@mikro-orm/postgresql';
import { preparedStatement, runPrepared } from '../../db/prepared-statement.ts';
import { addJobsSql, type JobSpec } from '../deliveries/job-specs.ts';
import { eventSequenceName } from './event-sequence.ts';

export interface EventRow {
  id: string;
  workspace_id: string;
  type: string;
  resource: string | null;
  resource_id: string | null;
  payload: unknown;
  idempotency_key: string | null;
  /** Null: numbered by the write, from the workspace's sequence. */
  sequence: number | null;
  created_at: string;
  operational: boolean;
}

export interface DeliveryRow {
  id: string;
  workspace_id: string;
  event_id: string;
  connection_id: string;
  rule_id: string;
  event_type: string;
  status: 'PENDING' | 'DEAD';
  parked_at: string | null;
  last_error: string | null;
  created_at: string;
  /** The job that makes its first attempt; none while parked or dead. */
  job: JobSpec | null;
}

const PERSIST_EVENTS = preparedStatement('switchyard_persist_events', `with inserted_events as (
       insert into events (id, workspace_id, type, resource, resource_id, payload, idempotency_key, sequence, created_at, operational)
       select e.id, e.workspace_id, e.type, e.resource, e.resource_id, e.payload, e.idempotency_key,
              coalesce(e.sequence, nextval((j.row->>'sequence_name')::regclass)), e.created_at, e.operational
       from json_array_elements(?::json) as j(row), json_populate_record(null::events, j.row) as e
       on conflict (workspace_id, idempotency_key) do nothing
       returning id, sequence),
     planned as (
       select * from json_to_recordset(?::json) as d(
         id uuid, workspace_id uuid, event_id uuid, connection_id uuid, rule_id uuid, event_type text,
         status delivery_status, parked_at timestamptz, last_error text, created_at timestamptz, job json)
       where d.event_id in (select id from inserted_events)),
     inserted_deliveries as (
       insert into deliveries (id, workspace_id, event_id, connection_id, rule_id, event_type, status, parked_at,
                               last_error, created_at, updated_at)
       select id, workspace_id, event_id, connection_id, rule_id, event_type, status, parked_at,
              last_error, created_at, created_at
       from planned
       returning id),
     jobs as (${addJobsSql(`(select coalesce(json_agg(job), '[]') from (
        select distinct on (coalesce(job->>'job_key', id::text)) job from planned where job is not null) unique_jobs)`)})
     select (select json_object_agg(id, sequence) from inserted_events) as inserted,
            (select count(*) from inserted_deliveries) as deliveries,
            (select added from jobs) as jobs`);

/**
 * Writes events, their deliveries and the deliveries' jobs in ONE statement, hence one
 * transaction: an acknowledged event is never lost and a failed emit leaves nothing behind.
 * An event whose idempotency key already exists is skipped together with its deliveries and
 * jobs. Returns the sequence of each event written by id (more events when the write was
 * shared); events without one are numbered here, in order.
 *
 * Outside a transaction, concurrent callers share writes (see `groupWriter`).
 */
export async function persistEvents(em: EntityManager, events: EventRow[], deliveries: DeliveryRow[]): Promise<Map<string, number>> {
  if (em.isInTransaction()) return writeNow(em, { events, deliveries });
  const connection = em.getConnection();
  let writer = writers.get(connection);
  if (!writer) writers.set(connection, (writer = groupWriter()));
  return writer(em, { events, deliveries });
}

interface Rows {
  events: EventRow[];
  deliveries: DeliveryRow[];
}

async function writeNow(em: EntityManager, rows: Rows): Promise<Map<string, number>> {
  const events = rows.events.map((row) => ({ ...row, sequence_name: eventSequenceName(row.workspace_id) }));
  const [result] = await runPrepared<{ inserted: Record<string, number> | null }>(em, PERSIST_EVENTS, [JSON.stringify(events), JSON.stringify(rows.deliveries)]);
  return new Map(Object.entries(result?.inserted ?? {}).map(([id, sequence]) => [id, Number(sequence)]));
}

/**
 * Writes in flight per process; emits arriving meanwhile wait and go together. One measured
 * best (bench/README.md): more in flight made the groups smaller and Postgres busier.
 */
const WRITES_IN_FLIGHT = 1;
/** Events one shared write takes at most. */
const EVENTS_PER_WRITE = 2000;

interface Pending extends Rows {
  em: EntityManager;
  resolve(written: Map<string, number>): void;
  reject(error: unknown): void;
}

const writers = new WeakMap<object, (em: EntityManager, rows: Rows) => Promise<Map<string, number>>>();

/**
 * Group commit for emits: while a write is running, further emits queue, and the next write
 * takes all of them in one statement, so Postgres pays for one statement, one
 * add_jobs and one commit per group rather than per emit. An idle process writes at once.
 * Each caller still returns only after its own rows are committed. A shared write that fails
 * is retried per caller, so one bad emit cannot fail the others it was grouped with.
 */
function groupWriter() {
  let inFlight = 0;
  const queue: Pending[] = [];

  const takeGroup = (): Pending[] => {
    const group = [queue.shift()!];
    let events = group[0]!.events.length;
    while (queue.length && events + queue[0]!.events.length <= EVENTS_PER_WRITE) {
      events += queue[0]!.events.length;
      group.push(queue.shift()!);
    }
    return group;
  };

  const write = async (group: Pending[]) => {
    inFlight++;
    try {
      const rows = { events: group.flatMap((pending) => pending.events), deliveries: group.flatMap((pending) => pending.deliveries) };
      const written = await writeNow(group[0]!.em, rows);
      for (const pending of group) pending.resolve(written);
    } catch (error) {
      if (group.length === 1) group[0]!.reject(error);
      else for (const pending of group) writeNow(pending.em, pending).then(pending.resolve, pending.reject);
    } finally {
      inFlight--;
      if (queue.length) void write(takeGroup());
    }
  };

  return (em: EntityManager, rows: Rows) =>
    new Promise<Map<string, number>>((resolve, reject) => {
      queue.push({ ...rows, em, resolve, reject });
      if (inFlight < WRITES_IN_FLIGHT) void write(takeGroup());
    });
}
