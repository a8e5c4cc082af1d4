import type { EntityManager } from '@mikro-orm/postgresql';
import { ConflictError, NotFoundError } from '../errors.ts';
import { Delivery, type DeliveryStatus } from './delivery.entity.ts';
import { deliveryWhere, type DeliveryFilter } from './delivery-filter.ts';
import { notifyDeliveryChanges } from './delivery-notifications.ts';
import { addJobs, pumpJobsFor, type DeliveryFilterSpec, type JobSpec, type ReplayJobPayload } from './job-specs.ts';

/** Deliveries one bulk-replay job run puts back before it hands over to the next run. */
export const REPLAY_BATCH = 500;

/**
 * Puts one delivery back in the queue as a new attempt chain with the same webhook-id.
 * Anything but a delivery already queued or in flight may be replayed.
 */
export async function replayDelivery(em: EntityManager, workspaceId: string, deliveryId: string): Promise<Delivery> {
  return em.transactional(async (tx) => {
    const delivery = await tx.findOne(Delivery, { id: deliveryId, workspace: workspaceId }, { fields: ['status'] });
    if (!delivery) throw new NotFoundError('Delivery', deliveryId);
    if (delivery.status === 'PENDING' || delivery.status === 'DELIVERING') {
      throw new ConflictError(['input', 'deliveryId'], `the delivery is ${delivery.status.toLowerCase()} already`);
    }
    await requeue(tx, workspaceId, [deliveryId]);
    // Read inside the transaction: the delivery as the replay left it, before a worker takes it.
    return (await tx.findOne(Delivery, { id: deliveryId }, { refresh: true }))!;
  });
}

/**
 * Starts a bulk replay of every delivery matching `filter` (dead ones unless the filter names
 * statuses) that exists now, done by the `replay_deliveries` job in batches so a filter of a
 * million deliveries is no heavier than one of ten. Returns how many will be replayed.
 */
export async function replayDeliveries(em: EntityManager, workspaceId: string, filter: DeliveryFilter): Promise<number> {
  const effective = { ...filter, statuses: filter.statuses?.length ? filter.statuses : (['DEAD'] as const).slice() };
  return em.transactional(async (tx) => {
    const where = deliveryWhere(workspaceId, effective);
    const count = await tx.count(Delivery, where);
    const last = await tx.findOne(Delivery, where, { fields: ['id'], orderBy: { id: 'desc' } });
    if (count > 0 && last) {
      await addJobs(tx, [replayJob({ workspaceId, filter: serialise(effective), upToId: last.id, afterId: null })]);
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
    await requeue(tx, job.workspaceId, batch.map((delivery) => delivery.id));
    if (batch.length === REPLAY_BATCH) await addJobs(tx, [replayJob({ ...job, afterId: batch.at(-1)!.id })]);
  });
}

/** New chain, same delivery: status PENDING (parked if the connection is not active) plus jobs. */
async function requeue(tx: EntityManager, workspaceId: string, ids: string[]): Promise<void> {
  const rows = await tx.execute<{ id: string; connection_id: string; active: boolean }[]>(
    `update deliveries d set status = 'PENDING', chain = d.chain + 1, chain_attempts = 0, next_attempt_at = null,
       claimed_until = null, lease = null, parked_at = case when c.status = 'ACTIVE' then null else now() end, updated_at = now()
     from connections c
     where c.id = d.connection_id and d.id in (select json_array_elements_text(?::json)::uuid)
     returning d.id, d.connection_id, c.status = 'ACTIVE' as active`,
    [JSON.stringify(ids)],
  );
  const active = rows.filter((row) => row.active);
  // Now, even where a pump waits for its connection's next retry: a replay is asked for on purpose.
  await addJobs(tx, pumpJobsFor(active.map((row) => row.connection_id)), { reschedule: true });
  await notifyDeliveryChanges(tx, rows.map((row) => ({ workspaceId, deliveryId: row.id, status: 'PENDING' as const })));
}

function replayJob(payload: ReplayJobPayload): JobSpec {
  return { identifier: 'replay_deliveries', payload, queue_name: null, run_at: null, job_key: null };
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
