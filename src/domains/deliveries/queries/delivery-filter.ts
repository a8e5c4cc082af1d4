import { wrap, type FilterQuery } from '@mikro-orm/core';
import type { Delivery, DeliveryStatus } from '../delivery.entity.ts';
import type { ConnectionOwner } from '../../connections/connection.entity.ts';

/** Which deliveries a list, a subscription or a bulk replay covers, in storage ids. */
export interface DeliveryFilter {
  statuses?: DeliveryStatus[] | null;
  connectionId?: string | null;
  eventId?: string | null;
  eventType?: string | null;
  since?: Date | null;
  until?: Date | null;
  /** Changed at or after: for a dead delivery, when it died. */
  updatedSince?: Date | null;
  /** Only deliveries to connections of this owner: a portal session's are always `CUSTOMER`. */
  connectionOwner?: ConnectionOwner | null;
}

/** The filter as a MikroORM query on deliveries of one workspace, optionally within an id range. */
export function deliveryWhere(
  workspaceId: string,
  filter: DeliveryFilter,
  ids?: { $lt?: string; $lte?: string; $gt?: string },
): FilterQuery<Delivery> {
  const createdAt = {
    ...(filter.since ? { $gte: filter.since } : {}),
    ...(filter.until ? { $lt: filter.until } : {}),
  };
  return {
    workspace: workspaceId,
    ...(filter.statuses?.length ? { status: { $in: filter.statuses } } : {}),
    ...(filter.connectionId ? { connection: filter.connectionId } : {}),
    ...(filter.connectionOwner ? { connection: { ...(filter.connectionId ? { id: filter.connectionId } : {}), owner: filter.connectionOwner } } : {}),
    ...(filter.eventId ? { event: filter.eventId } : {}),
    ...(filter.eventType ? { eventType: filter.eventType } : {}),
    ...(filter.since || filter.until ? { createdAt } : {}),
    ...(filter.updatedSince ? { updatedAt: { $gte: filter.updatedSince } } : {}),
    ...(ids ? { id: ids } : {}),
  };
}

/**
 * The same filter on a delivery already in memory, as `status` says it is after a change. With
 * `connectionOwner`, the delivery's connection must be loaded: one that is not matches nothing.
 */
export function deliveryMatches(delivery: Delivery, status: DeliveryStatus, filter: DeliveryFilter): boolean {
  return (
    (!filter.statuses?.length || filter.statuses.includes(status)) &&
    (!filter.connectionId || delivery.connection.id === filter.connectionId) &&
    (!filter.connectionOwner || (wrap(delivery.connection).isInitialized() && delivery.connection.owner === filter.connectionOwner)) &&
    (!filter.eventId || delivery.event.id === filter.eventId) &&
    (!filter.eventType || delivery.eventType === filter.eventType) &&
    (!filter.since || delivery.createdAt >= filter.since) &&
    (!filter.until || delivery.createdAt < filter.until) &&
    (!filter.updatedSince || delivery.updatedAt >= filter.updatedSince)
  );
}
