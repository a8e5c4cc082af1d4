import type { EventRecord } from '../../events/event-record.ts';

/**
 * The default body, as the README's Concepts describe it: the event's envelope with its payload
 * as `data`. Ids are public ids so receivers see the same ids the API shows. A test send adds
 * `"test": true`: in the body, because only the body is signed (Stripe marks its events with
 * `livemode` the same way).
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
    ...(event.test ? { test: true } : {}),
  };
}
