import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Keyring } from './keyring.ts';

/**
 * Sealing one secret: AES-256-GCM with a random 96-bit nonce per value, the ciphertext tagged
 * with the id of the key that sealed it, and bound to where it is stored by the additional
 * authenticated data (`binding`): a ciphertext copied into another row, or another column, does
 * not open. The stored form is `sy1.<key id>.<nonce>.<ciphertext and tag>` (base64url).
 */

const VERSION = 'sy1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Whether `stored` is a sealed value (rather than plaintext from before encryption at rest). */
export function isSealed(stored: string): boolean {
  return stored.startsWith(`${VERSION}.`);
}

/** The id of the key `sealed` was sealed with. */
export function keyIdOf(sealed: string): string {
  return sealed.split('.')[1] ?? '';
}

export function seal(keyring: Keyring, plaintext: string, binding: string): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyring.current.key, nonce);
  cipher.setAAD(Buffer.from(binding, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return [VERSION, keyring.current.id, nonce.toString('base64url'), ciphertext.toString('base64url')].join('.');
}

/** A sealed value that does not open: an unknown key, the wrong key, another binding, or tampering. */
export class SealedSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealedSecretError';
  }
}

export function open(keyring: Keyring, sealed: string, binding: string): string {
  const [version, keyId = '', nonce = '', body = ''] = sealed.split('.');
  if (version !== VERSION) throw new SealedSecretError('not a sealed secret');
  const key = keyring.byId.get(keyId);
  if (!key) throw new SealedSecretError(`sealed with key "${keyId}", which SWITCHYARD_ENCRYPTION_KEYS does not have`);
  const bytes = Buffer.from(body, 'base64url');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'));
    decipher.setAAD(Buffer.from(binding, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new SealedSecretError(`does not open with key "${keyId}": a different key under the same id, another row's secret, or tampered`);
  }
}
