import * as ops from '../generated/graphql.ts';
import { unwrap } from '../errors.ts';
import { pageArgs, toPage } from '../pages.ts';
import type { Request } from '../transport.ts';
import type { EmitEventInput, EmitResult, Event, EventFilter, EventWithDeliveries, ListOptions, Page } from '../types.ts';

/** `client.emit`, `client.emitBatch` and `client.events`: sending events and reading them back. */
export function eventsApi(request: Request) {
  return {
    /**
     * Emits one event. Always sends an idempotency key (a random one unless you pass yours), so
     * retries after a network failure never emit twice; pass your own to deduplicate across calls.
     */
    async emit(event: EmitEventInput): Promise<EmitResult> {
      const input = { ...event, idempotencyKey: event.idempotencyKey ?? newIdempotencyKey() };
      const { __typename, ...result } = unwrap((await request(ops.EmitEventDocument, { input }, 'always')).emitEvent);
      return result;
    },

    /** Emits up to 1000 events at once, all or none; each gets an idempotency key as in `emit`. */
    async emitBatch(events: EmitEventInput[]): Promise<EmitResult[]> {
      const input = { events: events.map((event) => ({ ...event, idempotencyKey: event.idempotencyKey ?? newIdempotencyKey() })) };
      return unwrap((await request(ops.EmitEventsDocument, { input }, 'always')).emitEvents).results;
    },

    events: {
      /** Events, newest first, narrowed by `type`, `resource`, `resourceId`, `since`, `until`. */
      async list(filter: EventFilter = {}, page: ListOptions = {}): Promise<Page<Event>> {
        return toPage((await request(ops.ListEventsDocument, { filter, ...pageArgs(page) }, 'always')).events);
      },
      /** One event with the deliveries it made. Throws `SwitchyardNotFoundError`. */
      async get(id: string): Promise<EventWithDeliveries> {
        const { __typename, ...event } = unwrap((await request(ops.GetEventDocument, { id }, 'always')).event);
        return event;
      },
    },
  };
}

function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}
