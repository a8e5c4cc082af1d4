import { builder, unauthenticatedError } from './builder.ts';
import { expectedErrors, refuseUnstorableArguments } from './errors.ts';
import { decodeId, encodeId } from '../domains/public-ids.ts';
import { paginate } from './pagination.ts';
import { readScopes, workspaceOf } from './scope.ts';
import { Event } from '../domains/events/event.entity.ts';
import type { EventRecord } from '../domains/events/event-record.ts';
import { emitEvent, emitEvents, KeyRefusedError, type EmitContext, type EmitResult } from '../domains/events/emit.ts';
import { eventRecord, findEvent } from '../domains/events/event-queries.ts';
import { NotFoundError } from '../domains/errors.ts';
import type { Context } from '../server/context.ts';
import { takeIngestTokens } from '../domains/events/ingest-limit.ts';
import { GraphQLError } from 'graphql';
import { eventsRefused, workspaceLabel } from '../observability/metrics.ts';

/**
 * Events a publishable key's emit found already there (a repeated idempotency key). Such a key
 * is made for less trusted places and idempotency keys are often guessable ("order-1-created"),
 * so of an event it did not create in this request it sees the id only: its payload, deliveries
 * and connections need the secret key.
 */
const seenOnlyById = new WeakSet<EventRecord>();

export const EventRef = builder.objectRef<EventRecord>('Event').implement({
  description:
    'One emitted fact, e.g. "order.completed". Rules turn it into deliveries. ' +
    "A publishable key's repeated emit (a duplicate) sees only its id.",
  authScopes: (event) => !seenOnlyById.has(event),
  fields: (t) => ({
    id: t.id({ skipTypeScopes: true, resolve: (event) => encodeId('Event', event.id) }),
    type: t.exposeString('type', { description: 'Event type, `resource.action`.' }),
    resource: t.exposeString('resource', { nullable: true, description: 'Kind of thing the event is about, e.g. "order".' }),
    resourceId: t.exposeString('resourceId', { nullable: true, description: 'Id of that thing in the emitting product.' }),
    payload: t.field({
      type: 'JSON',
      nullable: true,
      description: 'The data emitted with the event; null once retention or eraseResource removed it (see payloadRemovedAt).',
      resolve: (event) => (event.payloadRemovedAt ? null : event.payload),
    }),
    payloadRemovedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: "When the workspace's payload retention or eraseResource removed the payload; null while it is kept.",
      resolve: (event) => event.payloadRemovedAt ?? null,
    }),
    idempotencyKey: t.exposeString('idempotencyKey', { nullable: true, description: 'Key that made a repeated emit return this event.' }),
    sequence: t.field({
      type: 'SafeInt',
      description: 'Grows with every event of the workspace, so receivers can put events in order.',
      resolve: (event) => event.sequence,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When Switchyard accepted the event.' }),
    test: t.exposeBoolean('test', {
      description: 'Sent with `sendTestEvent`: delivered to one connection only, outside the rules, with sequence 0.',
    }),
  }),
});

const EmitEventPayload = builder.objectRef<EmitResult>('EmitEventPayload').implement({
  description: 'The accepted event.',
  fields: (t) => ({
    event: t.field({ type: EventRef, resolve: (result) => result.event }),
    duplicate: t.exposeBoolean('duplicate', {
      description:
        'True when the idempotency key was used before: `event` is the original and nothing new is sent. ' +
        'A publishable key then sees only `event { id }`.',
    }),
    unknownType: t.exposeBoolean('unknownType', {
      description:
        "True when the workspace's event type catalog lists types and not this one: accepted, but most often a typo. " +
        'A workspace with `settings.strictEventTypes` refuses such an emit instead.',
    }),
  }),
});

const EmitEventsPayload = builder.objectRef<{ results: EmitResult[] }>('EmitEventsPayload').implement({
  description: 'The accepted events, in the order given.',
  fields: (t) => ({
    results: t.field({ type: [EmitEventPayload], resolve: (payload) => payload.results }),
  }),
});

const EmitEventInput = builder.inputType('EmitEventInput', {
  description: 'One event to emit.',
  fields: (t) => ({
    type: t.string({ required: true, description: 'Event type, `resource.action`, e.g. "order.completed".' }),
    resource: t.string({ description: 'Kind of thing the event is about, e.g. "order".' }),
    resourceId: t.string({ description: 'Id of that thing in your product.' }),
    payload: t.field({ type: 'JSON', description: 'The data; checked against the event type\'s JSON Schema when it has one. (Default: {})' }),
    idempotencyKey: t.string({ description: 'Emitting again with the same key returns the first event instead of a new one.' }),
  }),
});

const EmitEventsInput = builder.inputType('EmitEventsInput', {
  fields: (t) => ({
    events: t.field({ type: [EmitEventInput], required: true, description: 'Up to 1000 events, accepted all or none.' }),
  }),
});

const EventFilter = builder.inputType('EventFilter', {
  description: 'Narrows a list of events; every field given must match.',
  fields: (t) => ({
    type: t.string({ description: 'Exact event type.' }),
    resource: t.string(),
    resourceId: t.string(),
    since: t.field({ type: 'DateTime', description: 'Accepted at or after.' }),
    until: t.field({ type: 'DateTime', description: 'Accepted before.' }),
  }),
});

builder.queryFields((t) => ({
  event: t.field({
    type: EventRef,
    description: 'One event of the workspace.',
    authScopes: readScopes,
    errors: { types: [NotFoundError] },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, context) => findEvent(context.em, workspaceOf(context), decodeId('Event', String(id))),
  }),
  events: t.connection({
    type: EventRef,
    description: 'Events of the workspace, newest first.',
    authScopes: readScopes,
    args: { filter: t.arg({ type: EventFilter }) },
    resolve: (_root, args, context) => {
      refuseUnstorableArguments(args.filter, ['filter']);
      return paginate(args, async ({ id, order, limit }) => {
        const filter = args.filter ?? {};
        const createdAt = { ...(filter.since ? { $gte: filter.since } : {}), ...(filter.until ? { $lt: filter.until } : {}) };
        const events = await context.em.find(
          Event,
          {
            workspace: workspaceOf(context),
            ...(filter.type ? { type: filter.type } : {}),
            ...(filter.resource ? { resource: filter.resource } : {}),
            ...(filter.resourceId ? { resourceId: filter.resourceId } : {}),
            ...(filter.since || filter.until ? { createdAt } : {}),
            ...(id ? { id } : {}),
          },
          { orderBy: { id: order }, limit },
        );
        return events.map(eventRecord);
      });
    },
  }),
}));

builder.mutationFields((t) => ({
  emitEvent: t.field({
    type: EmitEventPayload,
    description: 'Accepts one event and routes it. Acknowledged events are never lost. (Secret or publishable key.)',
    authScopes: { emit: true },
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: EmitEventInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      limitIngest(context, 1);
      return visibleToCaller(context, [await refusingRevokedKeys(context, emitEvent(emitContext(context), input))])[0]!;
    },
  }),
  emitEvents: t.field({
    type: EmitEventsPayload,
    description: 'Accepts up to 1000 events in one call, all or none. (Secret or publishable key.)',
    authScopes: { emit: true },
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: EmitEventsInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      limitIngest(context, Array.isArray(input.events) ? input.events.length : 1);
      return { results: visibleToCaller(context, await refusingRevokedKeys(context, emitEvents(emitContext(context), input))) };
    },
  }),
}));

/**
 * Refuses an emit over the workspace's ingest limit, before any work: HTTP 429 with Retry-After,
 * which the SDK (and most HTTP clients) wait out and retry.
 */
function limitIngest(context: Context, events: number): void {
  const rate = context.config.ingestRateLimitPerSecond;
  if (rate === undefined) return;
  const waitSeconds = takeIngestTokens(workspaceOf(context), events, rate);
  if (waitSeconds === 0) return;
  const retryAfterSeconds = Math.max(1, Math.ceil(waitSeconds));
  throw new GraphQLError(`This workspace emits more than ${rate} events per second (SWITCHYARD_INGEST_RATE_LIMIT_PER_SECOND); retry in ${retryAfterSeconds} s`, {
    extensions: { code: 'RATE_LIMITED', retryAfterSeconds, http: { status: 429, headers: { 'retry-after': String(retryAfterSeconds) } } },
  });
}

/** Marks the duplicates a publishable key may see only by id (see `seenOnlyById`). */
function visibleToCaller(context: Context, results: EmitResult[]): EmitResult[] {
  if (context.principal?.kind === 'PUBLISHABLE') {
    for (const result of results) if (result.duplicate) seenOnlyById.add(result.event);
  }
  return results;
}

/**
 * What emitting needs of the request: its workspace, the routing version read with its key, and
 * the key, which the emit's write checks (the request may not have looked it up, see `isEmitOnly`).
 */
function emitContext(context: Context): EmitContext {
  const principal = context.principal!;
  return {
    em: context.em,
    config: context.config,
    workspaceId: workspaceOf(context),
    routingVersion: principal.routingVersion,
    keyId: principal.keyId,
    keyLookedUp: context.keyLookedUp,
    lookUpKey: context.lookUpKey,
  };
}

/** A key refused by the emit's own check reads (and counts) like any request without a valid key. */
async function refusingRevokedKeys<T>(context: Context, emit: Promise<T>): Promise<T> {
  try {
    return await emit;
  } catch (error) {
    if (!(error instanceof KeyRefusedError)) throw error;
    eventsRefused.inc({ reason: 'unauthenticated', workspace: workspaceLabel(workspaceOf(context)) });
    throw unauthenticatedError();
  }
}
