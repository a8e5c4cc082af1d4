import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { newId } from '../../db/ids.ts';
import { Workspace } from '../workspaces/workspace.entity.ts';
import { Connection } from '../connections/connection.entity.ts';

/** Event-type patterns, an optional JSONata condition and transform, and one connection. */
export const Rule = defineEntity({
  name: 'Rule',
  tableName: 'rules',
  properties: {
    id: p.uuid().primary().onCreate(() => newId()),
    workspace: p.manyToOne(Workspace).deleteRule('cascade'),
    connection: p.manyToOne(Connection).deleteRule('cascade'),
    name: p.string().length(100),
    eventTypes: p.array<string>().columnType('text[]'),
    condition: p.text().nullable(),
    transform: p.text().nullable(),
    enabled: p.boolean().default(true),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
  uniques: [{ properties: ['workspace', 'name'] }],
});

export type Rule = InferEntity<typeof Rule>;
