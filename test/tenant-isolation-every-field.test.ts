import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClient as createWsClient } from 'graphql-ws';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
} from 'graphql';
import { schema } from '../src/resolvers/index.ts';
import { decodeId, encodeId, type IdType } from '../src/domains/public-ids.ts';
import { requestEntityManager } from '../src/server/workspace-scope.ts';
import { Connection } from '../src/domains/connections/connection.entity.ts';
import { Delivery } from '../src/domains/deliveries/delivery.entity.ts';
import { startTestServer, type SeededWorkspace } from './helpers/server.ts';
import { startReceiver } from './helpers/receiver.ts';
import { createRule, createWebhook, deliveryReaches, emit } from './helpers/fixtures.ts';
import { untilSubscribed } from './helpers/streams.ts';
import { openPortalSession } from './helpers/portal.ts';

// The probing selections are wide: the GraphQL limits are not what this file tests.
const server = await startTestServer({
  allowPrivateTargets: true,
  graphqlMaxAliases: 10_000,
  graphqlMaxTokens: 100_000,
  graphqlMaxDocumentLength: 1_000_000,
  graphqlMaxCost: 1e12,
  graphqlMaxDepth: 20,
});

const ID_TYPES: IdType[] = ['Workspace', 'ApiKey', 'EventType', 'Connection', 'Rule', 'Event', 'Delivery', 'DeliveryAttempt', 'PortalSession'];
type Ids = Record<IdType, string>;

let owner: SeededWorkspace;
let asker: SeededWorkspace;
let foreign: Ids;
let own: Ids;

/** A workspace with one of everything: connection, rule, event type, key, event, delivery, attempt. */
async function seed(ws: SeededWorkspace, receiverUrl: string): Promise<Ids> {
  const hook = await createWebhook(ws.secret, receiverUrl);
  const rule = await createRule(ws.secret, hook.id, ['*']);
  const eventType = await ws.secret.request('mutation { upsertEventType(input: { name: "order.completed" }) { ... on UpsertEventTypePayload { eventType { id } } } }');
  const key = await ws.secret.request('mutation { createApiKey(input: { name: "k", kind: SECRET }) { ... on CreateApiKeyPayload { apiKey { id } } } }');
  const { event } = await emit(ws.secret, { type: 'order.completed', payload: { secret: 'of this workspace' } });
  const delivery = await deliveryReaches(ws.secret, event.deliveries[0]!.id, 'SUCCEEDED');
  const attempts = await ws.secret.request('query ($id: ID!) { delivery(id: $id) { ... on Delivery { attempts { id } } } }', { id: delivery.id });
  return {
    Workspace: ws.id,
    ApiKey: key.createApiKey.apiKey.id,
    EventType: eventType.upsertEventType.eventType.id,
    Connection: hook.id,
    Rule: rule,
    Event: event.id,
    Delivery: delivery.id,
    DeliveryAttempt: attempts.delivery.attempts[0].id,
    PortalSession: (await openPortalSession(ws.secret)).sessionId,
  };
}

const randomIdOf = (type: IdType) => encodeId(type, [4, 2, 2, 2, 6].map((bytes) => randomBytes(bytes).toString('hex')).join('-'));

/** The resource an id argument most likely names, from its name and where it sits: for the ids not under test. */
function guessType(field: string, path: string[]): IdType {
  const name = path.at(-1)!;
  if (name === 'connectionId') return 'Connection';
  if (name === 'deliveryId') return 'Delivery';
  if (name === 'eventId') return 'Event';
  const context = `${field} ${path.join(' ')}`.toLowerCase();
  for (const type of ['ApiKey', 'EventType', 'PortalSession', 'Connection', 'Rule', 'Delivery', 'Event', 'Workspace'] as const) {
    if (context.includes(type.toLowerCase())) return type;
  }
  return 'Connection';
}

/** A value of `type` that passes validation, with the id at `slot` set to `id` and other ids the asker's own. */
function valueOf(type: GraphQLInputType, field: string, path: string[], slot: string[], id: string): unknown {
  if (isNonNullType(type)) return valueOf(type.ofType, field, path, slot, id);
  if (isListType(type)) return [valueOf(type.ofType, field, path, slot, id)];
  const named = getNamedType(type) as GraphQLNamedType;
  if (named.name === 'ID') return path.join('.') === slot.join('.') ? id : own[guessType(field, path)];
  if (isEnumType(named)) return named.getValues()[0]!.value;
  if (isInputObjectType(named)) {
    const value: Record<string, unknown> = {};
    for (const input of Object.values(named.getFields())) {
      const inner = [...path, input.name];
      const onSlotPath = slot.slice(0, inner.length).join('.') === inner.join('.');
      if (isNonNullType(input.type) || onSlotPath) value[input.name] = valueOf(input.type, field, inner, slot, id);
    }
    return value;
  }
  return { String: 'order.completed', Int: 1, Float: 1, Boolean: true, JSON: {}, DateTime: new Date(0).toISOString(), SafeInt: 1 }[named.name] ?? 'order.completed';
}

/** Every path to an ID among a field's arguments, through input objects. */
function idSlots(args: readonly (GraphQLArgument | GraphQLInputField)[], path: string[] = [], depth = 0): string[][] {
  const slots: string[][] = [];
  for (const arg of args) {
    const named = getNamedType(arg.type);
    if (named.name === 'ID') slots.push([...path, arg.name]);
    else if (isInputObjectType(named) && depth < 3) slots.push(...idSlots(Object.values(named.getFields()), [...path, arg.name], depth + 1));
  }
  return slots;
}

/** A selection that shows what came back: type names, leaves, and one level below each object. */
function selectionOf(type: GraphQLNamedType, depth = 0): string {
  if (isLeafType(type)) return '';
  const objects: GraphQLObjectType[] = isObjectType(type) ? [type] : [...schema.getPossibleTypes(type as never)];
  const parts = objects.map((object) => {
    const fields = Object.values(object.getFields())
      .filter((field) => field.args.every((arg) => !isNonNullType(arg.type)))
      .map((field) => {
        // Aliased by type: members of a union may have fields of one name and different types.
        const alias = `${object.name}_${field.name}: ${field.name}`;
        const named = getNamedType(field.type);
        if (isLeafType(named)) return alias;
        return depth < 2 ? `${alias} ${selectionOf(named, depth + 1)}` : `${alias} { __typename }`;
      });
    return `... on ${object.name} { __typename ${fields.join(' ')} }`;
  });
  return `{ __typename ${parts.join(' ')} }`;
}

function operationFor(kind: 'query' | 'mutation' | 'subscription', field: GraphQLField<unknown, unknown>) {
  const variables = field.args.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ');
  const args = field.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
  return `${kind}${variables ? ` (${variables})` : ''} { result: ${field.name}${args ? `(${args})` : ''} ${selectionOf(getNamedType(field.type))} }`;
}

/** The response with the id it was asked about, in both its spellings, replaced. */
const normalised = (response: unknown, id: string, type: IdType) =>
  JSON.stringify(response).replaceAll(id, '<id>').replaceAll(decodeId(type, id), '<id>');

beforeAll(async () => {
  const receiver = await startReceiver();
  owner = await server.seedWorkspace();
  asker = await server.seedWorkspace();
  foreign = await seed(owner, receiver.url('/owner'));
  own = await seed(asker, receiver.url('/asker'));
  return () => receiver.close();
}, 60_000);

const rootFields = (['query', 'mutation', 'subscription'] as const).flatMap((kind) => {
  const root = { query: schema.getQueryType(), mutation: schema.getMutationType(), subscription: schema.getSubscriptionType() }[kind];
  return Object.values(root?.getFields() ?? {}).map((field) => ({ kind, field }));
});

describe('every field of the schema, asked with another workspace\'s ids', () => {
  it('finds fields that take ids, in each of queries, mutations and subscriptions', () => {
    const taking = rootFields.filter(({ field }) => idSlots(field.args).length > 0).map(({ kind }) => kind);
    expect(new Set(taking)).toEqual(new Set(['query', 'mutation', 'subscription']));
  });

  it.each(rootFields.filter(({ kind, field }) => kind !== 'subscription' && idSlots(field.args).length > 0).map(({ kind, field }) => [`${kind} ${field.name}`, kind, field] as const))(
    '%s answers them exactly as it answers ids that exist nowhere',
    async (_name, kind, field) => {
      const document = operationFor(kind, field);
      for (const slot of idSlots(field.args)) {
        for (const type of ID_TYPES) {
          const answers = [];
          for (const id of [foreign[type], randomIdOf(type)]) {
            const variables = Object.fromEntries(field.args.map((arg) => [arg.name, valueOf(arg.type, field.name, [arg.name], slot, id)]));
            if (!isNonNullType(field.args.find((arg) => arg.name === slot[0])!.type) && variables[slot[0]!] === undefined) continue;
            const response = await asker.secret.raw(document, variables);
            // A request the schema refuses would compare two refusals and prove nothing.
            expect(response.errors?.filter((error) => !error.path).map((error) => error.message) ?? []).toEqual([]);
            // An id of the wrong kind is not found either; it is no reason to fail.
            expect(response.errors?.map((error) => error.extensions?.code) ?? []).not.toContain('INTERNAL_SERVER_ERROR');
            answers.push(normalised(response, id, type));
          }
          expect([slot.join('.'), type, answers[0]]).toEqual([slot.join('.'), type, answers[1]]);
        }
      }
    },
    60_000,
  );

  it('streams nothing of the other workspace to a subscription filtered by its ids, exactly as for ids that exist nowhere', async () => {
    const socket = createWsClient({ url: server.url.replace('http', 'ws'), connectionParams: { authorization: `Bearer ${asker.secretKey}` }, retryAttempts: 0 });
    const received: Record<string, unknown[]> = {};
    const streams: (() => void)[] = [];
    let opened = 0;
    for (const { field } of rootFields.filter(({ kind }) => kind === 'subscription')) {
      for (const slot of idSlots(field.args)) {
        for (const type of ID_TYPES) {
          for (const [label, id] of [['foreign', foreign[type]], ['random', randomIdOf(type)]] as const) {
            const key = `${field.name} ${slot.join('.')} ${type} ${label}`;
            received[key] = [];
            // Optional arguments off the id's path are left out, as inside inputs: a made-up `after` cursor would be refused.
            const args = field.args.filter((arg) => isNonNullType(arg.type) || arg.name === slot[0]);
            const variables = Object.fromEntries(args.map((arg) => [arg.name, valueOf(arg.type, field.name, [arg.name], slot, id)]));
            streams.push(socket.subscribe({ query: operationFor('subscription', field), variables }, { next: (value) => received[key]!.push(value), error: (error) => received[key]!.push({ error: String(error) }), complete: () => {} }));
            opened++;
          }
        }
      }
    }
    await untilSubscribed(server.switchyard.services.deliveryFeed, asker.id, opened);
    const { event } = await emit(owner.secret, { type: 'order.completed' });
    await deliveryReaches(owner.secret, event.deliveries[0]!.id, 'SUCCEEDED');
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const unsubscribe of streams) unsubscribe();
    await socket.dispose();
    expect(Object.entries(received).filter(([, values]) => values.length > 0)).toEqual([]);
  });

  it("leaves the other workspace's data as it was", async () => {
    const seen = await owner.secret.request(
      'query ($c: ID!, $r: ID!, $d: ID!) { connection(id: $c) { __typename } rule(id: $r) { __typename } delivery(id: $d) { ... on Delivery { status replays } } }',
      { c: foreign.Connection, r: foreign.Rule, d: foreign.Delivery },
    );
    expect(seen).toEqual({ connection: { __typename: 'Connection' }, rule: { __typename: 'Rule' }, delivery: { status: 'SUCCEEDED', replays: 0 } });
  });
});

describe('the database', () => {
  it('refuses a row that points at a row of another workspace', async () => {
    const db = new pg.Client(server.databaseUrl);
    await db.connect();
    try {
      const mine = decodeId('Workspace', asker.id);
      const attempts = [
        () => db.query(`insert into rules (id, workspace_id, connection_id, name, event_types, created_at, updated_at) values (gen_random_uuid(), $1, $2, 'stolen', '{*}', now(), now())`, [
          mine,
          decodeId('Connection', foreign.Connection),
        ]),
        () => db.query(`update deliveries set event_id = $1 where id = $2`, [decodeId('Event', foreign.Event), decodeId('Delivery', own.Delivery)]),
        () => db.query(`update attempts set delivery_id = $1 where id = $2`, [decodeId('Delivery', foreign.Delivery), decodeId('DeliveryAttempt', own.DeliveryAttempt)]),
        () => db.query(`update connection_secrets set connection_id = $1 where workspace_id = $2`, [decodeId('Connection', foreign.Connection), mine]),
      ];
      for (const attempt of attempts) await expect(attempt()).rejects.toMatchObject({ code: '23503' });
    } finally {
      await db.end();
    }
  });
});

describe("a request's entity manager", () => {
  it('sees its own workspace only, even where a query forgets to say which', async () => {
    const principal = { keyId: 'k', kind: 'SECRET' as const, workspaceId: decodeId('Workspace', asker.id), routingVersion: 0 };
    const em = requestEntityManager(server.switchyard.services.orm, principal);
    const connections = await em.find(Connection, {});
    expect(connections.map((connection) => encodeId('Connection', connection.id))).toEqual([own.Connection]);
    expect(await em.findOne(Delivery, { id: decodeId('Delivery', foreign.Delivery) })).toBeNull();
    expect(await em.nativeUpdate(Connection, { id: decodeId('Connection', foreign.Connection) }, { name: 'taken over' })).toBe(0);
    expect(await em.nativeDelete(Connection, { id: decodeId('Connection', foreign.Connection) })).toBe(0);
  });
});
