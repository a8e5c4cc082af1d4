import { z } from 'zod';

/** Names under this prefix belong to Switchyard's own operational events. */
export const RESERVED_PREFIX = 'switchyard.';

/**
 * An event type name, `resource.action` style: at least two segments joined by dots, each of
 * lowercase letters, digits, `_` and `-`, starting with a letter or a digit. The one rule for the
 * types users declare and the types they emit, so any type that can be declared can be emitted.
 */
export const EVENT_TYPE_NAME = /^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$/;

/** Longest event type name. */
export const MAX_EVENT_TYPE_LENGTH = 200;

const NAME_RULE = 'use lowercase segments separated by dots, like "order.completed" (letters, digits, "_" and "-", each segment starting with a letter or a digit)';
const RESERVED_RULE = `names starting with "${RESERVED_PREFIX}" are reserved for Switchyard's operational events`;

/** `EVENT_TYPE_NAME` as a zod string, for emitted types (taken as sent). */
export const eventTypeName = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_EVENT_TYPE_LENGTH, `must be at most ${MAX_EVENT_TYPE_LENGTH} characters`)
  .regex(EVENT_TYPE_NAME, NAME_RULE);

/** `eventTypeName` that also refuses the reserved `switchyard.` prefix: for types users emit. */
export const userEventTypeName = eventTypeName.refine((name) => !name.startsWith(RESERVED_PREFIX), { message: RESERVED_RULE });

/** The same rule for types users declare, whose names are trimmed first. */
export const declaredEventTypeName = z.string().trim().pipe(userEventTypeName);
