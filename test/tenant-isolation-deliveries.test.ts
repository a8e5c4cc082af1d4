import { beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type SeededWorkspace } from './helpers/server.ts';
import { startReceiver, type Receiver } from './helpers/receiver.ts';
import { createRule, createWebhook, deliveryReaches, emit } from './helpers/fixtures.ts';

const server = await startTestServer({ allowPrivateTargets: true });

const NOT_FOUND = '__typename ... on NotFoundError { resource missingId: id }';

let a: SeededWorkspace;
let b: SeededWorkspace;
let receiver: Receiver;
let ids: { event: string; delivery: string; connection: string };

beforeAll(async () => {
  a = await server.seedWorkspace();
  b = await server.seedWorkspace();
  receiver = await startReceiver();
  receiver.script(() => ({ status: 500 }));
  const hook = await createWebhook(a.secret, receiver.url('/'), { retryScheduleSeconds: [0] });
  await createRule(a.secret, hook.id, ['*']);
  const { event } = await emit(a.secret, { type: 'order.completed', payload: { card: '4242' } });
  await deliveryReaches(a.secret, event.deliveries[0]!.id, 'DEAD');
  ids = { event: event.id, delivery: event.deliveries[0]!.id, connection: hook.id };
  return () => receiver.close();
});

describe('tenant isolation of events and deliveries', () => {
  it.each([
    ['event', 'Event', `query ($id: ID!) { result: event(id: $id) { ${NOT_FOUND} } }`, () => ids.event],
    ['delivery', 'Delivery', `query ($id: ID!) { result: delivery(id: $id) { ${NOT_FOUND} } }`, () => ids.delivery],
    ['replayDelivery', 'Delivery', `mutation ($id: ID!) { result: replayDelivery(input: { deliveryId: $id }) { ${NOT_FOUND} } }`, () => ids.delivery],
  ])("%s with another workspace's id is NotFoundError, exactly like a missing id", async (_name, resource, document, id) => {
    const missing = id().replace(/_[0-9a-f]{4}/, '_ffff');
    for (const asked of [id(), missing]) {
      const { result } = await b.secret.request(document, { id: asked });
      expect(result).toEqual({ __typename: 'NotFoundError', resource, missingId: asked });
    }
  });

  it("lists nothing of another workspace, even when filtering by its ids, and replays none of it", async () => {
    const lists = await b.secret.request(
      `query ($c: ID, $e: ID) {
        events(first: 100) { edges { node { id } } }
        all: deliveries(first: 100) { edges { node { id } } }
        byConnection: deliveries(first: 100, filter: { connectionId: $c }) { edges { node { id } } }
        byEvent: deliveries(first: 100, filter: { eventId: $e }) { edges { node { id } } } }`,
      { c: ids.connection, e: ids.event },
    );
    expect(lists).toEqual({ events: { edges: [] }, all: { edges: [] }, byConnection: { edges: [] }, byEvent: { edges: [] } });
    const { replayDeliveries } = await b.secret.request(
      `mutation ($c: ID) { replayDeliveries(input: { filter: { connectionId: $c } }) { ... on ReplayDeliveriesPayload { count } } }`,
      { c: ids.connection },
    );
    expect(replayDeliveries.count).toBe(0);
    const { delivery } = await a.secret.request(`query ($id: ID!) { delivery(id: $id) { ... on Delivery { status replays } } }`, { id: ids.delivery });
    expect(delivery).toEqual({ status: 'DEAD', replays: 0 });
  });

  it('lets a publishable key emit but read nothing', async () => {
    for (const document of [
      '{ events(first: 1) { edges { node { id } } } }',
      '{ deliveries(first: 1) { edges { node { id } } } }',
      `{ delivery(id: "${ids.delivery}") { __typename } }`,
      `{ event(id: "${ids.event}") { __typename } }`,
      `mutation { replayDelivery(input: { deliveryId: "${ids.delivery}" }) { __typename } }`,
      'mutation { replayDeliveries(input: {}) { __typename } }',
    ]) {
      const response = await a.publishable.raw(document);
      expect([document, response.errors?.[0]?.extensions?.code]).toEqual([document, 'FORBIDDEN']);
    }
    const { event } = await emit(a.publishable, { type: 'order.refunded' });
    expect(event.id).toMatch(/^evt_/);
    expect(event.deliveries[0]!.connection.id).toBe(ids.connection);
    for (const selection of ['connection { webhook { url } }', 'connection { signingSecretHint }', 'attempts { responseExcerpt }', 'rule { transform }', 'lastError']) {
      const response = await a.publishable.raw(
        `mutation { emitEvent(input: { type: "order.refunded" }) { ... on EmitEventPayload { event { deliveries { ${selection} } } } } }`,
      );
      expect([selection, response.errors?.[0]?.extensions?.code]).toEqual([selection, 'FORBIDDEN']);
      expect(JSON.stringify(response.data)).not.toContain('127.0.0.1');
    }
  });

  it("shows a publishable key only the id of a duplicate, never the original's data", async () => {
    const original = await a.secret.request(
      `mutation { emitEvent(input: { type: "order.paid", idempotencyKey: "order-1-paid", payload: { card: "tok_visa", email: "vip@example.com" } }) {
        ... on EmitEventPayload { event { id } } } }`,
    );
    const id = original.emitEvent.event.id;
    const only = await a.publishable.request(
      `mutation { emitEvent(input: { type: "order.paid", idempotencyKey: "order-1-paid" }) { ... on EmitEventPayload { duplicate event { id } } } }`,
    );
    expect(only.emitEvent).toEqual({ duplicate: true, event: { id } });
    for (const selection of ['payload', 'type', 'sequence', 'idempotencyKey', 'deliveries { id }', 'deliveries { connection { name } }']) {
      for (const document of [
        `mutation { r: emitEvent(input: { type: "order.paid", idempotencyKey: "order-1-paid" }) { ... on EmitEventPayload { duplicate event { id ${selection} } } } }`,
        `mutation { r: emitEvents(input: { events: [{ type: "order.paid", idempotencyKey: "order-1-paid" }] }) { ... on EmitEventsPayload { results { event { id ${selection} } } } } }`,
      ]) {
        const response = await a.publishable.raw(document);
        expect([selection, response.errors?.[0]?.extensions?.code]).toEqual([selection, 'FORBIDDEN']);
        expect(JSON.stringify(response)).not.toMatch(/tok_visa|vip@example\.com/);
      }
    }
    // The secret key still reads its duplicate in full, and a publishable key its own new events.
    const full = await a.secret.request(
      `mutation { emitEvent(input: { type: "order.paid", idempotencyKey: "order-1-paid" }) { ... on EmitEventPayload { duplicate event { payload } } } }`,
    );
    expect(full.emitEvent).toEqual({ duplicate: true, event: { payload: { card: 'tok_visa', email: 'vip@example.com' } } });
    const fresh = await a.publishable.request(
      `mutation { emitEvent(input: { type: "order.paid", idempotencyKey: "order-2-paid", payload: { n: 2 } }) { ... on EmitEventPayload { duplicate event { payload deliveries { id } } } } }`,
    );
    expect(fresh.emitEvent).toMatchObject({ duplicate: false, event: { payload: { n: 2 } } });
  });
});
