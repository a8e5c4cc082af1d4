import * as ops from '../generated/graphql.ts';
import { unwrap } from '../errors.ts';
import { pageArgs, toPage } from '../pages.ts';
import type { Request } from '../transport.ts';
import type { Delivery, DeliveryFilter, DeliveryWithAttempts, ListOptions, Page } from '../types.ts';

/** `client.deliveries` without `subscribe`: the delivery log, the dead letters and replays. */
export function deliveriesApi(request: Request) {
  return {
    /** Deliveries, newest first; `{ status: 'DEAD' }` is the dead-letter list. */
    async list(filter: DeliveryFilter = {}, page: ListOptions = {}): Promise<Page<Delivery>> {
      return toPage((await request(ops.ListDeliveriesDocument, { filter, ...pageArgs(page) }, 'always')).deliveries);
    },
    /** One delivery with all its attempts. Throws `SwitchyardNotFoundError`. */
    async get(id: string): Promise<DeliveryWithAttempts> {
      const { __typename, ...delivery } = unwrap((await request(ops.GetDeliveryDocument, { id }, 'always')).delivery);
      return delivery;
    },
    /** Sends a delivery again as a new attempt chain with the same webhook-id. */
    async replay(id: string): Promise<Delivery> {
      const result = await request(ops.ReplayDeliveryDocument, { input: { deliveryId: id } }, 'unsent');
      return unwrap(result.replayDelivery).delivery;
    },
    /**
     * Replays every delivery matching the filter (`status` defaults to DEAD); returns how many
     * (`count`), and how many it left (`skipped`) because their events' payloads were erased or
     * removed by retention.
     */
    async replayMany(filter: DeliveryFilter = {}): Promise<{ count: number; skipped: number }> {
      const result = await request(ops.ReplayDeliveriesDocument, { input: { filter } }, 'unsent');
      const { count, skipped } = unwrap(result.replayDeliveries);
      return { count, skipped };
    },
  };
}
