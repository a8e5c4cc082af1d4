import * as ops from '../generated/graphql.ts';
import { SwitchyardAuthError, unwrap } from '../errors.ts';
import type { EmitEventMutation, EmitEventSeenByIdMutation } from '../generated/graphql.ts';
import { pageArgs, toPage } from '../pages.ts';
import type { Request } from '../transport.ts';
import type { EmitEventInput, EmitResult, Event, EventFilter, EventWithDeliveries, ListOptions, Page } from '../types.ts';

/**
 * `client.emit`, `client.emitBatch` and `client.events`: sending events and reading them back.
 * `publishable`: the key is a publishable one, which sees a duplicate's event by id only.
 */
export function eventsApi(request: Request, publishable: boolean) {
  /**
   * Runs `full`; when a publishable key was refused the event it selects (a duplicate's), runs
   * `byId` instead. Safe to send twice: the idempotency keys make the second a duplicate.
   */
  async function emitting<T>(full: () => Promise<T>, byId: () => Promise<T>): Promise<T> {
    try {
      return await full();
    } catch (error) {
      if (publishable && error instanceof SwitchyardAuthError && error.code === 'FORBIDDEN') return byId();
      throw error;
    }
  }

  return {
    /**
     * Emits one event. Always sends an idempotency key (a random one unless you pass yours), so
     * retries after a network failure never emit twice; pass your own to deduplicate across calls.
     * A publishable key's duplicate comes back as a `DuplicateSeenById`.
     */
    async emit(event: EmitEventInput): Promise<EmitResult> {
      const input = { ...event, idempotencyKey: event.idempotencyKey ?? newIdempotencyKey() };
      const { __typename, ...result } = await emitting<Extract<EmitEventMutation['emitEvent'] | EmitEventSeenByIdMutation['emitEvent'], { __typename: 'EmitEventPayload' }>>(
        async () => unwrap((await request(ops.EmitEventDocument, { input }, 'always')).emitEvent),
        async () => unwrap((await request(ops.EmitEventSeenByIdDocument, { input }, 'always')).emitEvent),
      );
      return result;
    },

    /**
     * Emits up to 1000 events at once, all or none; each gets an idempotency key as in `emit`.
     * With a publishable key, a batch that repeats any idempotency key comes back by ids only.
     */
    async emitBatch(events: EmitEventInput[]): Promise<EmitResult[]> {
      const input = { events: events.map((event) => ({ ...event, idempotencyKey: event.idempotencyKey ?? newIdempotencyKey() })) };
      return emitting<EmitResult[]>(
        async () => unwrap((await request(ops.EmitEventsDocument, { input }, 'always')).emitEvents).results,
        async () => unwrap((await request(ops.EmitEventsSeenByIdDocument, { input }, 'always')).emitEvents).results,
      );
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
