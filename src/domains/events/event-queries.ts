import type { EntityManager } from '@mikro-orm/postgresql';
import { NotFoundError } from '../errors.ts';
import { Event } from './event.entity.ts';
import type { EventRecord } from './event-record.ts';

export function eventRecord(event: Event): EventRecord {
  return {
    id: event.id,
    workspaceId: event.workspace.id,
    type: event.type,
    resource: event.resource ?? null,
    resourceId: event.resourceId ?? null,
    payload: event.payload,
    payloadRemovedAt: event.payloadRemovedAt ?? null,
    idempotencyKey: event.idempotencyKey ?? null,
    sequence: Number(event.sequence),
    createdAt: event.createdAt,
    test: event.test,
  };
}

/** One event of the workspace; another workspace's event is not found, like a missing one. */
export async function findEvent(em: EntityManager, workspaceId: string, id: string): Promise<EventRecord> {
  const event = await em.findOne(Event, { id, workspace: workspaceId });
  if (!event) throw new NotFoundError('Event', id);
  return eventRecord(event);
}
