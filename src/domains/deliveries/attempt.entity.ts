import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { newId } from '../../db/ids.ts';
import { Workspace } from '../workspaces/workspace.entity.ts';
import { Delivery } from './delivery.entity.ts';

export const ATTEMPT_STATUSES = ['SUCCEEDED', 'FAILED'] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

/**
 * Why an attempt failed, for receivers' owners and for retry decisions. REJECTED, AUTH,
 * RATE_LIMITED and MAPPING are the destination kinds' classifications of a vendor's answer:
 * refused for good, the credentials were refused, the vendor asked to slow down, the action
 * input does not fit the kind. PAYLOAD_REMOVED: no request was made, as the event's payload was
 * erased or removed by retention while the delivery waited.
 */
export const ATTEMPT_ERROR_CLASSES = [
  'TIMEOUT', 'DNS', 'CONNECT', 'TLS', 'HTTP', 'REFUSED_TARGET', 'EXPRESSION', 'NETWORK',
  'REJECTED', 'AUTH', 'RATE_LIMITED', 'MAPPING', 'PAYLOAD_REMOVED',
] as const;
export type AttemptErrorClass = (typeof ATTEMPT_ERROR_CLASSES)[number];

/** One try of a delivery (one request to its destination), kept outside the jobs table as the delivery's history. */
export const Attempt = defineEntity({
  name: 'Attempt',
  tableName: 'attempts',
  properties: {
    id: p.uuid().primary().onCreate(() => newId()),
    workspace: p.manyToOne(Workspace).deleteRule('cascade'),
    delivery: p.manyToOne(Delivery).deleteRule('cascade'),
    attempt: p.integer(),
    chain: p.integer().default(0),
    status: p.enum(ATTEMPT_STATUSES).nativeEnumName('attempt_status'),
    statusCode: p.integer().nullable(),
    durationMs: p.integer(),
    /** The request's method: POST for webhooks, PUT for a Mailchimp upsert ... */
    requestMethod: p.text().default('POST'),
    /** Where the request went, credentials masked. */
    requestUrl: p.text(),
    responseExcerpt: p.text().nullable(),
    errorClass: p.enum(ATTEMPT_ERROR_CLASSES).nativeEnumName('attempt_error_class').nullable(),
    /** The vendor's own error code or title, e.g. `channel_not_found` or `Member In Compliance State`. */
    vendorCode: p.text().nullable(),
    error: p.text().nullable(),
    startedAt: p.datetime(),
    /** The headers sent, credentials masked; null when no request was made. */
    requestHeaders: p.json<Record<string, string>>().nullable(),
    /** The body a rule's transform produced; null for the default body, rebuilt from the event when shown. */
    requestBody: p.text().nullable(),
  },
  indexes: [{ properties: ['delivery', 'attempt'] }, { properties: ['workspace', 'startedAt'] }],
});

export type Attempt = InferEntity<typeof Attempt>;
