import type { EntityManager, PostgreSqlConnection } from '@mikro-orm/postgresql';
import { groupCommit, groupCommitPer } from '../../db/group-commit.ts';
import { preparedStatement, runPrepared } from '../../db/prepared-statement.ts';
import { shareOrAddJobsCtes, type JobSpec } from '../../db/graphile-worker.ts';
import type { EventRow } from './event-record.ts';
import { eventSequenceName } from './event-sequence.ts';

export interface DeliveryRow {
  id: string;
  workspace_id: string;
  event_id: string;
  connection_id: string;
  /** Null for a test send, which no rule routed. */
  rule_id: string | null;
  event_type: string;
  status: 'PENDING' | 'DEAD';
  parked_at: string | null;
  last_error: string | null;
  created_at: string;
  /** A test send's delivery; left out, false. */
  test?: boolean;
  /** The job that makes its first attempt; none while parked or dead. */
  job: JobSpec | null;
}

const PERSIST_EVENTS = preparedStatement('switchyard_persist_events', `with given as (
       select e.*, j.row->>'sequence_name' as sequence_name, j.ord,
              row_number() over (partition by e.workspace_id, e.idempotency_key order by j.ord) as nth
       from json_array_elements(?::json) with ordinality as j(row, ord), json_populate_record(null::events, j.row) as e),
     inserted_events as (
       insert into events (id, workspace_id, type, resource, resource_id, payload, idempotency_key, sequence, created_at,
                           operational, test)
       select g.id, g.workspace_id, g.type, g.resource, g.resource_id, g.payload, g.idempotency_key,
              coalesce(g.sequence, nextval(g.sequence_name::regclass)), g.created_at, g.operational, coalesce(g.test, false)
       from given g
       -- A key already stored, or given earlier in this write, takes no number: nextval runs only
       -- for the rows that pass, after the sort, so in input order. Two emits of one new key
       -- racing in separate writes can still cost one number; ON CONFLICT keeps them one event.
       where g.idempotency_key is null
          or (g.nth = 1 and not exists (
                select 1 from events x where x.workspace_id = g.workspace_id and x.idempotency_key = g.idempotency_key))
       order by g.ord
       on conflict (workspace_id, idempotency_key) do nothing
       returning id, sequence),
     planned as (
       select * from json_to_recordset(?::json) as d(
         id uuid, workspace_id uuid, event_id uuid, connection_id uuid, rule_id uuid, event_type text,
         status delivery_status, parked_at timestamptz, last_error text, created_at timestamptz, test boolean, job json)
       where d.event_id in (select id from inserted_events)),
     inserted_deliveries as (
       insert into deliveries (id, workspace_id, event_id, connection_id, rule_id, event_type, status, parked_at,
                               last_error, created_at, updated_at, test)
       select id, workspace_id, event_id, connection_id, rule_id, event_type, status, parked_at,
              last_error, created_at, created_at, coalesce(test, false)
       from planned
       returning id),
     wanted as (
       select distinct on (coalesce(job->>'job_key', id::text)) job from planned where job is not null),
     ${shareOrAddJobsCtes('wanted')}
     select (select json_object_agg(id, sequence) from inserted_events) as inserted,
            (select count(*) from inserted_deliveries) as deliveries,
            (select added from jobs) as jobs,
            (select count(*) from woken) as woken`);

/**
 * Writes events, their deliveries and the deliveries' jobs in ONE statement, hence one
 * transaction: an acknowledged event is never lost and a failed emit leaves nothing behind.
 * A connection whose pump already waits gets no new job: the write share-locks the waiting job
 * instead, so no worker can start it before the deliveries are committed, and concurrent writes
 * for one connection do not queue behind each other's update of that one row.
 * An event whose idempotency key already exists (or repeats one earlier in the write) is skipped
 * together with its deliveries and jobs, and uses up no sequence number. Returns the sequence of each event written by id (more events when the write was
 * shared); events without one are numbered here, in order.
 *
 * Outside a transaction, concurrent small emits share writes (see `writerFor`).
 */
export async function persistEvents(em: EntityManager, events: EventRow[], deliveries: DeliveryRow[]): Promise<Map<string, number>> {
  if (em.isInTransaction() || events.length >= GROUPED_BELOW) return writeNow(em, [{ events, deliveries }]);
  return writerFor(em.getConnection())({ events, deliveries });
}

interface Rows {
  events: EventRow[];
  deliveries: DeliveryRow[];
}

/**
 * Emits of fewer events than this share writes; a larger batch has its own, as sharing would
 * only queue it behind others (big writes in parallel use more of Postgres's cores).
 */
const GROUPED_BELOW = 50;
const EVENTS_PER_WRITE = 500;

/** Concurrent emits of this process share writes (group commit), up to EVENTS_PER_WRITE events. */
const writerFor = groupCommitPer((connection: PostgreSqlConnection) =>
  groupCommit({
    write: (emits: Rows[]) => writeNow(connection, emits),
    weight: (emit) => emit.events.length,
    maxWeight: EVENTS_PER_WRITE,
  }),
);

async function writeNow(db: EntityManager | PostgreSqlConnection, emits: Rows[]): Promise<Map<string, number>> {
  const events = emits.flatMap((emit) => emit.events).map((row) => ({ ...row, sequence_name: eventSequenceName(row.workspace_id) }));
  const deliveries = emits.flatMap((emit) => emit.deliveries);
  const [result] = await runPrepared<{ inserted: Record<string, number> | null }>(db, PERSIST_EVENTS, [JSON.stringify(events), JSON.stringify(deliveries)]);
  return new Map(Object.entries(result?.inserted ?? {}).map(([id, sequence]) => [id, Number(sequence)]));
}
