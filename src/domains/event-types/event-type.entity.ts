import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { newId } from '../../db/ids.ts';
import { Workspace } from '../workspaces/workspace.entity.ts';

/** A catalog entry `resource.action`; `schema`, when set, checks every emitted payload. */
export const EventType = defineEntity({
  name: 'EventType',
  tableName: 'event_types',
  properties: {
    id: p.uuid().primary().onCreate(() => newId()),
    workspace: p.manyToOne(Workspace).deleteRule('cascade'),
    name: p.string().length(200),
    description: p.text().default(''),
    schema: p.json<Record<string, unknown>>().nullable(),
    version: p.integer().default(1),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
  uniques: [{ properties: ['workspace', 'name'] }],
});

export type EventType = InferEntity<typeof EventType>;
