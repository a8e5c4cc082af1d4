import type { Task } from 'graphile-worker';
import { resealAll } from '../domains/secrets/stored-secrets.ts';
import type { Services } from '../services.ts';

/**
 * `reencrypt_secrets`: after a key rotation (a new key first in SWITCHYARD_ENCRYPTION_KEYS),
 * reseals every secret still sealed under an older key, so the old key can then be dropped.
 * Queued at start whenever such secrets exist; each value is resealed unless it changed meanwhile.
 */
export function reencryptSecretsTask(services: Services): Task<'reencrypt_secrets'> {
  return async () => {
    await resealAll(services.orm.em.fork(), { plaintextOnly: false });
  };
}
