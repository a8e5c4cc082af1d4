import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient as createWsClient } from 'graphql-ws';
import { Migration20270101000000_connection_owners } from '../src/db/migrations/Migration20270101000000_connection_owners.ts';
import { decodeId } from '../src/domains/public-ids.ts';
import { startTestServer, type SeededWorkspace } from './helpers/server.ts';
import { startReceiver, type Receiver } from './helpers/receiver.ts';
import { createRule, createWebhook, deliveryReaches, emit, eventually, getDelivery } from './helpers/fixtures.ts';
import { openPortalSession } from './helpers/portal.ts';
import { PROBE_LIMITS, expectAnswersAsForNowhere, idSlots, rootFields, type Ids } from './helpers/schema-probes.ts';
import type { GraphqlClient } from './helpers/graphql.ts';

const server = await startTestServer({ allowPrivateTargets: true, ...PROBE_LIMITS });
const db = new pg.Pool({ connectionString: server.databaseUrl, max: 2 });
afterAll(() => db.end());

const CREATE = `mutation ($input: CreateConnectionInput!) { createConnection(input: $input) {
  __typename ... on CreateConnectionPayload { connection { id owner } } ... on ValidationError { issues { path message } } } }`;
const UPDATE = `mutation ($input: UpdateConnectionInput!) { updateConnection(input: $input) {
  __typename ... on UpdateConnectionPayload { connection { id owner } } ... on ValidationError { issues { path message } } } }`;
const CREATE_RULE = `mutation ($input: CreateRuleInput!) { createRule(input: $input) {
  __typename ... on CreateRulePayload { rule { id } } ... on ValidationError { issues { path message } } } }`;
const DELIVERIES = `query ($filter: DeliveryFilter) { deliveries(first: 100, filter: $filter) { edges { node { id status replays eventType connection { id } } } } }`;

interface Node { id: string; status: string; replays: number; eventType: string; connection: { id: string } }
const deliveriesOf = async (client: GraphqlClient, filter: Record<string, unknown> = {}): Promise<Node[]> =>
  (await client.request(DELIVERIES, { filter })).deliveries.edges.map((edge: { node: Node }) => edge.node);

let receiver: Receiver;
let ws: SeededWorkspace;
let portal: GraphqlClient;
let portalToken: string;
/** The customer's side of the workspace, which the portal reaches. */
let own: Ids;
/** The operator's alerting: a connection, its rule, a delivery and attempt, an operational event. */
let operator: Partial<Ids>;

beforeAll(async () => {
  receiver = await startReceiver();
  receiver.script({ '/shop': { status: 500, body: 'shop down' }, '/alerts': { status: 500, body: 'pager down' } });
  ws = await server.seedWorkspace();
  const shop = await createWebhook(ws.secret, receiver.url('/shop'), { name: 'shop', retryScheduleSeconds: [0] });
  const shopRule = await createRule(ws.secret, shop.id, ['order.*']);
  const alerts = await createWebhook(ws.secret, receiver.url('/alerts'), { name: 'alerts', retryScheduleSeconds: [0], owner: 'OPERATOR' });
  const alertsRule = await createRule(ws.secret, alerts.id, ['switchyard.**']);
  // The operator also follows orders: the same event has a delivery on each side.
  await createRule(ws.secret, alerts.id, ['order.*']);
  const eventType = await ws.secret.request('mutation { upsertEventType(input: { name: "order.completed" }) { ... on UpsertEventTypePayload { eventType { id } } } }');
  const { event } = await emit(ws.secret, { type: 'order.completed', payload: { total: 1 } });
  const [shopDelivery, alertsDelivery] = ['shop', 'alerts'].map((name) => event.deliveries.find((delivery) => delivery.connection.id === (name === 'shop' ? shop.id : alerts.id))!);
  await deliveryReaches(ws.secret, shopDelivery!.id, 'DEAD');
  await deliveryReaches(ws.secret, alertsDelivery!.id, 'DEAD');
  // The shop's exhausted delivery is reported to the operator's alerts, which fail too.
  const alertsDeliveries = await eventually(async () => {
    const all = await deliveriesOf(ws.secret, { connectionId: alerts.id, status: 'DEAD' });
    return all.length === 2 ? all : undefined;
  }, 15_000, 'the alert about the shop to die');
  const alert = alertsDeliveries.find((delivery) => delivery.eventType === 'switchyard.delivery.exhausted')!;
  const { delivery: alertView } = await ws.secret.request('query ($id: ID!) { delivery(id: $id) { ... on Delivery { event { id } attempts { id } } } }', { id: alert.id });
  const attemptOf = async (id: string) => (await ws.secret.request('query ($id: ID!) { delivery(id: $id) { ... on Delivery { attempts { id } } } }', { id })).delivery.attempts[0].id;
  const session = await openPortalSession(ws.secret);
  portalToken = session.token;
  portal = server.as(session.token);
  own = {
    Workspace: ws.id,
    ApiKey: (await ws.secret.request('mutation { createApiKey(input: { name: "k", kind: SECRET }) { ... on CreateApiKeyPayload { apiKey { id } } } }')).createApiKey.apiKey.id,
    EventType: eventType.upsertEventType.eventType.id,
    Connection: shop.id,
    Rule: shopRule,
    Event: event.id,
    Delivery: shopDelivery!.id,
    DeliveryAttempt: await attemptOf(shopDelivery!.id),
    PortalSession: session.sessionId,
  };
  operator = {
    Connection: alerts.id,
    Rule: alertsRule,
    Event: alertView.event.id,
    Delivery: alertsDelivery!.id,
    DeliveryAttempt: alertView.attempts[0].id,
  };
  return () => receiver.close();
}, 60_000);

describe("the workspace operator's own connections, to a portal session", () => {
  it('are not in its lists of connections, deliveries and events, while the secret key sees them with their owner', async () => {
    const list = 'query { connections(first: 100) { edges { node { id owner } } } }';
    expect((await ws.secret.request(list)).connections.edges.map((edge: { node: unknown }) => edge.node)).toEqual([
      { id: operator.Connection, owner: 'OPERATOR' },
      { id: own.Connection, owner: 'CUSTOMER' },
    ]);
    expect((await portal.request(list)).connections.edges.map((edge: { node: unknown }) => edge.node)).toEqual([{ id: own.Connection, owner: 'CUSTOMER' }]);

    expect((await deliveriesOf(ws.secret)).map((delivery) => delivery.connection.id)).toContain(operator.Connection);
    const seen = await deliveriesOf(portal);
    expect(seen.map((delivery) => delivery.connection.id)).toEqual([own.Connection]);
    expect(await deliveriesOf(portal, { status: 'DEAD', connectionId: operator.Connection })).toEqual([]);

    const events = 'query { events(first: 100) { edges { node { id type deliveries { connection { id } } } } } }';
    const secretEvents = (await ws.secret.request(events)).events.edges.map((edge: { node: { type: string } }) => edge.node.type);
    expect(secretEvents).toContain('switchyard.delivery.exhausted');
    expect((await portal.request(events)).events.edges.map((edge: { node: unknown }) => edge.node)).toEqual([
      { id: own.Event, type: 'order.completed', deliveries: [{ connection: { id: own.Connection } }] },
    ]);
  });

  it('probes fields that take ids, among queries and mutations both', () => {
    const taking = rootFields.filter(({ kind, field }) => kind !== 'subscription' && idSlots(field.args).length > 0).map(({ kind }) => kind);
    expect(new Set(taking)).toEqual(new Set(['query', 'mutation']));
  });

  it.each(rootFields.filter(({ kind, field }) => kind !== 'subscription' && idSlots(field.args).length > 0).map(({ kind, field }) => [`${kind} ${field.name}`, kind, field] as const))(
    "%s answers the operator's ids exactly as ids that exist nowhere",
    (_name, kind, field) => expectAnswersAsForNowhere(portal, kind as 'query' | 'mutation', field, own, operator),
    60_000,
  );

  it('leaves the operator connection and its delivery as they were after every mutation by id', async () => {
    const { connection } = await ws.secret.request('query ($id: ID!) { connection(id: $id) { ... on Connection { name status owner signingSecretHint } } }', { id: operator.Connection });
    expect(connection).toMatchObject({ name: 'alerts', status: 'ACTIVE', owner: 'OPERATOR' });
    expect(await getDelivery(ws.secret, operator.Delivery!)).toMatchObject({ status: 'DEAD', replays: 0 });
  });

  it('"Replay all failed" requeues the customer\'s failed deliveries only', async () => {
    const deadAlerts = await deliveriesOf(ws.secret, { connectionId: operator.Connection, status: 'DEAD' });
    const { replayDeliveries } = await portal.request('mutation { replayDeliveries(input: {}) { ... on ReplayDeliveriesPayload { count skipped } } }');
    expect(replayDeliveries).toEqual({ count: 1, skipped: 0 });
    await eventually(async () => ((await getDelivery(ws.secret, own.Delivery!)).replays === 1 ? true : undefined), 15_000, 'the replay');
    await deliveryReaches(ws.secret, own.Delivery!, 'DEAD');
    for (const delivery of deadAlerts) expect((await getDelivery(ws.secret, delivery.id)).replays, delivery.eventType).toBe(0);
  });

  it('streams none of their deliveries or attempts, filtered by their id or not', async () => {
    const socket = createWsClient({ url: server.url.replace('http', 'ws'), connectionParams: { authorization: `Bearer ${portalToken}` }, retryAttempts: 0 });
    const streams = {
      updated: 'subscription ($filter: DeliveryFilter) { deliveryUpdated(filter: $filter) { id status connection { id } } }',
      attempts: 'subscription ($filter: DeliveryFilter) { deliveryAttempts(filter: $filter) { delivery { id status connection { id } } } }',
    };
    const received: Record<string, { id: string; status: string; connection: { id: string } }[]> = {};
    const closers: (() => void)[] = [];
    for (const [name, query] of Object.entries(streams)) {
      for (const [label, filter] of [['all', {}], ['by id', { connectionId: operator.Connection }]] as const) {
        const key = `${name} ${label}`;
        received[key] = [];
        closers.push(socket.subscribe({ query, variables: { filter } }, {
          next: ({ data }) => received[key]!.push((data as any).deliveryUpdated ?? (data as any).deliveryAttempts.delivery),
          error: (error) => received[key]!.push({ id: String(error), status: 'ERROR', connection: { id: '' } }),
          complete: () => {},
        }));
      }
    }
    await eventually(async () => (server.switchyard.services.deliveryFeed!.followerCount(decodeId('Workspace', ws.id)) === 4 ? true : undefined));
    // The operator's delivery changes first and to the end; the customer's after it.
    await ws.secret.request('mutation ($id: ID!) { replayDelivery(input: { deliveryId: $id }) { __typename } }', { id: operator.Delivery });
    await eventually(async () => ((await getDelivery(ws.secret, operator.Delivery!)).replays === 1 && (await getDelivery(ws.secret, operator.Delivery!)).status === 'DEAD' ? true : undefined), 15_000);
    const { event } = await emit(ws.secret, { type: 'order.completed', payload: { total: 2 } });
    const shopDelivery = event.deliveries.find((delivery) => delivery.connection.id === own.Connection)!;
    await eventually(async () => (received['updated all']!.some((delivery) => delivery.id === shopDelivery.id && delivery.status === 'DEAD') ? true : undefined), 15_000, 'the customer\'s delivery to stream');
    await eventually(async () => (received['attempts all']!.some((delivery) => delivery.id === shopDelivery.id) ? true : undefined), 15_000, 'the customer\'s attempt to stream');
    for (const close of closers) close();
    await socket.dispose();
    expect(received['updated by id']).toEqual([]);
    expect(received['attempts by id']).toEqual([]);
    for (const key of ['updated all', 'attempts all']) {
      expect(new Set(received[key]!.map((delivery) => delivery.connection.id)), key).toEqual(new Set([own.Connection]));
    }
  });
});

describe('who may own a connection', () => {
  it('is set by a secret key only: a portal session is refused the field, naming it', async () => {
    const created = await portal.request(CREATE, { input: { name: 'mine', kind: 'WEBHOOK', webhook: { url: receiver.url('/x') }, owner: 'OPERATOR' } });
    expect(created.createConnection.issues).toEqual([{ path: ['input', 'owner'], message: expect.stringContaining('portal') }]);
    const updated = await portal.request(UPDATE, { input: { id: own.Connection, owner: 'CUSTOMER' } });
    expect(updated.updateConnection.issues).toEqual([{ path: ['input', 'owner'], message: expect.stringContaining('portal') }]);
    const byDefault = await ws.secret.request(CREATE, { input: { name: `plain-${Date.now()}`, kind: 'WEBHOOK', webhook: { url: receiver.url('/x') } } });
    expect(byDefault.createConnection.connection.owner).toBe('CUSTOMER');
  });

  it('decides who may receive switchyard.* events: routing them to a customer connection is refused, naming the field', async () => {
    const fresh = await server.seedWorkspace();
    const customer = await createWebhook(fresh.secret, receiver.url('/c'));
    const rule = await fresh.secret.request(CREATE_RULE, { input: { name: 'alerts', eventTypes: ['order.*', 'switchyard.connection.*'], connectionId: customer.id } });
    expect(rule.createRule.issues).toEqual([{ path: ['input', 'connectionId'], message: expect.stringContaining('OPERATOR') }]);
    const ordersRule = await createRule(fresh.secret, customer.id, ['order.*']);
    const moved = await fresh.secret.request('mutation ($input: UpdateRuleInput!) { updateRule(input: $input) { __typename ... on ValidationError { issues { path } } } }', {
      input: { id: ordersRule, eventTypes: ['switchyard.**'] },
    });
    expect(moved.updateRule.issues).toEqual([{ path: ['input', 'eventTypes'] }]);
    const withPatterns = await fresh.secret.request(CREATE, { input: { name: 'pager', kind: 'WEBHOOK', webhook: { url: receiver.url('/p') }, eventTypes: ['switchyard.**'] } });
    expect(withPatterns.createConnection.issues).toEqual([{ path: ['input', 'eventTypes'], message: expect.stringContaining('OPERATOR') }]);
    const fromPortal = await server.as((await openPortalSession(fresh.secret)).token).request(UPDATE, { input: { id: customer.id, eventTypes: ['switchyard.**'] } });
    expect(fromPortal.updateConnection.issues).toEqual([{ path: ['input', 'eventTypes'], message: expect.stringContaining('OPERATOR') }]);

    const pager = await fresh.secret.request(CREATE, { input: { name: 'pager', kind: 'WEBHOOK', webhook: { url: receiver.url('/p') }, eventTypes: ['switchyard.**'], owner: 'OPERATOR' } });
    expect(pager.createConnection.connection.owner).toBe('OPERATOR');
    const handedOver = await fresh.secret.request(UPDATE, { input: { id: pager.createConnection.connection.id, owner: 'CUSTOMER' } });
    expect(handedOver.updateConnection.issues).toEqual([{ path: ['input', 'owner'], message: expect.stringContaining('"pager"') }]);
    // Handing it over together with patterns that no longer reach operational events is fine.
    const both = await fresh.secret.request(UPDATE, { input: { id: pager.createConnection.connection.id, owner: 'CUSTOMER', eventTypes: ['order.*'] } });
    expect(both.updateConnection.connection.owner).toBe('CUSTOMER');
  });

  it('cannot be handed to the customer while a switchyard.* rule is being created for it: one of the two is refused', async () => {
    const fresh = await server.seedWorkspace();
    for (let round = 0; round < 12; round++) {
      const hook = await createWebhook(fresh.secret, receiver.url('/r'), { owner: 'OPERATOR' });
      const [handed, routed] = await Promise.all([
        fresh.secret.request(UPDATE, { input: { id: hook.id, owner: 'CUSTOMER' } }),
        fresh.secret.request(CREATE_RULE, { input: { name: `alerts-${round}`, eventTypes: ['switchyard.**'], connectionId: hook.id } }),
      ]);
      const outcomes = [handed.updateConnection.__typename, routed.createRule.__typename];
      expect(outcomes.filter((typename) => typename === 'ValidationError'), JSON.stringify(outcomes)).toHaveLength(1);
    }
    const { rows } = await db.query(
      `select r.name from rules r join connections c on c.id = r.connection_id
       where c.workspace_id = $1 and c.owner = 'CUSTOMER' and exists (select 1 from unnest(r.event_types) p where p like 'switchyard.%')`,
      [decodeId('Workspace', fresh.id)],
    );
    expect(rows).toEqual([]);
  });

  it('is OPERATOR, after the migration, for every connection a rule routed switchyard.* events to before', async () => {
    const fresh = await server.seedWorkspace();
    const alerting = await createWebhook(fresh.secret, receiver.url('/a'), { owner: 'OPERATOR' });
    await createRule(fresh.secret, alerting.id, ['order.*', 'switchyard.connection.failing']);
    const plain = await createWebhook(fresh.secret, receiver.url('/b'));
    await createRule(fresh.secret, plain.id, ['*', '**']);
    // As every connection was before the column existed.
    await db.query(`update connections set owner = 'CUSTOMER' where workspace_id = $1`, [decodeId('Workspace', fresh.id)]);
    const { orm } = server.switchyard.services;
    const migration = new Migration20270101000000_connection_owners(orm.em.getDriver(), orm.config);
    migration.up();
    const marking = migration.getQueries().map(String).find((sql) => sql.startsWith('update'))!;
    await db.query(marking);
    const { rows } = await db.query(`select id, owner from connections where workspace_id = $1`, [decodeId('Workspace', fresh.id)]);
    expect(Object.fromEntries(rows.map((row) => [row.id, row.owner]))).toEqual({
      [decodeId('Connection', alerting.id)]: 'OPERATOR',
      [decodeId('Connection', plain.id)]: 'CUSTOMER',
    });
  });

  it('keeps switchyard.* events from a customer connection even when a rule in the database routes them there', async () => {
    const fresh = await server.seedWorkspace();
    receiver.script({ '/shop': { status: 500, body: 'shop down' }, '/alerts': { status: 500, body: 'pager down' }, '/ok': { status: 200 } });
    const failing = await createWebhook(fresh.secret, receiver.url('/shop'), { retryScheduleSeconds: [0] });
    await createRule(fresh.secret, failing.id, ['order.*']);
    const customer = await createWebhook(fresh.secret, receiver.url('/ok'));
    const pager = await createWebhook(fresh.secret, receiver.url('/ok'), { owner: 'OPERATOR' });
    await createRule(fresh.secret, pager.id, ['switchyard.**']);
    // Written around the API's checks.
    await db.query(
      `insert into rules (id, workspace_id, connection_id, name, event_types, enabled, created_at, updated_at)
       values (gen_random_uuid(), $1, $2, 'misrouted', '{switchyard.**}', true, now(), now())`,
      [decodeId('Workspace', fresh.id), decodeId('Connection', customer.id)],
    );
    await emit(fresh.secret, { type: 'order.completed', payload: {} });
    await eventually(async () => ((await deliveriesOf(fresh.secret, { connectionId: pager.id })).length === 1 ? true : undefined), 15_000, 'the alert');
    expect(await deliveriesOf(fresh.secret, { connectionId: customer.id })).toEqual([]);
    await db.query(`delete from rules where name = 'misrouted' and workspace_id = $1`, [decodeId('Workspace', fresh.id)]);
  });
});
