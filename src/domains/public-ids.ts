import { NotFoundError } from './errors.ts';

/**
 * Public ids carry their type as a readable prefix (`conn_0193...`), the way Stripe and Svix do;
 * the database keeps plain UUIDs. A delivery's public id is its `webhook-id`.
 */
const PREFIXES = {
  Workspace: 'ws',
  ApiKey: 'key',
  EventType: 'evtype',
  Connection: 'conn',
  Rule: 'rule',
  Event: 'evt',
  Delivery: 'msg',
  DeliveryAttempt: 'atmpt',
  PortalSession: 'ps',
} as const;

export type IdType = keyof typeof PREFIXES;

/** Whether `name` is a type that has public ids. */
export function isIdType(name: string): name is IdType {
  return Object.hasOwn(PREFIXES, name);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether `value` is a storage id: a UUID in its canonical, lowercase form. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function encodeId(type: IdType, uuid: string): string {
  return `${PREFIXES[type]}_${uuid.replaceAll('-', '')}`;
}

/** Decodes a public id of `type`; a malformed or foreign id is simply not found. */
export function decodeId(type: IdType, id: string): string {
  const [prefix, hex] = id.split('_', 2);
  const uuid = hex?.length === 32 ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` : '';
  if (prefix !== PREFIXES[type] || !isUuid(uuid)) throw new NotFoundError(type, id);
  return uuid;
}

/** No row has this id: what a filter by an id that is not of its type matches. */
const NO_ROW = '00000000-0000-0000-0000-000000000000';

/** Decodes a filter's public id; a malformed or foreign id matches nothing, as a missing one would. */
export function decodeIdOrNone(type: IdType, id: string | number): string {
  try {
    return decodeId(type, String(id));
  } catch {
    return NO_ROW;
  }
}

/**
 * Services report what they looked for by storage id; clients see the public id they sent, so a
 * foreign id, an unknown id and a malformed id all read alike.
 */
export function publicIdOf(error: NotFoundError): string {
  return isUuid(error.id) && isIdType(error.resource) ? encodeId(error.resource, error.id) : error.id;
}
