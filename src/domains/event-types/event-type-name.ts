import { z } from 'zod';

/** Names under this prefix belong to Switchyard's own operational events. */
export const RESERVED_PREFIX = 'switchyard.';

const SEGMENTS = /^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/;

/**
 * An event type name, `resource.action` style: lowercase segments of letters, digits, `_` and
 * `-`, separated by dots, at least two of them, at most 200 characters. The delivery engine
 * checks emitted types with the same rule.
 */
export const eventTypeName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .regex(SEGMENTS, 'use lowercase segments separated by dots, like "order.completed" (letters, digits, "_" and "-")');

/** `eventTypeName` that also refuses the reserved `switchyard.` prefix: for types users declare or emit. */
export const userEventTypeName = eventTypeName.refine((name) => !name.startsWith(RESERVED_PREFIX), {
  message: `names starting with "${RESERVED_PREFIX}" are reserved for Switchyard's operational events`,
});
