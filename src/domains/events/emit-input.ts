import { z } from 'zod';

/** `resource.action`, e.g. `order.completed`: lowercase segments joined by dots. */
export const EVENT_TYPE_PATTERN = /^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$/;

/** Event types Switchyard emits itself; products may not emit them. */
export const OPERATIONAL_PREFIX = 'switchyard.';

export const emitEventInput = z.object({
  type: z
    .string()
    .max(200)
    .regex(EVENT_TYPE_PATTERN, 'must look like "resource.action": lowercase segments joined by dots')
    .refine((type) => !type.startsWith(OPERATIONAL_PREFIX), `"${OPERATIONAL_PREFIX}*" types are reserved for Switchyard`),
  resource: z.string().min(1).max(200).nullish(),
  resourceId: z.string().min(1).max(200).nullish(),
  payload: z.unknown().default({}),
  idempotencyKey: z.string().min(1).max(200).nullish(),
});

export type EmitEventInput = z.infer<typeof emitEventInput>;

/** Most events one `emitEvents` call accepts. */
export const MAX_BATCH = 1000;

export const emitEventsInput = z.object({
  events: z.array(emitEventInput).min(1).max(MAX_BATCH, `at most ${MAX_BATCH} events per call`),
});
