import type { EntityManager } from '@mikro-orm/postgresql';
import { namedStatement, runNamed } from '../../../db/prepared-statement.ts';
import { statusIn, WAITING } from './delivery-states.ts';

/**
 * `park`: the waiting deliveries of a connection that is not active wait for it, parked, so no
 * claim looks at them until resumeConnection unparks them. The connection row is share-locked,
 * so a resume committing meanwhile is waited for and seen, and never leaves deliveries parked
 * behind it.
 */
const PARK_WAITING = namedStatement<{ connectionId: string }>('switchyard_park_waiting', `
  with inactive as (select id from connections where id = :connectionId and status <> 'ACTIVE' for share)
  update deliveries d set parked_at = now(), updated_at = now()
  where d.connection_id in (select id from inactive) and ${statusIn(WAITING, 'd')} and d.parked_at is null`);

/** Parks the waiting deliveries of `connectionId` unless it is active (again). */
export async function parkWaiting(em: EntityManager, connectionId: string): Promise<void> {
  await runNamed(em, PARK_WAITING, { connectionId });
}
