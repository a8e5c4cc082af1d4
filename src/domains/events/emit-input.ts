import { z } from 'zod';
import { userEventTypeName } from '../event-types/event-type-name.ts';

export const emitEventInput = z.object({
  type: userEventTypeName,
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
