import type { EntityManager } from '@mikro-orm/postgresql';

// One batch of one workspace: the oldest events past the delivery-record age whose deliveries
// are all finished, with their deliveries and attempts, oldest first on the (workspace_id,
// created_at) index. Deleted rows leave the index, so each batch starts at the new oldest;
// SKIP LOCKED steps over rows another statement holds instead of waiting for them. An event
// with an unfinished delivery is kept until it finishes.
const DELETE_EXPIRED = `with expired as (
       select e.id from events e
       where e.workspace_id = ? and e.created_at < ?
         and not exists (select 1 from deliveries d where d.event_id = e.id and d.status in ('PENDING', 'DELIVERING', 'RETRYING'))
       order by e.created_at
       limit ?
       for update of e skip locked),
     attempts_deleted as (
       delete from attempts a using deliveries d
       where d.event_id in (select id from expired) and a.delivery_id = d.id
       returning a.id),
     deliveries_deleted as (
       delete from deliveries d where d.event_id in (select id from expired) returning d.id),
     events_deleted as (
       delete from events e where e.id in (select id from expired) returning e.id)
     select (select count(*) from events_deleted)::int as events, (select count(*) from deliveries_deleted)::int as deliveries,
            (select count(*) from attempts_deleted)::int as attempts`;

export interface DeletedBatch {
  events: number;
  deliveries: number;
  attempts: number;
}

/** Deletes up to `limit` events older than `before`, with their deliveries and attempts. */
export async function deleteExpired(em: EntityManager, workspaceId: string, before: Date, limit: number): Promise<DeletedBatch> {
  const [batch] = await em.execute<DeletedBatch[]>(DELETE_EXPIRED, [workspaceId, before, limit]);
  return batch!;
}
