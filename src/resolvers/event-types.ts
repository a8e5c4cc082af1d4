import { builder } from './builder.ts';
import { expectedErrors } from './errors.ts';
import { decodeId, encodeId } from '../domains/public-ids.ts';
import { paginate } from './pagination.ts';
import { readScopes, workspaceOf } from './scope.ts';
import { NotFoundError, ValidationError } from '../domains/errors.ts';
import { EventType } from '../domains/event-types/event-type.entity.ts';
import { getEventType, upsertEventType } from '../domains/event-types/event-type.service.ts';
import { examplePayload } from '../domains/event-types/example-payload.ts';
import { MAX_EVENT_TYPE_LENGTH, RESERVED_PREFIX } from '../domains/event-types/event-type-name.ts';

export const EventTypeRef = builder.objectRef<EventType>('EventType').implement({
  description: 'A catalog entry such as "order.completed": what it means and, optionally, the JSON Schema its payloads must match.',
  fields: (t) => ({
    id: t.id({ resolve: (eventType) => encodeId('EventType', eventType.id) }),
    name: t.exposeString('name', { description: '`resource.action` style, e.g. "order.completed".' }),
    description: t.exposeString('description', { description: 'What the event means, for the people who subscribe to it.' }),
    schema: t.field({
      type: 'JSON',
      nullable: true,
      description: 'JSON Schema (draft 2020-12) every emitted payload of this type must match; null when payloads are not checked.',
      resolve: (eventType) => eventType.schema ?? null,
    }),
    examplePayload: t.field({
      type: 'JSON',
      description:
        "A payload to try it with: the schema's first example, else the last event's payload (while it still conforms), " +
        'else one made from the schema, else {}.',
      resolve: (eventType, _args, context) => examplePayload(context.em, eventType),
    }),
    version: t.exposeInt('version', { description: 'Starts at 1 and grows by one whenever the description or the schema changes.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  eventTypes: t.connection({
    type: EventTypeRef,
    description: "The workspace's event type catalog, newest first.",
    authScopes: readScopes,
    resolve: (_root, args, context) =>
      paginate(args, ({ id, order, limit }) =>
        context.em.find(EventType, { workspace: workspaceOf(context), ...(id ? { id } : {}) }, { orderBy: { id: order }, limit }),
      ),
  }),
  eventType: t.field({
    type: EventTypeRef,
    description: 'One event type, by `id` or by `name` (give one of them).',
    authScopes: readScopes,
    errors: { types: [NotFoundError, ValidationError] },
    args: {
      id: t.arg.id({ description: 'The event type id, e.g. "evtype_0193...".' }),
      name: t.arg.string({ description: 'The event type name, e.g. "order.completed".' }),
    },
    resolve: (_root, args, context) =>
      getEventType(context.em, workspaceOf(context), {
        id: args.id == null ? null : decodeId('EventType', String(args.id)),
        name: args.name,
      }),
  }),
}));

const UpsertEventTypeInput = builder.inputType('UpsertEventTypeInput', {
  fields: (t) => ({
    name: t.string({
      required: true,
      description:
        'Lowercase segments separated by dots, at least two, e.g. "order.completed" (letters, digits, "_" and "-", each ' +
        `segment starting with a letter or a digit; at most ${MAX_EVENT_TYPE_LENGTH} characters). Names starting with "${RESERVED_PREFIX}" are reserved.`,
    }),
    description: t.string({ description: 'What the event means, at most 2000 characters. Left out: unchanged ("" for a new type).' }),
    schema: t.field({
      type: 'JSON',
      description:
        'JSON Schema (draft 2020-12; formats such as "email" and "date-time" are checked) that payloads must match. ' +
        'Checked when saved. Left out: unchanged; null: payloads are no longer checked.',
    }),
  }),
});

const UpsertEventTypePayload = builder.objectRef<{ eventType: EventType }>('UpsertEventTypePayload').implement({
  fields: (t) => ({
    eventType: t.field({ type: EventTypeRef, description: 'The event type as saved.', resolve: (payload) => payload.eventType }),
  }),
});

builder.mutationFields((t) => ({
  upsertEventType: t.field({
    type: UpsertEventTypePayload,
    description: 'Creates the event type with this name, or updates it; `version` grows when the description or the schema changes.',
    authScopes: { secret: true },
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: UpsertEventTypeInput, required: true }) },
    resolve: async (_root, { input }, context) => ({
      eventType: await upsertEventType(context.em, workspaceOf(context), input),
    }),
  }),
}));
