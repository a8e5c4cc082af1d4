import type { EntityManager } from '@mikro-orm/postgresql';
import { ConflictError, NotFoundError } from '../../errors.ts';
import { Delivery, type DeliveryStatus } from '../delivery.entity.ts';
import { deliveryWhere, type DeliveryFilter } from '../queries/delivery-filter.ts';
import { addJobs } from '../../../db/graphile-worker.ts';
import { replayBatchJob, type DeliveryFilterSpec, type ReplayJobPayload } from '../delivery-jobs.ts';
import { REPLAYABLE } from '../state/delivery-states.ts';
import { requeueDeliveries } from '../state/requeue.ts';

/** Deliveries one bulk-replay job run puts back before it hands over to the next run. */
export const REPLAY_BATCH = 500;

/**
 * Puts one delivery back in the queue as a new attempt chain with the same webhook-id.
 * Anything but a delivery already queued or in flight may be replayed (see `REPLAYABLE`).
 */
export async function replayDelivery(em: EntityManager, workspaceId: string, deliveryId: string): Promise<Delivery> {
  return em.transactional(async (tx) => {
    const delivery = await tx.findOne(Delivery, { id: deliveryId, workspace: workspaceId }, { fields: ['status'] });
    if (!delivery) throw new NotFoundError('Delivery', deliveryId);
    if (!REPLAYABLE.includes(delivery.status) || (await requeueDeliveries(tx, workspaceId, [deliveryId])).length === 0) {
      throw new ConflictError(['input', 'deliveryId'], `the delivery is ${delivery.status.toLowerCase()} already`);
    }
    // Read inside the transaction: the delivery as the replay left it, before a worker takes it.
    return (await tx.findOne(Delivery, { id: deliveryId }, { refresh: true }))!;
  });
}

/**
 * Starts a bulk replay of every delivery matching `filter` that exists now: dead ones unless the
 * filter names statuses, and never those queued or in flight. The request counts them (one
 * index scan, so a filter of a million rows costs that scan here); the `replay_deliveries` job
 * then puts them back in batches, each batch a short transaction of its own. Returns the count.
 */
export async function replayDeliveries(em: EntityManager, workspaceId: string, filter: DeliveryFilter): Promise<number> {
  const asked = filter.statuses?.length ? filter.statuses : ['DEAD' as const];
  const effective = { ...filter, statuses: asked.filter((status) => REPLAYABLE.includes(status)) };
  if (effective.statuses.length === 0) return 0;
  return em.transactional(async (tx) => {
    const where = deliveryWhere(workspaceId, effective);
    const count = await tx.count(Delivery, where);
    const last = await tx.findOne(Delivery, where, { fields: ['id'], orderBy: { id: 'desc' } });
    if (count > 0 && last) {
      await addJobs(tx, [replayBatchJob({ workspaceId, filter: serialise(effective), upToId: last.id, afterId: null })]);
    }
    return count;
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
      deliveryWhere(job.workspaceId, filter, range),
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
  };
}
