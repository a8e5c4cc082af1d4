import * as ops from '../generated/graphql.ts';
import { unwrap } from '../errors.ts';
import { pageArgs, toPage } from '../pages.ts';
import type { Request } from '../transport.ts';
import type { EventType, ListOptions, Page, UpsertEventTypeInput } from '../types.ts';

/** `client.eventTypes`: the workspace's catalog. */
export function eventTypesApi(request: Request) {
  return {
    async list(options: ListOptions = {}): Promise<Page<EventType>> {
      return toPage((await request(ops.ListEventTypesDocument, pageArgs(options), 'always')).eventTypes);
    },
    /** One event type by `{ id }` or `{ name }`. Throws `SwitchyardNotFoundError`. */
    async get(by: { id: string } | { name: string }): Promise<EventType> {
      const { __typename, ...eventType } = unwrap((await request(ops.GetEventTypeDocument, by, 'always')).eventType);
      return eventType;
    },
    /** Creates the event type, or updates its description and JSON Schema. */
    async upsert(input: UpsertEventTypeInput): Promise<EventType> {
      return unwrap((await request(ops.UpsertEventTypeDocument, { input }, 'always')).upsertEventType).eventType;
    },
  };
}
