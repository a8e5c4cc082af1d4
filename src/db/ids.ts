import { randomUUID } from 'node:crypto';

/**
 * A UUIDv7: time-ordered, so ids sort by creation and index inserts stay local (RFC 9562).
 * The random bits come from a v4 UUID, for which Node draws on a buffer of entropy instead of
 * asking the kernel per id; the first 48 bits become the time and the version nibble a 7.
 */
export function newId(): string {
  const random = randomUUID();
  const time = Date.now().toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}
