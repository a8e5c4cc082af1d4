import type { EntityManager } from '@mikro-orm/postgresql';
import { namedStatement, runNamed } from '../../../db/prepared-statement.ts';
import { logChangesCtes } from '../changes/log-changes.ts';
import { statusIn, WAITING } from './delivery-states.ts';

/**
 * `park`: the waiting deliveries of a connection that is not active wait for it, parked, so no
 * claim looks at them until resumeConnection unparks them. The connection row is share-locked,
 * so a resume committing meanwhile is waited for and seen, and never leaves deliveries parked
 * behind it. Each one parked enters the change log in the same statement, so streams show it
 * waiting (`paused`) at once rather than at its next attempt.
 */
const PARK_WAITING = namedStatement<{ connectionId: string }>('switchyard_park_waiting', `
  with inactive as (select id from connections where id = :connectionId and status <> 'ACTIVE' for share),
     parked as (
       update deliveries d set parked_at = now(), updated_at = now()
       where d.connection_id in (select id from inactive) and ${statusIn(WAITING, 'd')} and d.parked_at is null
       returning d.id, d.workspace_id, d.status),
     ${logChangesCtes('parked')}
  select (select count(*) from parked) as parked, (select count(*) from announced_changes) as announced`);

/** Parks the waiting deliveries of `connectionId` unless it is active (again). */
export async function parkWaiting(em: EntityManager, connectionId: string): Promise<void> {
  await runNamed(em, PARK_WAITING, { connectionId });
}
