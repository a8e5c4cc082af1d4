import type { EventRecord } from '../events/event-record.ts';

/**
 * DESIGN's default body: the event's envelope with its payload as `data`. Ids are public ids so
 * receivers see the same ids the API shows.
 */
export function defaultBody(event: EventRecord, publicEventId: string): unknown {
  return {
    id: publicEventId,
    type: event.type,
    timestamp: event.createdAt.toISOString(),
    resource: event.resource,
    resourceId: event.resourceId,
    sequence: event.sequence,
    data: event.payload,
  };
}
