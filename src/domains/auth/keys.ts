import { createHash, randomBytes } from 'node:crypto';
import type { ApiKeyKind } from './api-key.entity.ts';

const PREFIXES: Record<ApiKeyKind, string> = {
  ADMIN: 'sy_admin_',
  SECRET: 'sy_sk_',
  PUBLISHABLE: 'sy_pk_',
};

/** How much of a key stays readable in listings, e.g. `sy_sk_3fQx`. */
const VISIBLE_CHARACTERS = 4;

export interface GeneratedKey {
  plaintext: string;
  prefix: string;
  hash: string;
}

/** A new random key of `kind`: 192 bits of entropy, base64url, behind a kind prefix. */
export function generateKey(kind: ApiKeyKind): GeneratedKey {
  const plaintext = PREFIXES[kind] + randomBytes(24).toString('base64url');
  return { plaintext, prefix: visiblePrefix(plaintext), hash: hashKey(plaintext) };
}

/** Keys are high-entropy, so a plain SHA-256 suffices (no slow KDF needed). */
export function hashKey(plaintext: string): string {
  return createHash('sha256').update(plaintext).digest('hex');
}

export function visiblePrefix(plaintext: string): string {
  const kindPrefix = Object.values(PREFIXES).find((prefix) => plaintext.startsWith(prefix)) ?? '';
  return plaintext.slice(0, kindPrefix.length + VISIBLE_CHARACTERS);
}
