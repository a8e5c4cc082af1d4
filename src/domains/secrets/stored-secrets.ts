import type { EntityManager } from '@mikro-orm/postgresql';
import { KeyringError, type Keyring } from './keyring.ts';
import { isSealed, keyIdOf, open } from './secret-box.ts';
import { currentKeyring, needsResealing, openSecret, sealSecret, secretBinding, useKeyring } from './secret-store.ts';
import { addJobs } from '../../db/graphile-worker.ts';

/**
 * Every column that holds sealed secrets, with the row id and the owner its values are bound
 * to. A module that stores a new kind of credential adds its column here, so the start-up checks
 * and the re-encryption job cover it.
 */
export interface SecretColumn {
  table: string;
  column: string;
  /** The row's primary key. */
  id: string;
  /** The column whose value the binding names (see `secretBinding`). */
  owner: string;
}

export const SECRET_COLUMNS: readonly SecretColumn[] = [
  { table: 'connection_secrets', column: 'secret', id: 'id', owner: 'connection_id' },
  { table: 'connections', column: 'sealed_headers', id: 'id', owner: 'id' },
  { table: 'oauth_grants', column: 'sealed_access_token', id: 'id', owner: 'connection_id' },
  { table: 'oauth_grants', column: 'sealed_refresh_token', id: 'id', owner: 'connection_id' },
  { table: 'oauth_states', column: 'sealed_verifier', id: 'id', owner: 'id' },
  { table: 'connection_credentials', column: 'secret', id: 'id', owner: 'connection_id' },
];

/** Rows resealed per statement batch. */
const BATCH = 500;

/** The binding of a value of `place` owned by `ownerId`. */
export function bindingOf(place: SecretColumn, ownerId: string): string {
  return secretBinding(place.table, place.column, ownerId);
}

/**
 * Reseals up to one batch of `place`'s values that need it (plaintext, or sealed under an older
 * key) under the current key; with `plaintextOnly`, only plaintext. Returns how many it took.
 */
async function resealBatch(em: EntityManager, place: SecretColumn, plaintextOnly: boolean): Promise<number> {
  const { table, column, id, owner } = place;
  const rows = await em.execute<{ id: string; owner: string; value: string }[]>(
    `select "${id}" as id, "${owner}" as owner, "${column}" as value from "${table}"
     where "${column}" is not null and ("${column}" not like 'sy1.%' ${plaintextOnly ? '' : `or split_part("${column}", '.', 2) <> ?`})
     order by "${id}" limit ${BATCH}`,
    plaintextOnly ? [] : [currentKeyring().current.id],
  );
  for (const row of rows) {
    if (!needsResealing(row.value)) continue;
    const binding = bindingOf(place, row.owner);
    const plaintext = isSealed(row.value) ? openSecret(row.value, binding) : row.value;
    // Unless it changed meanwhile (a rotation, another process doing the same): then it is theirs.
    await em.execute(`update "${table}" set "${column}" = ? where "${id}" = ? and "${column}" = ?`, [sealSecret(plaintext, binding), row.id, row.value]);
  }
  return rows.length;
}

/** Reseals every value of every secret column that needs it; returns how many. */
export async function resealAll(em: EntityManager, options: { plaintextOnly: boolean }): Promise<number> {
  let total = 0;
  for (const place of SECRET_COLUMNS) {
    let taken: number;
    do {
      taken = await resealBatch(em, place, options.plaintextOnly);
      total += taken;
    } while (taken === BATCH);
  }
  return total;
}

/**
 * Refuses to start when the database holds secrets this keyring cannot open: sealed under a key
 * id it lacks, or under an id it has with other key bytes. One value per key id is opened to
 * tell.
 */
export async function assertKeysOpenStoredSecrets(em: EntityManager, keyring: Keyring): Promise<{ olderKeysInUse: boolean }> {
  let olderKeysInUse = false;
  for (const place of SECRET_COLUMNS) {
    const samples = await em.execute<{ owner: string; value: string }[]>(
      `select distinct on (split_part("${place.column}", '.', 2)) "${place.owner}" as owner, "${place.column}" as value
       from "${place.table}" where "${place.column}" like 'sy1.%'`,
    );
    for (const sample of samples) {
      const keyId = keyIdOf(sample.value);
      if (keyId !== keyring.current.id) olderKeysInUse = true;
      if (!keyring.byId.has(keyId)) {
        throw new KeyringError(
          `The database holds secrets sealed with key "${keyId}", which SWITCHYARD_ENCRYPTION_KEYS does not have. ` +
            'Start with the keys that sealed them (put a new key first and keep the old ones until the re-encryption job has run).',
        );
      }
      try {
        open(keyring, sample.value, bindingOf(place, sample.owner));
      } catch {
        throw new KeyringError(
          `Key "${keyId}" in SWITCHYARD_ENCRYPTION_KEYS does not open the secrets sealed under that id: it is another key with the same id. ` +
            'Start with the key that sealed them.',
        );
      }
    }
  }
  return { olderKeysInUse };
}

declare global {
  namespace GraphileWorker {
    interface Tasks {
      /** Reseals every secret sealed under an older key with the current one, after a rotation. */
      reencrypt_secrets: Record<string, never>;
    }
  }
}

/** Queues the re-encryption job once, however many processes start with a rotated keyring. */
export async function queueReencryption(em: EntityManager): Promise<void> {
  await addJobs(em, [{ identifier: 'reencrypt_secrets', payload: {}, queue_name: null, run_at: null, job_key: 'reencrypt_secrets' }]);
}

/**
 * What every process does at start, before it serves anything: refuses to go on without the keys
 * the stored secrets need, makes `keyring` this process's, seals the plaintext secrets an older
 * version left (`sealPlaintext` first, for columns whose plaintext lived elsewhere), and queues
 * the re-encryption of secrets sealed under an older key.
 */
export async function prepareStoredSecrets(em: EntityManager, keyring: Keyring, sealPlaintext: () => Promise<void>): Promise<void> {
  const { olderKeysInUse } = await assertKeysOpenStoredSecrets(em, keyring);
  useKeyring(keyring);
  await sealPlaintext();
  await resealAll(em, { plaintextOnly: true });
  if (olderKeysInUse) await queueReencryption(em);
}
