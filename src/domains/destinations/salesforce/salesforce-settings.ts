import { z } from 'zod';
import type { SettingsContext, StoredSettings } from '../destination-kind.ts';

/** What a SALESFORCE connection upserts: records of `sobject`, matched by `externalIdField`. */
export interface SalesforceConfig {
  sobject: string;
  externalIdField: string;
}

/** Nothing of its own: a SALESFORCE connection's tokens and instance URL are its OAuth grant's. */
export type SalesforceCredentials = Record<string, never>;

export type SalesforceSettings = StoredSettings<SalesforceConfig, SalesforceCredentials>;

/** API names of objects and fields: a letter, then letters, digits and single underscores (`Order__c`, `External_Id__c`). */
const API_NAME = /^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*(?:__[a-z]+)?$/;

const apiName = (what: string, example: string) =>
  z
    .string({ error: `is required: the ${what}'s API name, e.g. "${example}"` })
    .trim()
    .max(80, 'must be at most 80 characters')
    .regex(API_NAME, `must be an API name such as "${example}"`);

const input = z.object({ sobject: apiName('object', 'Contact').nullish(), externalIdField: apiName('external id field', 'External_Id__c').nullish() });

/**
 * The schema of the `salesforce` field: `{ sobject, externalIdField }`, both API names. When
 * updating, a field left out keeps its value. The connection authorizes through OAuth
 * (`authorizeConnection`, or `setConnectionCredentials` with the product's own tokens).
 */
export function salesforceSettingsSchema(_context: SettingsContext, previous?: SalesforceSettings): z.ZodType<SalesforceSettings> {
  return input.transform((given, issues): SalesforceSettings => {
    const sobject = given.sobject ?? previous?.config.sobject;
    const externalIdField = given.externalIdField ?? previous?.config.externalIdField;
    if (!sobject) issues.addIssue({ code: 'custom', path: ['sobject'], message: 'is required: the object\'s API name, e.g. "Contact"' });
    if (!externalIdField) issues.addIssue({ code: 'custom', path: ['externalIdField'], message: 'is required: the external id field\'s API name, e.g. "External_Id__c"' });
    if (!sobject || !externalIdField) return z.NEVER as never;
    return { config: { sobject, externalIdField }, credentials: {} };
  });
}
