import type { EntityManager } from '@mikro-orm/postgresql';
import { preparedStatement, runPrepared } from '../../../db/prepared-statement.ts';
import type { DeliveryStatus } from '../delivery.entity.ts';
import type { ChangeCursor } from './change-cursor.ts';

/** One row of the change log: a new attempt (with `attemptId`), a new delivery, a replay, or a delivery erasure stopped. */
export interface ChangeRow {
  cursor: ChangeCursor;
  deliveryId: string;
  attemptId: string | null;
  /** The delivery's status as the change left it. */
  status: DeliveryStatus;
}

export interface ChangePage {
  changes: ChangeRow[];
  /**
   * Committed changes wait behind a transaction that is still running (and may yet commit one
   * before them): read again shortly. Such a wait lasts as long as the oldest write transaction
   * of the database, milliseconds in Switchyard's own.
   */
  heldBack: boolean;
}

/**
 * The oldest transaction of this database still running, or the next one to start: every
 * change with a smaller txid has committed or never will. It is the snapshot's xmin, except that
 * transactions positively seen in another database of the cluster are left out (they never
 * write here), so a long transaction next door does not hold streams up. One that ended between
 * the snapshot and the look at pg_stat_activity still counts: the frontier only errs early.
 */
const FRONTIER = `snapshot as materialized (select pg_current_snapshot() as s),
     elsewhere as (
       select backend_xid::text::bigint as xid from pg_stat_activity
       where backend_xid is not null and datname is not null and datname <> current_database()),
     frontier as materialized (
       select coalesce(min(x), pg_snapshot_xmax((select s from snapshot))) as xmin
       from pg_snapshot_xip((select s from snapshot)) as x
       where (x::text::numeric % 4294967296)::bigint not in (select xid from elsewhere))`;

/**
 * The workspace's changes after `after`, oldest first, up to `limit`, and only those below the
 * frontier: a later read then never finds a change before the last one returned. `upTo` bounds
 * the page (inclusive) instead, for reading a range already read below a frontier once: final.
 */
const READ_CHANGES = preparedStatement('switchyard_read_delivery_changes', `with ${FRONTIER},
     page as (
       select c.txid, c.position, c.delivery_id, c.attempt_id, c.status from delivery_changes c
       where c.workspace_id = ?::uuid and (c.txid, c.position) > (?::xid8, ?::bigint)
         and (c.txid, c.position) <= (?::xid8, ?::bigint)
         and (?::boolean or c.txid < (select xmin from frontier))
       order by c.txid, c.position
       limit ?)
     select coalesce((select json_agg(json_build_object(
              'txid', p.txid::text, 'position', p.position::text, 'deliveryId', p.delivery_id, 'attemptId', p.attempt_id, 'status', p.status)
              order by p.txid, p.position) from page p), '[]') as changes,
            exists (select 1 from delivery_changes h where h.workspace_id = ?::uuid and h.txid >= (select xmin from frontier)) as held_back`);

/** The largest cursor there is, for reads bounded by nothing. */
const END: ChangeCursor = { txid: '18446744073709551615', position: '9223372036854775807' };

export async function readChanges(
  em: EntityManager,
  workspaceId: string,
  after: ChangeCursor,
  options: { limit: number; upTo?: ChangeCursor },
): Promise<ChangePage> {
  const upTo = options.upTo ?? END;
  const [row] = await runPrepared<{ changes: (ChangeCursor & Omit<ChangeRow, 'cursor'>)[]; held_back: boolean }>(em, READ_CHANGES, [
    // A bounded read covers rows already below some frontier: no new one can appear among them.
    workspaceId, after.txid, after.position, upTo.txid, upTo.position, options.upTo !== undefined, options.limit, workspaceId,
  ]);
  return {
    changes: (row?.changes ?? []).map(({ txid, position, ...change }) => ({ cursor: { txid, position }, ...change })),
    heldBack: row?.held_back ?? false,
  };
}

const HEAD = preparedStatement('switchyard_delivery_changes_head', `with ${FRONTIER} select xmin::text as txid from frontier`);

/**
 * A cursor before every change not yet committed: a stream that starts after it gets everything
 * committed from now on (and perhaps a few that committed just before). Reads no table of ours.
 */
export async function headCursor(em: EntityManager): Promise<ChangeCursor> {
  const [row] = await runPrepared<{ txid: string }>(em, HEAD, []);
  return { txid: row!.txid, position: '0' };
}
