import type pg from 'pg';
import type { BacklogStats } from '../../../observability/database-metrics.ts';

// Per connection, so each count walks the (connection_id, status, created_at) index over the
// unfinished deliveries only, never the finished ones that make up most of the table: its
// cost follows the backlog, not the history.
const BACKLOG = `
  select c.kind, b.status, b.parked, sum(b.count)::int as count
  from connections c
  cross join lateral (
    select d.status, d.parked_at is not null as parked, count(*) as count
    from deliveries d
    where d.connection_id = c.id and d.status in ('PENDING', 'DELIVERING', 'RETRYING')
    group by 1, 2) b
  group by 1, 2, 3`;

// The head of each active connection's queue: its oldest waiting first attempt, and its
// earliest retry already due (the partial index the pumps use). Two index probes a connection.
const OLDEST_DUE = `
  select coalesce(extract(epoch from now() - min(due)), 0)::float8 as seconds
  from connections c
  cross join lateral (
    (select d.created_at as due from deliveries d
     where d.connection_id = c.id and d.status = 'PENDING' and d.parked_at is null
     order by d.created_at limit 1)
    union all
    (select d.next_attempt_at from deliveries d
     where d.connection_id = c.id and d.status = 'RETRYING' and d.parked_at is null and d.next_attempt_at <= now()
     order by d.next_attempt_at limit 1)) heads
  where c.status = 'ACTIVE'`;

const CONNECTIONS = `select kind, status, count(*)::int as count from connections group by 1, 2`;

/**
 * The backlog, the age of its oldest due delivery and the connections by status: what the
 * scrape-time gauges show, read in three short statements on the caller's pool.
 */
export async function readBacklogStats(pool: pg.Pool): Promise<BacklogStats> {
  const [backlog, oldest, connections] = await Promise.all([
    pool.query<BacklogStats['backlog'][number]>(BACKLOG),
    pool.query<{ seconds: number }>(OLDEST_DUE),
    pool.query<BacklogStats['connections'][number]>(CONNECTIONS),
  ]);
  return { backlog: backlog.rows, oldestDueSeconds: Math.max(0, oldest.rows[0]?.seconds ?? 0), connections: connections.rows };
}
