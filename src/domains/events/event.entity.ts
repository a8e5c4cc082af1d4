import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { newId } from '../../db/ids.ts';
import { Workspace } from '../workspaces/workspace.entity.ts';

/** One emitted fact. `sequence` grows monotonically per workspace so receivers can order. */
export const Event = defineEntity({
  name: 'Event',
  tableName: 'events',
  properties: {
    id: p.uuid().primary().onCreate(() => newId()),
    workspace: p.manyToOne(Workspace).deleteRule('cascade'),
    type: p.string().length(200),
    resource: p.string().length(200).nullable(),
    resourceId: p.string().length(200).nullable(),
    /** Null once retention or eraseResource removed it (see `payloadRemovedAt`). */
    payload: p.json<unknown>().nullable(),
    payloadRemovedAt: p.datetime().nullable(),
    /** Who removed it: `ERASED` (eraseResource) or `EXPIRED` (retention); null while it is kept. */
    payloadRemovedBy: p.enum(['ERASED', 'EXPIRED'] as const).nativeEnumName('payload_removal').nullable(),
    idempotencyKey: p.string().length(200).nullable(),
    sequence: p.bigint('number'),
    /** Emitted by Switchyard itself (`switchyard.*`), e.g. when a connection starts failing. */
    operational: p.boolean().default(false),
    /** Sent with `sendTestEvent` to one connection, outside the rules and the sequence (it has 0). */
    test: p.boolean().default(false),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  uniques: [{ properties: ['workspace', 'idempotencyKey'] }],
  indexes: [
    { properties: ['workspace', 'createdAt', 'id'] },
    { properties: ['workspace', 'type', 'createdAt'] },
  ],
});

export type Event = InferEntity<typeof Event>;
