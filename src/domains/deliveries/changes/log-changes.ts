import { DELIVERY_CHANNEL, listenedTo } from '../delivery-notifications.ts';

/**
 * SQL: two CTEs that enter the deliveries of `source` (a CTE with `id`, `workspace_id` and
 * `status`, e.g. an insert's or an update's RETURNING) into the change log, in the statement
 * that changes them, and wake the streams of their workspaces. For the changes no trigger
 * sees: a delivery created, parked while its connection is not active and unparked when it is
 * again, taken back from a worker whose lease ran out, and stopped by erasure (an attempt and a
 * replay write their rows by triggers, see the delivery_changes migration).
 *
 * Part of the writing statement rather than a trigger or a statement of its own: no round trip
 * and no trigger call on the emit path. The rows take the statement's transaction id, so they
 * are read in the log's commit-safe order like every other change, and in id order within it.
 * One notification per workspace whatever the number of rows (the streams read the log, not the
 * notification), and only where some API process streams the workspace, as notifying costs
 * every commit (see `listenedTo`). The statement must read `announced_changes` (a CTE that
 * only selects runs only when read), e.g. `(select count(*) from announced_changes)`.
 */
export function logChangesCtes(source: string): string {
  return `logged_changes as (
       insert into delivery_changes (workspace_id, delivery_id, status)
       select workspace_id, id, status from ${source} order by id
       returning workspace_id),
     announced_changes as (
       select pg_notify('${DELIVERY_CHANNEL}', json_build_object('workspaceId', w.workspace_id)::text)
       from (select distinct workspace_id from logged_changes) w
       where ${listenedTo('w.workspace_id')})`;
}
