import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import { logger } from '../../observability/logger.ts';
import { stopErasedDeliveries } from '../deliveries/state/stop-erased.ts';
import { emitOperationalEvent } from '../events/operational-events.ts';
import { parseInput } from '../validation.ts';

const log = logger.child({ component: 'erasure' });

const eraseInput = z.object({
  resource: z.string().trim().min(1).max(200),
  resourceId: z.string().trim().min(1).max(200),
});

/** Why a delivery stopped: it is kept, for the audit trail, but never sent. */
export const ERASED_REASON = 'the event was erased (eraseResource); it is not sent';

// One batch: the next events about the resource in id order (the (workspace_id, resource,
// resource_id, id) index), in one short transaction. Their payloads go and the response bodies of
// their attempts go; then the delivery state machine stops their deliveries still waiting to be
// sent (`stopErasedDeliveries`); ids, types, times, statuses and status codes stay.
const ERASE_BATCH = `with candidates as (
       select e.id from events e
       where e.workspace_id = ? and e.resource = ? and e.resource_id = ?
         and e.id > coalesce(?::uuid, '00000000-0000-0000-0000-000000000000')
       order by e.id
       limit ?),
     payloads as (
       update events e set payload = null, payload_removed_at = now(), payload_removed_by = 'ERASED'
       where e.id in (select id from candidates) and e.payload is not null
       returning e.id),
     bodies as (
       update attempts a set response_excerpt = null
       from deliveries d
       where d.event_id in (select id from candidates) and a.delivery_id = d.id and a.response_excerpt is not null
       returning a.id)
     select (select max(id::text) from candidates) as last, (select count(*) from candidates)::int as events,
            (select count(*) from payloads)::int as payloads, (select count(*) from bodies)::int as bodies,
            (select coalesce(json_agg(id), '[]') from candidates) as erased`;

export interface ErasureCounts {
  /** Events about the resource. */
  events: number;
  /** Payloads removed (an event whose payload retention already removed is not counted). */
  payloads: number;
  /** Attempts whose response bodies were removed. */
  attemptBodies: number;
  /** Deliveries that were still waiting and will not be sent. */
  deliveriesStopped: number;
}

export interface EraseOptions {
  /** Events one batch erases. (Default: 1000) */
  batchSize?: number;
  /** Called after each batch with its counts: for progress reports and tests. */
  onBatch?: (batch: ErasureCounts) => void;
}

/**
 * Erases what Switchyard holds about one resource of a workspace (GDPR Art. 17): the payload of
 * every event about it and the response bodies of their attempts, in batches of one short
 * statement each, so emits and deliveries go on meanwhile. The delivery records stay, for the
 * audit trail, and `switchyard.resource.erased` is emitted with the counts, so a rule can pass
 * the erasure on. An attempt already in flight finishes.
 */
export async function eraseResource(em: EntityManager, config: Config, workspaceId: string, input: unknown, options: EraseOptions = {}): Promise<ErasureCounts> {
  const { resource, resourceId } = parseInput(eraseInput, input);
  const batchSize = options.batchSize ?? 1000;
  const total: ErasureCounts = { events: 0, payloads: 0, attemptBodies: 0, deliveriesStopped: 0 };
  let after: string | null = null;
  for (;;) {
    const batch = await em.transactional(async (tx) => {
      const [row] = await tx.execute<{ last: string | null; events: number; payloads: number; bodies: number; erased: string[] }[]>(
        ERASE_BATCH, [workspaceId, resource, resourceId, after, batchSize],
      );
      return { ...row!, stopped: await stopErasedDeliveries(tx, workspaceId, row!.erased, ERASED_REASON) };
    });
    const counts = { events: batch.events, payloads: batch.payloads, attemptBodies: batch.bodies, deliveriesStopped: batch.stopped.length };
    total.events += counts.events;
    total.payloads += counts.payloads;
    total.attemptBodies += counts.attemptBodies;
    total.deliveriesStopped += counts.deliveriesStopped;
    options.onBatch?.(counts);
    if (batch.events < batchSize || !batch.last) break;
    after = batch.last;
  }
  await em.transactional((tx) =>
    emitOperationalEvent(tx, config, workspaceId, 'switchyard.resource.erased', { resource, resourceId }, { resource, resourceId, ...total }),
  );
  log.info({ workspaceId, ...total }, 'a resource was erased');
  return total;
}
