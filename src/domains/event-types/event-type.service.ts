import { isDeepStrictEqual } from 'node:util';
import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { EventType } from './event-type.entity.ts';
import { declaredEventTypeName } from './event-type-name.ts';
import { jsonSchemaProblem } from './payload-schema.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { isUniqueViolation, parseInput, textProblem } from '../validation.ts';

const upsertInput = z.object({
  name: declaredEventTypeName,
  description: z.string().trim().max(2000, 'must be at most 2000 characters').nullish(),
  schema: z
    .unknown()
    .superRefine((schema, context) => {
      if (schema === null || schema === undefined) return;
      const problem = jsonSchemaProblem(schema);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    })
    .transform((schema) => schema as Record<string, unknown> | null | undefined)
    .optional(),
});

/**
 * Creates the event type `input.name` or updates it. Omitted fields keep their value;
 * `schema: null` removes the schema. `version` grows by one whenever the description or the
 * schema changes, so payload validators cached by version are replaced everywhere.
 */
export async function upsertEventType(em: EntityManager, workspaceId: string, input: unknown): Promise<EventType> {
  const data = parseInput(upsertInput, input);
  const attempt = () =>
    em.transactional(async (tx) => {
      // The row lock makes concurrent upserts bump the version one after the other.
      const existing = await tx.findOne(
        EventType,
        { workspace: workspaceId, name: data.name },
        { lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      if (!existing) {
        return tx.create(EventType, {
          workspace: workspaceId,
          name: data.name,
          description: data.description ?? '',
          schema: data.schema ?? null,
        });
      }
      const description = data.description ?? existing.description;
      const schema = data.schema === undefined ? (existing.schema ?? null) : data.schema;
      if (description !== existing.description || !isDeepStrictEqual(schema, existing.schema ?? null)) {
        existing.description = description;
        existing.schema = schema;
        existing.version += 1;
      }
      return existing;
    });
  try {
    return await attempt();
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    // Another request created the same name between the lookup and the insert; it exists now.
    return attempt();
  }
}

/** The event type with `id` or `name` in the workspace; exactly one of them must be given. */
export async function getEventType(
  em: EntityManager,
  workspaceId: string,
  by: { id?: string | null; name?: string | null },
): Promise<EventType> {
  if (!by.id === !by.name) {
    throw new ValidationError([
      { path: ['id'], message: 'give either "id" or "name"' },
      { path: ['name'], message: 'give either "id" or "name"' },
    ]);
  }
  const problem = by.name ? textProblem(by.name) : null;
  if (problem) throw ValidationError.field(['name'], problem);
  const eventType = await em.findOne(EventType, by.id ? { id: by.id, workspace: workspaceId } : { name: by.name!, workspace: workspaceId });
  if (!eventType) throw new NotFoundError('EventType', (by.id ?? by.name)!);
  return eventType;
}
