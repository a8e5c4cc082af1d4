import type { EntityManager } from '@mikro-orm/postgresql';

export interface OrderedHead {
  id: string;
  /** When the head may be tried: its next retry, or the end of another worker's claim. */
  waitUntil: Date | null;
}

/** The oldest unfinished delivery of an ordered connection, by event sequence. */
export async function nextOrderedDelivery(em: EntityManager, connectionId: string): Promise<OrderedHead | null> {
  const [row] = await em.execute<{ id: string; wait_until: Date | null }[]>(
    `select d.id,
            case when d.status = 'DELIVERING' then d.claimed_until else d.next_attempt_at end as wait_until
     from deliveries d join events e on e.id = d.event_id
     where d.connection_id = ? and d.status in ('PENDING', 'RETRYING', 'DELIVERING') and d.parked_at is null
     order by e.sequence, d.id
     limit 1`,
    [connectionId],
  );
  return row ? { id: row.id, waitUntil: row.wait_until ? new Date(row.wait_until) : null } : null;
}
