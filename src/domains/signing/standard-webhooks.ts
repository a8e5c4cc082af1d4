import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { LruCache } from '../lru-cache.ts';

/**
 * Webhook signing per the Standard Webhooks spec (https://www.standardwebhooks.com):
 * `webhook-signature` holds space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
 * one per live secret, so receivers keep verifying while a secret rotates.
 */

const SECRET_PREFIX = 'whsec_';

/** A new signing secret: `whsec_` + base64 of 32 random bytes (the spec allows 24 to 64). */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** Bytes of key a signing secret may carry, as the Standard Webhooks spec allows: 24 to 64. */
export const SECRET_BYTES = { min: 24, max: 64 } as const;

/**
 * Why `secret` is not a signing secret Standard Webhooks libraries accept, or null when it is:
 * `whsec_` then standard base64 of 24 to 64 bytes.
 */
export function signingSecretProblem(secret: string): string | null {
  const problem = `must be "${SECRET_PREFIX}" followed by the base64 of ${SECRET_BYTES.min} to ${SECRET_BYTES.max} random bytes`;
  if (!secret.startsWith(SECRET_PREFIX)) return problem;
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return problem;
  const bytes = Buffer.from(encoded, 'base64').length;
  return bytes >= SECRET_BYTES.min && bytes <= SECRET_BYTES.max ? null : problem;
}

/** The masked form shown after creation, e.g. `whsec_…Xk9=`. */
export function secretHint(secret: string): string {
  return `${SECRET_PREFIX}…${secret.slice(-4)}`;
}

/**
 * The HMAC key of each secret in use, made once: decoding the secret and making a key object
 * from its bytes cost five times the signature itself, on every delivery. Kept in this
 * process's memory only, as the opened secrets are.
 */
const signingKeys = new LruCache<string, KeyObject>(4096);

function signingKey(secret: string): KeyObject {
  let key = signingKeys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64'));
    signingKeys.set(secret, key);
  }
  return key;
}

/** One `v1,<signature>` entry for `secret`. */
export function signature(secret: string, id: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', signingKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** The three Standard Webhooks headers for one request, signed with every secret given. */
export function signedHeaders(secrets: readonly string[], id: string, timestamp: number, body: string): SignedHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((secret) => signature(secret, id, timestamp, body)).join(' '),
  };
}
