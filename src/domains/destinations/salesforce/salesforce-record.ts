import { z } from 'zod';
import type { ActionEvent } from '../destination-kind.ts';
import { checkActionInput, MappingError } from '../mapping.ts';

/** A SALESFORCE action input: the external id of the record to upsert, and its fields. */
export interface SalesforceRecord {
  externalId: string;
  fields: Record<string, string | number | boolean | null>;
}

const FIELD_NAME = /^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*(?:__[a-z]+)?$/;

const record = z.strictObject(
  {
    externalId: z.union([z.string().trim().min(1, 'must not be empty').max(255, 'must be at most 255 characters'), z.number().transform(String)], {
      error: 'is required (a string or number: the value of the external id field)',
    }),
    fields: z.record(z.string().regex(FIELD_NAME, 'must be a field API name such as "LastName"'), z.union([z.string(), z.number(), z.boolean(), z.null()]), {
      error: 'must be an object of field API names to strings, numbers, booleans or null',
    }),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}; a record has externalId and fields` : 'must be an object { externalId, fields }') },
);

/** A transform's result as a record, checked. */
export function salesforceRecordFrom(value: unknown): SalesforceRecord {
  return checkActionInput(record, value, 'a Salesforce record { externalId, fields }');
}

/**
 * The default record: the external id from the event's `resourceId`, the fields from the
 * payload's top-level scalar values whose names are field API names (nested values, which no
 * field holds, are left out).
 * @throws MappingError when the event has no resourceId
 */
export function defaultSalesforceRecord(event: ActionEvent): SalesforceRecord {
  if (!event.resourceId) {
    throw new MappingError('resourceId', 'the default mapping takes the external id from the event\'s resourceId; emit one, or give the rule a transform that returns { externalId, fields }');
  }
  const payload = typeof event.payload === 'object' && event.payload !== null && !Array.isArray(event.payload) ? (event.payload as Record<string, unknown>) : {};
  const fields = Object.fromEntries(
    Object.entries(payload).filter((entry): entry is [string, string | number | boolean | null] => FIELD_NAME.test(entry[0]) && (entry[1] === null || ['string', 'number', 'boolean'].includes(typeof entry[1]))),
  );
  return { externalId: event.resourceId, fields };
}
