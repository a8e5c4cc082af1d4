import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config.ts';
import type { Principal } from '../domains/auth/principal.ts';
import type { Services } from '../services.ts';

/** What every resolver receives: a request-scoped entity manager and the caller. */
export interface Context {
  em: EntityManager;
  config: Config;
  principal: Principal | null;
  /**
   * False when `principal` is the one this process remembers for the key, not looked up for
   * this request: only for emits, whose write checks the key itself.
   */
  keyLookedUp: boolean;
  /** Looks the request's key up now (again): its principal, or null when it is unknown or revoked. */
  lookUpKey(): Promise<Principal | null>;
  services: Services;
}
