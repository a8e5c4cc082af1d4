import { z } from 'zod';
import type { ActionEvent } from '../destination-kind.ts';
import { checkActionInput, MappingError } from '../mapping.ts';
import type { HubSpotConfig } from './hubspot-settings.ts';

/** A HUBSPOT action input: a contact to upsert by email, or a custom event about a contact. */
export type HubSpotInput =
  | { action: 'UPSERT_CONTACT'; email: string; properties: Record<string, string> }
  | { action: 'SEND_EVENT'; email: string; properties: Record<string, string>; occurredAt: string };

const email = z
  .string({ error: 'is required (a string: the contact\'s email address)' })
  .trim()
  .max(254, 'must be at most 254 characters')
  .refine((value) => /^[^\s@]+@[^\s@]+$/.test(value), 'must be an email address such as "ada@example.com"');

/** Property values as HubSpot takes them: strings; numbers and booleans are written as text. */
const properties = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]), { error: 'must be an object of property names to strings, numbers or booleans' })
  .transform((value) => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, String(v)])));

const contact = z.strictObject(
  { email, properties: properties.optional() },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}; a contact has email and properties` : 'must be an object { email, properties? }') },
);

const event = z.strictObject(
  { email, properties: properties.optional(), occurredAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time such as "2026-12-01T10:00:00Z"' }).optional() },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}; an event has email, properties and occurredAt` : 'must be an object { email, properties?, occurredAt? }') },
);

const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim() : undefined);

function payloadOf(event: ActionEvent): Record<string, unknown> {
  return typeof event.payload === 'object' && event.payload !== null && !Array.isArray(event.payload) ? (event.payload as Record<string, unknown>) : {};
}

function emailOf(payload: Record<string, unknown>): string {
  const found = text(payload.email);
  if (!found) throw new MappingError('payload.email', 'the default mapping needs payload.email (a string); emit it in the payload, or give the rule a transform that returns { email, properties }');
  const checked = email.safeParse(found);
  if (!checked.success) throw new MappingError('payload.email', `payload.email ${checked.error.issues[0]?.message ?? 'is not an email address'}`);
  return checked.data;
}

/**
 * The default input. UPSERT_CONTACT: `email` from `payload.email`, and the properties `email`,
 * `firstname`, `lastname`, `phone`, `company` from the payload's `email`,
 * `firstName`/`first_name`, `lastName`/`last_name`, `phone` and `company` where present.
 * SEND_EVENT: the same email, the payload's top-level scalar values as the event's properties,
 * and the event's time as `occurredAt`.
 * @throws MappingError when the payload has no email
 */
export function defaultHubSpotInput(source: ActionEvent, config: HubSpotConfig): HubSpotInput {
  const payload = payloadOf(source);
  const address = emailOf(payload);
  if (config.action === 'SEND_EVENT') {
    const scalars = Object.entries(payload).filter(([name, value]) => name !== 'email' && ['string', 'number', 'boolean'].includes(typeof value));
    return { action: 'SEND_EVENT', email: address, properties: Object.fromEntries(scalars.map(([name, value]) => [name, String(value)])), occurredAt: source.createdAt.toISOString() };
  }
  const found: Record<string, string | undefined> = {
    email: address,
    firstname: text(payload.firstName) ?? text(payload.first_name),
    lastname: text(payload.lastName) ?? text(payload.last_name),
    phone: text(payload.phone) ?? (typeof payload.phone === 'number' ? String(payload.phone) : undefined),
    company: text(payload.company),
  };
  return { action: 'UPSERT_CONTACT', email: address, properties: Object.fromEntries(Object.entries(found).filter((entry): entry is [string, string] => entry[1] !== undefined)) };
}

/** A transform's result as the connection's action input: `{ email, properties }` (SEND_EVENT: and `occurredAt`). */
export function hubspotInputFrom(value: unknown, config: HubSpotConfig, source: ActionEvent): HubSpotInput {
  if (config.action === 'SEND_EVENT') {
    const checked = checkActionInput(event, value, 'a HubSpot event { email, properties?, occurredAt? }');
    return { action: 'SEND_EVENT', email: checked.email, properties: checked.properties ?? {}, occurredAt: checked.occurredAt ?? source.createdAt.toISOString() };
  }
  const checked = checkActionInput(contact, value, 'a HubSpot contact { email, properties? }');
  return { action: 'UPSERT_CONTACT', email: checked.email, properties: { email: checked.email, ...checked.properties } };
}
