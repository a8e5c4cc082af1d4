import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config.ts';
import type { Principal } from '../domains/auth/principal.ts';
import type { Services } from '../services.ts';

/** What every resolver receives: a request-scoped entity manager and the caller. */
export interface Context {
  em: EntityManager;
  config: Config;
  principal: Principal | null;
  services: Services;
}
