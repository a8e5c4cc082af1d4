import type { EntityManager } from '@mikro-orm/postgresql';
import { namedStatement, runNamed } from '../../../db/prepared-statement.ts';
import { logChangesCtes } from '../changes/log-changes.ts';
import { statusIn, WAITING } from './delivery-states.ts';

/**
 * `erase`: the waiting deliveries of erased events stop, dead with the reason, parked or not: they
 * could only send an empty payload now. One in flight keeps its claim and ends as its attempt
 * says; the record of each stays, for the audit trail. Each one stopped enters the change log, so
 * streams (and the portal's log) show it dead, with no attempt to announce it.
 */
interface StopErasedParams {
  workspaceId: string;
  eventIds: string[];
  reason: string;
}

const STOP_ERASED = namedStatement<StopErasedParams>('switchyard_stop_erased', `
  with stopped as (
       update deliveries d set status = 'DEAD', next_attempt_at = null, parked_at = null, last_error = :reason, updated_at = now()
       where d.workspace_id = :workspaceId and d.event_id = any(:eventIds::uuid[]) and ${statusIn(WAITING, 'd')}
       returning d.id, d.workspace_id, d.status),
     ${logChangesCtes('stopped')}
  select s.id, (select count(*) from announced_changes) as announced from stopped s`);

/**
 * Stops the waiting deliveries of the erased events `eventIds` of one workspace, in the caller's transaction, and
 * logs and announces the changes. Returns the ids stopped.
 */
export async function stopErasedDeliveries(tx: EntityManager, workspaceId: string, eventIds: string[], reason: string): Promise<string[]> {
  if (eventIds.length === 0) return [];
  const rows = await runNamed<{ id: string }, StopErasedParams>(tx, STOP_ERASED, { workspaceId, eventIds, reason });
  return rows.map((row) => row.id);
}
