import { wrap } from '@mikro-orm/core';
import { builder } from './builder.ts';
import { expectedErrors, refuseUnstorableArguments } from './errors.ts';
import { decodeId, decodeIdOrNone, encodeId } from '../domains/public-ids.ts';
import { paginate } from './pagination.ts';
import { changeScopes, readScopes, workspaceOf } from './scope.ts';
import { EventRef } from './events.ts';
import { ConnectionRef } from './connections.ts';
import { RuleRef } from './rules.ts';
import { Delivery, DELIVERY_STATUSES } from '../domains/deliveries/delivery.entity.ts';
import { Attempt, ATTEMPT_ERROR_CLASSES, ATTEMPT_STATUSES } from '../domains/deliveries/attempt.entity.ts';
import { attemptsOf, deliveriesOfEvent, findDelivery } from '../domains/deliveries/queries/delivery-queries.ts';
import { deliveryWhere, type DeliveryFilter } from '../domains/deliveries/queries/delivery-filter.ts';
import { replayDeliveries, replayDelivery, type BulkReplay } from '../domains/deliveries/replay/replay.ts';
import { defaultBody } from '../domains/deliveries/engine/webhook-body.ts';
import { lastDeliveries } from '../domains/deliveries/queries/last-deliveries.ts';
import { loadBatched } from './batched.ts';
import { eventRecord, findEvent } from '../domains/events/event-queries.ts';
import type { EventRecord } from '../domains/events/event-record.ts';
import { Connection } from '../domains/connections/connection.entity.ts';
import { Rule } from '../domains/rules/rule.entity.ts';
import { NotFoundError, ValidationError } from '../domains/errors.ts';
import { unstorableIssues } from '../domains/validation.ts';
import type { Context } from '../server/context.ts';
import { streamCursorOf } from '../server/delivery-feed.ts';

export const DeliveryStatusRef = builder.enumType('DeliveryStatus', {
  description: 'PENDING -> DELIVERING -> SUCCEEDED, or -> RETRYING -> ... -> DEAD; a replay puts DEAD back to PENDING.',
  values: Object.fromEntries(DELIVERY_STATUSES.map((status) => [status, {}])) as Record<(typeof DELIVERY_STATUSES)[number], object>,
});

const AttemptStatusRef = builder.enumType('AttemptStatus', {
  description: 'Whether the receiver answered 2xx.',
  values: ATTEMPT_STATUSES,
});

const AttemptErrorClassRef = builder.enumType('AttemptErrorClass', {
  description:
    'Why an attempt failed: TIMEOUT, DNS, CONNECT, TLS and NETWORK are transport failures; HTTP a non-2xx answer; ' +
    'REFUSED_TARGET a private address refused by the SSRF guard; EXPRESSION the rule\'s transform failed; ' +
    'MAPPING its result (or the event, for a default mapping) does not fit the destination kind; REJECTED the vendor ' +
    'refused the action for good; AUTH the vendor refused the credentials; RATE_LIMITED the vendor asked to slow down; ' +
    'PAYLOAD_REMOVED nothing was sent, as the event\'s payload was erased or removed by retention meanwhile.',
  values: ATTEMPT_ERROR_CLASSES,
});

const STREAM_CURSOR =
  'Where this change is in the delivery stream that sent it: subscribe with `after:` it to resume right after. Null outside a stream.';

export const DeliveryRef = builder.objectRef<Delivery>('Delivery');
export const DeliveryAttemptRef = builder.objectRef<Attempt>('DeliveryAttempt');

DeliveryRef.implement({
  description: 'One event to one connection via one rule. Its id is the `webhook-id` of every attempt, replays included.',
  fields: (t) => ({
    id: t.id({ description: 'Also the `webhook-id` header receivers deduplicate on.', resolve: (delivery) => encodeId('Delivery', delivery.id) }),
    status: t.field({ type: DeliveryStatusRef, resolve: (delivery) => delivery.status }),
    eventType: t.exposeString('eventType'),
    event: t.field({ type: EventRef, resolve: (delivery, _args, context) => eventOf(context, delivery) }),
    connection: t.field({
      type: ConnectionRef,
      resolve: async (delivery, _args, context) => context.em.findOneOrFail(Connection, { id: delivery.connection.id }),
    }),
    rule: t.field({
      type: RuleRef,
      nullable: true,
      authScopes: { secret: true },
      description: 'The rule that routed the event; null for a test send, and once that rule is deleted.',
      resolve: (delivery, _args, context) => (delivery.rule ? context.em.findOne(Rule, { id: delivery.rule.id }) : null),
    }),
    attempts: t.field({
      type: [DeliveryAttemptRef],
      authScopes: readScopes,
      description: 'Every attempt, oldest first, across replays.',
      resolve: (delivery, _args, context) => attemptsOf(context.em, delivery.id),
    }),
    attemptCount: t.exposeInt('attemptCount', {
      description: "Attempts made, across replays; one the vendor's quota turned away (RATE_LIMITED, its connection waited) is not counted.",
    }),
    replays: t.exposeInt('chain', { description: 'How often the delivery was replayed.' }),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', nullable: true, description: 'When a RETRYING delivery is tried next.' }),
    lastAttemptAt: t.expose('lastAttemptAt', { type: 'DateTime', nullable: true }),
    lastStatusCode: t.exposeInt('lastStatusCode', { nullable: true, authScopes: readScopes }),
    lastError: t.exposeString('lastError', { nullable: true, authScopes: readScopes, description: 'Why the last attempt failed.' }),
    paused: t.boolean({ description: 'Waiting because its connection is paused or disabled.', resolve: (delivery) => delivery.parkedAt != null }),
    test: t.exposeBoolean('test', {
      description: 'A test send (`sendTestEvent`); the receiver sees `"test": true` in the signed body.',
    }),
    cursor: t.string({ nullable: true, description: STREAM_CURSOR, resolve: (delivery) => streamCursorOf(delivery) }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

DeliveryAttemptRef.implement({
  description: 'One try of a delivery: the request made to its destination and what came back.',
  authScopes: readScopes,
  fields: (t) => ({
    id: t.id({ resolve: (attempt) => encodeId('DeliveryAttempt', attempt.id) }),
    attempt: t.exposeInt('attempt', {
      description:
        "Number of the attempt within its chain, from 1; a replay starts a new chain. One the vendor's quota turned away " +
        '(RATE_LIMITED, its connection waited) spends no number: the next attempt has it again.',
    }),
    replay: t.exposeInt('chain', { description: 'Which chain: 0 for the original, 1 after the first replay ...' }),
    status: t.field({ type: AttemptStatusRef, resolve: (attempt) => attempt.status }),
    statusCode: t.exposeInt('statusCode', { nullable: true, description: 'HTTP status the receiver or vendor answered, if it answered.' }),
    durationMs: t.exposeInt('durationMs'),
    method: t.exposeString('requestMethod', { description: 'The request\'s method: POST, or PUT for a Mailchimp upsert.' }),
    url: t.exposeString('requestUrl', { description: 'Where the request went, credentials masked.' }),
    responseExcerpt: t.exposeString('responseExcerpt', { nullable: true, description: 'The first 4 KB of the response body.' }),
    errorClass: t.field({ type: AttemptErrorClassRef, nullable: true, resolve: (attempt) => attempt.errorClass ?? null }),
    error: t.exposeString('error', { nullable: true, description: 'Why it failed, for people.' }),
    vendorCode: t.exposeString('vendorCode', {
      nullable: true,
      description: 'The vendor\'s own error code or title, e.g. "channel_not_found" or "Member In Compliance State".',
    }),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    requestHeaders: t.field({
      type: 'JSON',
      nullable: true,
      description:
        'The request headers, names lowercase, as sent; values of credential-like custom headers are masked. ' +
        'Null when no request was made (the rule\'s transform failed) or the attempt predates recording.',
      resolve: (attempt) => attempt.requestHeaders ?? null,
    }),
    requestBody: t.string({
      nullable: true,
      description: 'The exact request body that was signed and sent; null when no request was made.',
      resolve: async (attempt, _args, context) => {
        if (!attempt.requestHeaders) return null;
        if (attempt.requestBody != null) return attempt.requestBody;
        const event = await eventOf(context, await deliveryOf(context, attempt));
        return JSON.stringify(defaultBody(event, encodeId('Event', event.id)));
      },
    }),
    cursor: t.string({ nullable: true, description: STREAM_CURSOR, resolve: (attempt) => streamCursorOf(attempt) }),
    delivery: t.field({ type: DeliveryRef, resolve: (attempt, _args, context) => deliveryOf(context, attempt) }),
    event: t.field({ type: EventRef, resolve: async (attempt, _args, context) => eventOf(context, await deliveryOf(context, attempt)) }),
  }),
});

builder.objectField(ConnectionRef, 'lastDelivery', (t) =>
  t.field({
    type: DeliveryRef,
    nullable: true,
    description: 'Its newest delivery, whatever its status; null before the first.',
    resolve: async (connection, _args, context) => (await loadBatched(context.em, lastDeliveries, connection.id)) ?? null,
  }),
);

builder.objectFields(EventRef, (t) => ({
  deliveries: t.field({
    type: [DeliveryRef],
    description: 'One delivery per rule that routed this event.',
    resolve: (event, _args, context) => deliveriesOfEvent(context.em, event.id),
  }),
}));

export const DeliveryFilterInput = builder.inputType('DeliveryFilter', {
  description: 'Narrows deliveries; every field given must match.',
  fields: (t) => ({
    status: t.field({ type: DeliveryStatusRef }),
    connectionId: t.id(),
    eventId: t.id(),
    eventType: t.string({ description: 'Exact event type.' }),
    since: t.field({ type: 'DateTime', description: 'Created at or after.' }),
    until: t.field({ type: 'DateTime', description: 'Created before.' }),
    updatedSince: t.field({
      type: 'DateTime',
      description: 'Changed at or after: with `status: DEAD`, the deliveries that died since then, however long before they were created.',
    }),
  }),
});

/**
 * Decodes a filter's public ids; a foreign id matches nothing, as a missing one would. A portal
 * session's filter covers its customer's connections only, also where no request's entity
 * manager applies (the bulk replay's job, the streams).
 */
export function deliveryFilter(
  filter: typeof DeliveryFilterInput.$inferInput | null | undefined,
  context: Context,
): DeliveryFilter {
  const connectionOwner = context.principal?.kind === 'PORTAL' ? ('CUSTOMER' as const) : undefined;
  if (!filter) return { connectionOwner };
  return {
    connectionOwner,
    statuses: filter.status ? [filter.status] : undefined,
    connectionId: filter.connectionId == null ? undefined : decodeIdOrNone('Connection', filter.connectionId),
    eventId: filter.eventId == null ? undefined : decodeIdOrNone('Event', filter.eventId),
    eventType: filter.eventType,
    since: filter.since,
    until: filter.until,
    updatedSince: filter.updatedSince,
  };
}

builder.queryFields((t) => ({
  delivery: t.field({
    type: DeliveryRef,
    description: 'One delivery, with its attempts.',
    authScopes: readScopes,
    errors: { types: [NotFoundError] },
    args: { id: t.arg.id({ required: true, description: 'The delivery id, which is also its webhook-id.' }) },
    resolve: (_root, { id }, context) => findDelivery(context.em, workspaceOf(context), decodeId('Delivery', String(id))),
  }),
  deliveries: t.connection({
    type: DeliveryRef,
    description: 'Deliveries of the workspace, newest first. `status: DEAD` is the dead-letter list.',
    authScopes: readScopes,
    args: { filter: t.arg({ type: DeliveryFilterInput }) },
    resolve: (_root, args, context: Context) => {
      refuseUnstorableArguments(args.filter, ['filter']);
      return paginate(args, ({ id, order, limit }) =>
        context.em.find(Delivery, deliveryWhere(workspaceOf(context), deliveryFilter(args.filter, context), id), {
          orderBy: { id: order },
          limit,
        }),
      );
    },
  }),
}));

const ReplayDeliveryInput = builder.inputType('ReplayDeliveryInput', {
  fields: (t) => ({ deliveryId: t.id({ required: true }) }),
});

const ReplayDeliveriesInput = builder.inputType('ReplayDeliveriesInput', {
  fields: (t) => ({
    filter: t.field({ type: DeliveryFilterInput, description: 'Which deliveries; `status` defaults to DEAD.' }),
  }),
});

const ReplayDeliveryPayload = builder.objectRef<{ delivery: Delivery }>('ReplayDeliveryPayload').implement({
  description: 'The delivery, queued again.',
  fields: (t) => ({ delivery: t.field({ type: DeliveryRef, resolve: (payload) => payload.delivery }) }),
});

const ReplayDeliveriesPayload = builder.objectRef<BulkReplay>('ReplayDeliveriesPayload').implement({
  description: 'How many deliveries will be replayed; a background job does it in batches.',
  fields: (t) => ({
    count: t.exposeInt('count', { description: 'Deliveries that will be replayed.' }),
    skipped: t.exposeInt('skipped', {
      description: "Deliveries the filter matched that are not replayed: their event's payload was erased (eraseResource) or removed by retention, so they would go out empty.",
    }),
  }),
});

builder.mutationFields((t) => ({
  replayDelivery: t.field({
    type: ReplayDeliveryPayload,
    description:
      "Sends a delivery again as a new attempt chain, with the same webhook-id. Refused (ConflictError) when the event's " +
      'payload was erased or removed by retention: there is nothing left to send.',
    authScopes: changeScopes('REPLAY'),
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: ReplayDeliveryInput, required: true }) },
    resolve: async (_root, { input }, context) => ({
      delivery: await replayDelivery(context.em, workspaceOf(context), decodeId('Delivery', String(input.deliveryId))),
    }),
  }),
  replayDeliveries: t.field({
    type: ReplayDeliveriesPayload,
    description: 'Replays every delivery matching the filter (the whole filter, not a page), each exactly once.',
    authScopes: changeScopes('REPLAY'),
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: ReplayDeliveriesInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const unstorable = unstorableIssues(input, ['input']);
      if (unstorable.length > 0) throw new ValidationError(unstorable);
      return replayDeliveries(context.em, workspaceOf(context), deliveryFilter(input.filter, context));
    },
  }),
}));

/**
 * A relation loaded together with its owner (a streamed change: one read serves every
 * subscriber) needs no query of its own; it must still be in the owner's workspace.
 */
function loadedInWorkspace<T extends { workspace: { id: string } }>(related: T, workspaceId: string): T | null {
  return wrap(related).isInitialized() && related.workspace.id === workspaceId ? related : null;
}

function deliveryOf(context: Context, attempt: Attempt): Promise<Delivery> | Delivery {
  return loadedInWorkspace(attempt.delivery, attempt.workspace.id) ?? findDelivery(context.em, attempt.workspace.id, attempt.delivery.id);
}

function eventOf(context: Context, delivery: Delivery): Promise<EventRecord> | EventRecord {
  const event = loadedInWorkspace(delivery.event, delivery.workspace.id);
  return event ? eventRecord(event) : findEvent(context.em, delivery.workspace.id, delivery.event.id);
}
