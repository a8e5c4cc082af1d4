import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config.ts';

/** Long-lived parts one process shares between requests and jobs. */
export interface Services {
  orm: MikroORM;
  config: Config;
}
