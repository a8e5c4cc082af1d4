import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ConflictError, NotFoundError } from '../../errors.ts';
import { Delivery, type DeliveryStatus } from '../delivery.entity.ts';
import { deliveryWhere, type DeliveryFilter } from '../queries/delivery-filter.ts';
import { addJobs } from '../../../db/graphile-worker.ts';
import { replayBatchJob, type DeliveryFilterSpec, type ReplayJobPayload } from '../delivery-jobs.ts';
import { REPLAYABLE } from '../state/delivery-states.ts';
import { requeueDeliveries } from '../state/requeue.ts';
import type { ConnectionOwner } from '../../connections/connection.entity.ts';
import { payloadRemovedError, type PayloadRemoval } from './payload-removed.ts';

/** Deliveries one bulk-replay job run puts back before it hands over to the next run. */
export const REPLAY_BATCH = 500;

/** How many deliveries a bulk replay puts back, and how many it leaves, their events' payloads being gone. */
export interface BulkReplay {
  count: number;
  skipped: number;
}

/** `where`, narrowed to deliveries whose event still has its payload (`kept`), or has lost it. */
function withPayload(where: FilterQuery<Delivery>, kept: boolean): FilterQuery<Delivery> {
  return { $and: [where, { event: { payloadRemovedAt: kept ? null : { $ne: null } } }] };
}

/**
 * Puts one delivery back in the queue as a new attempt chain with the same webhook-id.
 * Anything but a delivery already queued or in flight may be replayed (see `REPLAYABLE`), as
 * long as its event keeps its payload: one erased or removed by retention is refused, naming
 * which, since it would go out empty.
 */
export async function replayDelivery(em: EntityManager, workspaceId: string, deliveryId: string): Promise<Delivery> {
  return em.transactional(async (tx) => {
    // Counted through the entity manager, whose filters hide from a portal session what is not its customer's.
    if (!(await tx.count(Delivery, { id: deliveryId, workspace: workspaceId }))) throw new NotFoundError('Delivery', deliveryId);
    // Read as rows, not entities: a partly loaded event in the identity map would answer for the
    // whole event when the replayed delivery's event is resolved.
    const [delivery] = await tx.execute<{ status: DeliveryStatus; removed_at: Date | null; removed_by: PayloadRemoval }[]>(
      `select d.status, e.payload_removed_at as removed_at, e.payload_removed_by as removed_by
       from deliveries d join events e on e.id = d.event_id where d.id = ? and d.workspace_id = ?`,
      [deliveryId, workspaceId],
    );
    if (!delivery) throw new NotFoundError('Delivery', deliveryId);
    if (delivery.removed_at) throw payloadRemovedError(['input', 'deliveryId'], new Date(delivery.removed_at), delivery.removed_by);
    if (!REPLAYABLE.includes(delivery.status) || (await requeueDeliveries(tx, workspaceId, [deliveryId])).length === 0) {
      throw new ConflictError(['input', 'deliveryId'], `the delivery is ${delivery.status.toLowerCase()} already`);
    }
    // Read inside the transaction: the delivery as the replay left it, before a worker takes it.
    return (await tx.findOne(Delivery, { id: deliveryId }, { refresh: true }))!;
  });
}

/**
 * Starts a bulk replay of every delivery matching `filter` that exists now: dead ones unless the
 * filter names statuses, and never those queued or in flight. Deliveries whose event's payload
 * was erased or removed by retention are left as they are and counted as `skipped`. The request
 * counts them (one index scan, so a filter of a million rows costs that scan here); the
 * `replay_deliveries` job then puts them back in batches, each batch a short transaction of its own.
 */
export async function replayDeliveries(em: EntityManager, workspaceId: string, filter: DeliveryFilter): Promise<BulkReplay> {
  const asked = filter.statuses?.length ? filter.statuses : ['DEAD' as const];
  const effective = { ...filter, statuses: asked.filter((status) => REPLAYABLE.includes(status)) };
  if (effective.statuses.length === 0) return { count: 0, skipped: 0 };
  return em.transactional(async (tx) => {
    const where = withPayload(deliveryWhere(workspaceId, effective), true);
    const count = await tx.count(Delivery, where);
    const skipped = await tx.count(Delivery, withPayload(deliveryWhere(workspaceId, effective), false));
    const last = await tx.findOne(Delivery, where, { fields: ['id'], orderBy: { id: 'desc' } });
    if (count > 0 && last) {
      await addJobs(tx, [replayBatchJob({ workspaceId, filter: serialise(effective), upToId: last.id, afterId: null })]);
    }
    return { count, skipped };
  });
}

/**
 * One batch of a bulk replay. The batch and the job for the next one commit together, so a crash
 * between batches neither skips deliveries nor replays any twice.
 */
export async function replayBatch(em: EntityManager, job: ReplayJobPayload): Promise<void> {
  await em.transactional(async (tx) => {
    const filter = deserialise(job.filter);
    const range = { $lte: job.upToId, ...(job.afterId ? { $gt: job.afterId } : {}) };
    const batch = await tx.find(
      Delivery,
      withPayload(deliveryWhere(job.workspaceId, filter, range), true),
      { fields: ['id'], orderBy: { id: 'asc' }, limit: REPLAY_BATCH },
    );
    if (batch.length === 0) return;
    await requeueDeliveries(tx, job.workspaceId, batch.map((delivery) => delivery.id));
    if (batch.length === REPLAY_BATCH) await addJobs(tx, [replayBatchJob({ ...job, afterId: batch.at(-1)!.id })]);
  });
}

function serialise(filter: DeliveryFilter): DeliveryFilterSpec {
  return {
    statuses: filter.statuses ?? undefined,
    connectionId: filter.connectionId ?? undefined,
    eventId: filter.eventId ?? undefined,
    eventType: filter.eventType ?? undefined,
    since: filter.since?.toISOString(),
    until: filter.until?.toISOString(),
    updatedSince: filter.updatedSince?.toISOString(),
    connectionOwner: filter.connectionOwner ?? undefined,
  };
}

function deserialise(filter: DeliveryFilterSpec): DeliveryFilter {
  return {
    statuses: filter.statuses as DeliveryStatus[] | undefined,
    connectionId: filter.connectionId,
    eventId: filter.eventId,
    eventType: filter.eventType,
    since: filter.since ? new Date(filter.since) : undefined,
    until: filter.until ? new Date(filter.until) : undefined,
    updatedSince: filter.updatedSince ? new Date(filter.updatedSince) : undefined,
    connectionOwner: filter.connectionOwner as ConnectionOwner | undefined,
  };
}
