import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config.ts';
import type { DeliveryPubSub } from './pubsub.ts';

/** Long-lived parts one process shares between requests and jobs. */
export interface Services {
  orm: MikroORM;
  config: Config;
  /** Delivery changes for subscriptions; only in a process that serves the API. */
  pubsub?: DeliveryPubSub;
}
