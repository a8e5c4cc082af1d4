import type { EntityManager, PostgreSqlConnection } from '@mikro-orm/postgresql';
import { groupCommit, groupCommitPer } from '../../db/group-commit.ts';
import { preparedStatement, runPrepared, type PreparedStatement } from '../../db/prepared-statement.ts';
import { shareOrAddJobsCtes, type JobSpec } from '../../db/graphile-worker.ts';
import { logChangesCtes } from '../deliveries/changes/log-changes.ts';
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

/** The events' part of the write: the checks, and the events that pass them, numbered. */
const WRITE_EVENTS_CTES = `with sent as (
       select e.*, j.row->>'sequence_name' as sequence_name, j.ord,
              (j.row->>'key_id')::uuid as key_id, (j.row->>'routing_version')::int as routing_version,
              row_number() over (partition by e.workspace_id, e.idempotency_key order by j.ord) as nth
       from json_array_elements(?::json) with ordinality as j(row, ord), json_populate_record(null::events, j.row) as e),
     -- Each emit's key (still there, not revoked) and the routing version its deliveries were
     -- routed by, checked once per emit in the statement that commits it: a key revoked, or a
     -- rule changed, before this write started is seen here, in whichever process it happened.
     checks as (
       select c.key_id, c.workspace_id, c.routing_version,
              case when c.key_id is not null and not exists (
                     select 1 from api_keys k where k.id = c.key_id and k.revoked_at is null) then 'key'
                   when c.routing_version is not null and not exists (
                     select 1 from workspaces w where w.id = c.workspace_id and w.routing_version = c.routing_version) then 'routing'
              end as refused
       from (select distinct key_id, workspace_id, routing_version from sent) c),
     given as (
       select s.*, k.refused from sent s join checks k
         on k.key_id is not distinct from s.key_id and k.workspace_id = s.workspace_id
        and k.routing_version is not distinct from s.routing_version),
     inserted_events as (
       insert into events (id, workspace_id, type, resource, resource_id, payload, idempotency_key, sequence, created_at,
                           operational, test)
       -- json_populate_record reads a JSON null payload as SQL NULL, which is what a payload that
       -- retention or erasure removed is: an emitted null is stored as the JSON value null.
       select g.id, g.workspace_id, g.type, g.resource, g.resource_id, coalesce(g.payload, 'null'::jsonb), g.idempotency_key,
              coalesce(g.sequence, nextval(g.sequence_name::regclass)), g.created_at, g.operational, coalesce(g.test, false)
       from given g
       -- A key already stored, or given earlier in this write, takes no number: nextval runs only
       -- for the rows that pass, after the sort, so in input order. Two emits of one new key
       -- racing in separate writes can still cost one number; ON CONFLICT keeps them one event.
       where g.refused is null and (g.idempotency_key is null
          or (g.nth = 1 and not exists (
                select 1 from events x where x.workspace_id = g.workspace_id and x.idempotency_key = g.idempotency_key)))
       order by g.ord
       on conflict (workspace_id, idempotency_key) do nothing
       returning id, sequence)`;

const WRITE_RESULT = `select (select json_object_agg(id, sequence) from inserted_events) as inserted,
            (select json_object_agg(id, refused) from given where refused is not null) as refused`;

const PERSIST_EVENTS = preparedStatement('switchyard_persist_events', `${WRITE_EVENTS_CTES},
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
       returning id, workspace_id, status),
     ${logChangesCtes('inserted_deliveries')},
     wanted as (
       select distinct on (coalesce(job->>'job_key', id::text)) job from planned where job is not null),
     ${shareOrAddJobsCtes('wanted')}
     ${WRITE_RESULT},
            (select count(*) from inserted_deliveries) as deliveries,
            (select added from jobs) as jobs,
            (select count(*) from woken) as woken,
            (select count(*) from queued) as queued,
            (select count(*) from announced_changes) as announced`);

/**
 * The write of emits that route nowhere: the same checks and events without the parts that
 * write deliveries, log their changes and share or add their jobs, which an emit with no
 * deliveries pays for too, about a fifth of its write (bench/README.md, section 9).
 */
const PERSIST_EVENTS_ONLY = preparedStatement('switchyard_persist_events_only', `${WRITE_EVENTS_CTES}\n     ${WRITE_RESULT}`);

function writeOf(events: object[], deliveries: DeliveryRow[]): [PreparedStatement, unknown[]] {
  return deliveries.length
    ? [PERSIST_EVENTS, [JSON.stringify(events), JSON.stringify(deliveries)]]
    : [PERSIST_EVENTS_ONLY, [JSON.stringify(events)]];
}

/**
 * Writes events, their deliveries and the deliveries' jobs in ONE statement, hence one
 * transaction: an acknowledged event is never lost and a failed emit leaves nothing behind.
 * The new deliveries enter the change log in the same statement, so streams show them as they
 * commit, a paused connection's too (see `logChangesCtes`).
 * A connection whose pump already waits gets no new job: the write share-locks the waiting job
 * instead, so no worker can start it before the deliveries are committed, and concurrent writes
 * for one connection do not queue behind each other's update of that one row.
 * An event whose idempotency key already exists (or repeats one earlier in the write) is skipped
 * together with its deliveries and jobs, and uses up no sequence number. Events without a
 * sequence are numbered here, in order. `check` is what the write verifies first: an emit whose
 * key is gone or revoked, or whose routing is stale, is refused whole (see `EmitCheck`).
 *
 * Outside a transaction, concurrent small emits share writes (see `writerFor`).
 */
export async function persistEvents(em: EntityManager, events: EventRow[], deliveries: DeliveryRow[], check: EmitCheck = NO_CHECK): Promise<Persisted> {
  const rows = { events, deliveries, check };
  const { inserted, refused } = em.isInTransaction() || events.length >= GROUPED_BELOW ? await writeNow(em, [rows]) : await writerFor(em.getConnection())(rows);
  return { written: inserted, refused: refused.get(events[0]!.id) ?? null };
}

/** What the write checks of one emit before it writes anything of it. */
export interface EmitCheck {
  /** The caller's key: the emit is refused if it is gone or revoked. Null: no key to check. */
  keyId: string | null;
  /** The routing version its deliveries were routed by: refused if the workspace's moved on. Null: not checked. */
  routingVersion: number | null;
}

const NO_CHECK: EmitCheck = { keyId: null, routingVersion: null };

export interface Persisted {
  /** The sequence of each event written, by id: an event left out was a duplicate (or refused). */
  written: Map<string, number>;
  /** Why the write refused the whole emit, writing nothing of it; null when it did not. */
  refused: 'key' | 'routing' | null;
}

interface Rows {
  events: EventRow[];
  deliveries: DeliveryRow[];
  check: EmitCheck;
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

async function writeNow(db: EntityManager | PostgreSqlConnection, emits: Rows[]): Promise<{ inserted: Map<string, number>; refused: Map<string, 'key' | 'routing'> }> {
  const events = emits.flatMap(({ events, check }) => events.map((row) => ({
    ...row,
    sequence_name: eventSequenceName(row.workspace_id),
    key_id: check.keyId,
    routing_version: check.routingVersion,
  })));
  const deliveries = emits.flatMap((emit) => emit.deliveries);
  const [result] = await runPrepared<{ inserted: Record<string, number> | null; refused: Record<string, 'key' | 'routing'> | null }>(
    db, ...writeOf(events, deliveries));
  return {
    inserted: new Map(Object.entries(result?.inserted ?? {}).map(([id, sequence]) => [id, Number(sequence)])),
    refused: new Map(Object.entries(result?.refused ?? {})),
  };
}
