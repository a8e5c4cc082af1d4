import type { EntityManager } from '@mikro-orm/postgresql';
import { namedStatement, runNamed } from '../../../db/prepared-statement.ts';

interface ThrottleParams {
  connectionId: string;
  seconds: number;
  reason: string;
}

interface ThrottleRow {
  name: string;
  kind: string;
  throttled_until: Date;
  started: boolean;
}

/**
 * `throttle`, the connection's part (the delivery's is `writeAttempt`'s): the connection waits at
 * least `seconds` from now, a longer wait already set being kept, as answers of attempts that were
 * in flight together come back. The row is locked first, so of two such answers one sees the
 * other's reason, and a wait for a new reason is said to start once.
 */
const THROTTLE_CONNECTION = namedStatement<ThrottleParams>('switchyard_throttle_connection', `with before as (
       select id, throttle_reason from connections where id = :connectionId for update)
     update connections c set throttled_until = greatest(c.throttled_until, now() + make_interval(secs => :seconds)), throttle_reason = :reason
     from before b where c.id = b.id
     returning c.name, c.kind, c.throttled_until, b.throttle_reason is distinct from :reason as started`);

/**
 * Makes the connection wait `seconds` for its vendor's quota, in the caller's transaction.
 * Returns until when it waits, and whether this wait starts one (the connection was not already
 * waiting for the same reason); null when the connection is gone.
 */
export async function throttleConnection(
  tx: EntityManager,
  connectionId: string,
  wait: { seconds: number; reason: string },
): Promise<{ name: string; kind: string; until: Date; started: boolean } | null> {
  const [row] = await runNamed<ThrottleRow, ThrottleParams>(tx, THROTTLE_CONNECTION, { connectionId, ...wait });
  return row ? { name: row.name, kind: row.kind, until: new Date(row.throttled_until), started: row.started } : null;
}
