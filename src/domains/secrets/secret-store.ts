import type { Keyring } from './keyring.ts';
import { isSealed, keyIdOf, open, seal } from './secret-box.ts';

/**
 * The secret store: every credential Switchyard keeps (signing secrets, credential headers,
 * vendors' API keys and OAuth tokens) is sealed with it before it is written and opened with it
 * only where it is used (signing and sending a request, or a deliberate "reveal"). Nothing else
 * ever reads a credential column.
 *
 * API:
 * - `sealSecret(plaintext, where)`: the value to store in the column `where` names;
 * - `openSecret(stored, where)`: the plaintext back, from the same place only;
 * - `secretBinding(table, column, ownerId)`: where a value lives, e.g. the connection it belongs
 *   to; a ciphertext moved to another owner does not open (AES-GCM's additional data);
 * - `needsResealing(stored)`: sealed under a key that is no longer the first one (the
 *   `reencrypt_secrets` job reseals those after a rotation).
 *
 * The keyring comes from `SWITCHYARD_ENCRYPTION_KEYS` (keyring.ts) and is set once per process
 * at start (`useKeyring`); sealing before that is a programming error and throws.
 */

let keyring: Keyring | null = null;

/** Sets the keyring this process seals and opens with; called once at start. */
export function useKeyring(ring: Keyring): void {
  keyring = ring;
}

function activeKeyring(): Keyring {
  if (!keyring) throw new Error('No keyring: startSwitchyard sets one before anything seals or opens a secret');
  return keyring;
}

/** The keyring in use, for the start-up checks and the re-encryption job. */
export function currentKeyring(): Keyring {
  return activeKeyring();
}

/** Where a sealed value is stored: its table, its column and the row (or owner) it belongs to. */
export function secretBinding(table: string, column: string, ownerId: string): string {
  return `${table}.${column}:${ownerId}`;
}

/** `plaintext` sealed for the place `binding` names. */
export function sealSecret(plaintext: string, binding: string): string {
  return seal(activeKeyring(), plaintext, binding);
}

/** The plaintext of a value read from the place `binding` names. */
export function openSecret(stored: string, binding: string): string {
  return open(activeKeyring(), stored, binding);
}

/** Whether `stored` is plaintext from before encryption at rest, or sealed under an older key. */
export function needsResealing(stored: string): boolean {
  return !isSealed(stored) || keyIdOf(stored) !== activeKeyring().current.id;
}
