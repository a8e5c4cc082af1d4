import type { EntityManager } from '@mikro-orm/postgresql';
import { NotFoundError } from '../../errors.ts';
import { Attempt } from '../attempt.entity.ts';
import { Delivery } from '../delivery.entity.ts';

/** One delivery of the workspace; another workspace's delivery is not found, like a missing one. */
export async function findDelivery(em: EntityManager, workspaceId: string, id: string): Promise<Delivery> {
  const delivery = await em.findOne(Delivery, { id, workspace: workspaceId });
  if (!delivery) throw new NotFoundError('Delivery', id);
  return delivery;
}

/** Every attempt of a delivery, oldest first, across its replays. */
export async function attemptsOf(em: EntityManager, deliveryId: string): Promise<Attempt[]> {
  return em.find(Attempt, { delivery: deliveryId }, { orderBy: { startedAt: 'asc', id: 'asc' } });
}

/** The deliveries an event produced, oldest first. */
export async function deliveriesOfEvent(em: EntityManager, eventId: string): Promise<Delivery[]> {
  return em.find(Delivery, { event: eventId }, { orderBy: { id: 'asc' } });
}
