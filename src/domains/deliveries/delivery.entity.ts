import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { newId } from '../../db/ids.ts';
import { Workspace } from '../workspaces/workspace.entity.ts';
import { Connection } from '../connections/connection.entity.ts';
import { Rule } from '../rules/rule.entity.ts';
import { Event } from '../events/event.entity.ts';

export const DELIVERY_STATUSES = ['PENDING', 'DELIVERING', 'SUCCEEDED', 'RETRYING', 'DEAD'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * One event to one connection via one rule. Its id is the `webhook-id` of every attempt, replays
 * included. `chain` counts replays: each replay starts a new attempt chain.
 */
export const Delivery = defineEntity({
  name: 'Delivery',
  tableName: 'deliveries',
  properties: {
    id: p.uuid().primary().onCreate(() => newId()),
    workspace: p.manyToOne(Workspace).deleteRule('cascade'),
    event: p.manyToOne(Event).deleteRule('cascade'),
    connection: p.manyToOne(Connection).deleteRule('cascade'),
    rule: p.manyToOne(Rule).nullable().deleteRule('set null'),
    eventType: p.string().length(200),
    status: p.enum(DELIVERY_STATUSES).nativeEnumName('delivery_status').default('PENDING'),
    chain: p.integer().default(0),
    attemptCount: p.integer().default(0),
    chainAttempts: p.integer().default(0),
    nextAttemptAt: p.datetime().nullable(),
    lastAttemptAt: p.datetime().nullable(),
    lastStatusCode: p.integer().nullable(),
    lastError: p.text().nullable(),
    /** Lease of the attempt in flight; past it, a crashed worker's claim may be taken over. */
    claimedUntil: p.datetime().nullable(),
    /** Token of the claim in flight: every write that ends its attempt must present it. */
    lease: p.uuid().nullable(),
    /** Set while the connection is paused or disabled; resuming re-enqueues parked deliveries. */
    parkedAt: p.datetime().nullable(),
    /** Handed back by a batch call: its claims send it on its own. */
    unbatched: p.boolean().default(false),
    /** The delivery of a test event (`sendTestEvent`); receivers see `"test": true` in the body. */
    test: p.boolean().default(false),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
  indexes: [
    { properties: ['workspace', 'status', 'createdAt'] },
    { properties: ['workspace', 'createdAt'] },
    { properties: ['connection', 'status', 'createdAt'] },
    { properties: ['event'] },
  ],
});

export type Delivery = InferEntity<typeof Delivery>;
