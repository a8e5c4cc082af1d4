import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { newId } from '../../db/ids.ts';

/** One tenant environment ("acme / production"); everything else belongs to exactly one. */
export const Workspace = defineEntity({
  name: 'Workspace',
  tableName: 'workspaces',
  properties: {
    id: p.uuid().primary().onCreate(() => newId()),
    name: p.string().length(100),
    environment: p.string().length(50),
    createdAt: p.datetime().onCreate(() => new Date()),
    /** Moved by database triggers whenever the workspace's rules, event types or connections' routing settings change. */
    routingVersion: p.integer().default(0),
    /** Days payloads and attempts' response bodies are kept (retention). */
    payloadRetentionDays: p.integer().default(30),
    /** Days event, delivery and attempt records are kept (retention). */
    deliveryRetentionDays: p.integer().default(90),
    /** Emits of event types not in the catalog are refused rather than accepted with a warning. */
    strictEventTypes: p.boolean().default(false),
  },
  uniques: [{ properties: ['name', 'environment'] }],
});

export type Workspace = InferEntity<typeof Workspace>;
