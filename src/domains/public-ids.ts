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

const UUID_HEX = /^[0-9a-f]{32}$/;

export function encodeId(type: IdType, uuid: string): string {
  return `${PREFIXES[type]}_${uuid.replaceAll('-', '')}`;
}

/** Decodes a public id of `type`; a malformed or foreign id is simply not found. */
export function decodeId(type: IdType, id: string): string {
  const [prefix, hex] = id.split('_', 2);
  if (prefix !== PREFIXES[type] || !hex || !UUID_HEX.test(hex)) throw new NotFoundError(type, id);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
