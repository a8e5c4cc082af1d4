import type { EntityManager } from '@mikro-orm/postgresql';

// One batch of one workspace: the next events older than the payload age after the workspace's
// cursor, in (created_at, id) order on the (workspace_id, created_at) index. Events with an
// unfinished delivery keep their payload (the attempt still needs it); the others lose it, and
// the attempts of their deliveries lose their response bodies. The cursor moves past the whole
// batch, so no run steps over payloads already removed. One statement, so each batch commits
// on its own and holds its row locks only as long as it runs.
const REMOVE_PAYLOADS = `with candidates as (
       select e.id, e.created_at from events e
       where e.workspace_id = ? and e.created_at < ?
         and (e.created_at, e.id) > (coalesce(?::timestamptz, '-infinity'), coalesce(?::uuid, '00000000-0000-0000-0000-000000000000'))
       order by e.created_at, e.id
       limit ?),
     unfinished as (
       select distinct d.event_id from deliveries d
       where d.event_id in (select id from candidates) and d.status in ('PENDING', 'DELIVERING', 'RETRYING')),
     removed as (
       update events e set payload = null, payload_removed_at = now(), payload_removed_by = 'EXPIRED'
       where e.id in (select id from candidates) and e.id not in (select event_id from unfinished) and e.payload_removed_at is null
       returning e.id),
     bodies as (
       update attempts a set response_excerpt = null
       from deliveries d
       where d.event_id in (select id from removed) and a.delivery_id = d.id and a.response_excerpt is not null
       returning a.id),
     last as (select created_at, id from candidates order by created_at desc, id desc limit 1),
     moved as (
       update workspaces w set payloads_removed_through = last.created_at, payloads_removed_through_id = last.id
       from last where w.id = ?
       returning w.id)
     select (select count(*) from candidates)::int as scanned, (select count(*) from removed)::int as payloads,
            (select count(*) from bodies)::int as bodies, (select count(*) from unfinished)::int as kept,
            (select count(*) from moved)::int as moved`;

export interface PayloadBatch {
  /** Events looked at: fewer than the batch size means the workspace is done for now. */
  scanned: number;
  payloads: number;
  bodies: number;
  /** Events that keep their payload because a delivery of theirs is unfinished. */
  kept: number;
}

/** Removes the payloads and response bodies of up to `limit` events older than `before`. */
export async function removePayloads(em: EntityManager, workspaceId: string, before: Date, limit: number): Promise<PayloadBatch> {
  const [cursor] = await em.execute<{ through: Date | null; through_id: string | null }[]>(
    'select payloads_removed_through as through, payloads_removed_through_id as through_id from workspaces where id = ?',
    [workspaceId],
  );
  const [batch] = await em.execute<PayloadBatch[]>(REMOVE_PAYLOADS, [workspaceId, before, cursor?.through ?? null, cursor?.through_id ?? null, limit, workspaceId]);
  return { scanned: batch!.scanned, payloads: batch!.payloads, bodies: batch!.bodies, kept: batch!.kept };
}
