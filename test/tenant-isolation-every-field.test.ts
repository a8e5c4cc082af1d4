import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClient as createWsClient } from 'graphql-ws';
import { isNonNullType } from 'graphql';
import { decodeId, encodeId } from '../src/domains/public-ids.ts';
import { requestEntityManager } from '../src/server/workspace-scope.ts';
import { Connection } from '../src/domains/connections/connection.entity.ts';
import { Delivery } from '../src/domains/deliveries/delivery.entity.ts';
import { startTestServer, type SeededWorkspace } from './helpers/server.ts';
import { startReceiver } from './helpers/receiver.ts';
import { createRule, createWebhook, deliveryReaches, emit } from './helpers/fixtures.ts';
import { untilSubscribed } from './helpers/streams.ts';
import { openPortalSession } from './helpers/portal.ts';
import { ID_TYPES, PROBE_LIMITS, expectAnswersAsForNowhere, idSlots, operationFor, randomIdOf, rootFields, variablesFor, type Ids } from './helpers/schema-probes.ts';

const server = await startTestServer({ allowPrivateTargets: true, ...PROBE_LIMITS });

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

beforeAll(async () => {
  const receiver = await startReceiver();
  owner = await server.seedWorkspace();
  asker = await server.seedWorkspace();
  foreign = await seed(owner, receiver.url('/owner'));
  own = await seed(asker, receiver.url('/asker'));
  return () => receiver.close();
}, 60_000);

describe('every field of the schema, asked with another workspace\'s ids', () => {
  it('finds fields that take ids, in each of queries, mutations and subscriptions', () => {
    const taking = rootFields.filter(({ field }) => idSlots(field.args).length > 0).map(({ kind }) => kind);
    expect(new Set(taking)).toEqual(new Set(['query', 'mutation', 'subscription']));
  });

  it.each(rootFields.filter(({ kind, field }) => kind !== 'subscription' && idSlots(field.args).length > 0).map(({ kind, field }) => [`${kind} ${field.name}`, kind, field] as const))(
    '%s answers them exactly as it answers ids that exist nowhere',
    (_name, kind, field) => expectAnswersAsForNowhere(asker.secret, kind as 'query' | 'mutation', field, own, foreign),
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
            const variables = variablesFor(field, slot, id, own, args);
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
