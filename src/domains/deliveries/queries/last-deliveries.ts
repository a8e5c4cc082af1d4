import type { EntityManager } from '@mikro-orm/postgresql';
import { Delivery } from '../delivery.entity.ts';

/**
 * The newest delivery of each connection, in one query. Deliveries are indexed by (connection,
 * status, created_at), so the newest of each status is one index probe; the newest of those five
 * is the connection's newest, however long its history, with no index of its own to maintain.
 */
const NEWEST_PER_STATUS = `
  select distinct on (c.id) d.id
  from (select json_array_elements_text(?::json)::uuid as id) c
  cross join unnest(enum_range(null::delivery_status)) as s(status)
  cross join lateral (
    select id, created_at from deliveries
    where connection_id = c.id and status = s.status
    order by created_at desc limit 1) d
  order by c.id, d.created_at desc`;

/** Each connection's newest delivery, keyed by connection id; connections without any are absent. */
export async function lastDeliveries(em: EntityManager, connectionIds: readonly string[]): Promise<Map<string, Delivery>> {
  if (connectionIds.length === 0) return new Map();
  const rows = await em.execute<{ id: string }[]>(NEWEST_PER_STATUS, [JSON.stringify(connectionIds)]);
  if (rows.length === 0) return new Map();
  const deliveries = await em.find(Delivery, { id: { $in: rows.map((row) => row.id) } });
  return new Map(deliveries.map((delivery) => [delivery.connection.id, delivery]));
}
