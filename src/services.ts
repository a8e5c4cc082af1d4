import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from './config.ts';
import type { RevocationListener } from './domains/auth/revocations.ts';
import type { DeliveryFeed } from './domains/deliveries/changes/delivery-feed.ts';
import type { DeliveryPubSub } from './domains/deliveries/delivery-notifications.ts';

/**
 * Long-lived parts one process shares between requests and jobs. The server and the worker
 * both take them from the process that starts them (`switchyard.ts`), so neither imports the other.
 */
export interface Services {
  orm: MikroORM;
  config: Config;
  /** Delivery changes for subscriptions; only in a process that serves the API. */
  pubsub?: DeliveryPubSub;
  /** The API's own base URL once it listens, e.g. `http://127.0.0.1:4000`; only in a process that serves the API. */
  apiUrl?: string;
  /**
   * Revocations of keys and workspaces, from any process; only in a process that serves the API.
   * Whatever a process keeps per principal subscribes here to drop it (revocations.ts).
   */
  revocations?: RevocationListener;
  /** Delivery changes from the change log, for streams; only in a process that serves the API. */
  deliveryFeed?: DeliveryFeed;
}
