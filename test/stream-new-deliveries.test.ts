import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type EmittedEvent, type SwitchyardClient } from '../sdk/src/index.ts';
import { DELIVERY_CHANNEL } from '../src/domains/deliveries/delivery-notifications.ts';
import { ERASED_REASON } from '../src/domains/retention/erase-resource.ts';
import { decodeId } from '../src/domains/public-ids.ts';
import { recoverStalled } from '../src/domains/deliveries/engine/recover-stalled.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { eventually } from './helpers/fixtures.ts';
import { stillPending, take, untilSubscribed } from './helpers/streams.ts';

let server: TestServer;
let listener: pg.Client;
const notifications: string[] = [];
const clients: SwitchyardClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ allowPrivateTargets: true });
  // Hears what writers announce on the channel the API processes listen on.
  listener = new pg.Client(server.databaseUrl);
  await listener.connect();
  listener.on('notification', (message) => notifications.push(message.payload ?? ''));
  await listener.query(`listen ${DELIVERY_CHANNEL}`);
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await listener?.end();
});

/** A workspace whose one connection is paused: its deliveries wait, and no attempt announces them. */
async function pausedWorkspace() {
  const seeded = await server.seedWorkspace();
  const client = createClient({ url: server.switchyard.url!, apiKey: seeded.secretKey });
  clients.push(client);
  const { connection } = await client.connections.create({ name: 'paused', kind: 'WEBHOOK', webhook: { url: 'http://127.0.0.1:9/never' } });
  await client.connections.pause(connection.id);
  await client.rules.create({ name: 'orders', eventTypes: ['order.*'], connectionId: connection.id });
  return { ...seeded, client, connectionId: connection.id };
}

const announcedFor = (workspaceId: string) => notifications.filter((payload) => payload.includes(decodeId('Workspace', workspaceId))).length;

describe('a new delivery in the delivery streams', () => {
  it('is sent when it is created, before any attempt, with a cursor that resumes after it', async () => {
    const ws = await pausedWorkspace();
    const updates = await ws.client.deliveries.subscribe({}, { to: 'updates' });
    const attempts = await ws.client.deliveries.subscribe();
    const before = updates.cursor!;
    await untilSubscribed(server.switchyard.services.deliveryFeed, ws.id, 2);

    const { event } = (await ws.client.emit({ type: 'order.completed', payload: { total: 1 } })) as EmittedEvent;
    const [created] = await take(updates, 1);
    expect(created).toMatchObject({ id: event.deliveries[0]!.id, status: 'PENDING', paused: true, attemptCount: 0, event: { id: event.id } });
    expect(await stillPending(attempts.next(), 300)).toBe(true);

    // A batch: each delivery once, in id order (the order of the deliveries list) within the write.
    const batch = (await ws.client.emitBatch([1, 2, 3].map((i) => ({ type: 'order.completed', payload: { i } })))) as EmittedEvent[];
    const three = await take(updates, 3);
    expect(three.map((delivery) => delivery.id)).toEqual(batch.map((emitted) => emitted.event.deliveries[0]!.id).sort());
    expect(await stillPending(updates.next(), 300)).toBe(true);

    // Resumed from before them, a stream gets the same four with the same cursors; after the first, the other three.
    const resumed = await ws.client.deliveries.subscribe({}, { to: 'updates', after: before });
    expect((await take(resumed, 4)).map((delivery) => delivery.cursor)).toEqual([created!.cursor, ...three.map((delivery) => delivery.cursor)]);
    const later = await ws.client.deliveries.subscribe({}, { to: 'updates', after: created!.cursor! });
    expect((await take(later, 3)).map((delivery) => delivery.id)).toEqual(three.map((delivery) => delivery.id));
    await Promise.all([updates.close(), attempts.close(), resumed.close(), later.close()]);
  });

  it('is announced by the emit itself, once per write, only while some API process streams the workspace', async () => {
    const watched = await pausedWorkspace();
    const unwatched = await pausedWorkspace();
    const stream = await watched.client.deliveries.subscribe({}, { to: 'updates' });
    await untilSubscribed(server.switchyard.services.deliveryFeed, watched.id, 1);

    await watched.client.emitBatch([1, 2, 3].map((i) => ({ type: 'order.completed', payload: { i } })));
    await unwatched.client.emitBatch([1, 2, 3].map((i) => ({ type: 'order.completed', payload: { i } })));
    await take(stream, 3);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect([announcedFor(watched.id), announcedFor(unwatched.id)]).toEqual([1, 0]);
    await stream.close();
  });

  it('matches the filter as it was created, and one created dead by a failing condition is sent dead', async () => {
    const ws = await pausedWorkspace();
    const { connection: live } = await ws.client.connections.create({ name: 'live', kind: 'WEBHOOK', webhook: { url: 'http://127.0.0.1:9/live' } });
    await ws.client.connections.pause(live.id);
    await ws.client.rules.create({ name: 'broken', eventTypes: ['invoice.*'], connectionId: live.id, condition: '$number("x") > 0' });
    const ofLive = await ws.client.deliveries.subscribe({ connectionId: live.id }, { to: 'updates' });
    const pending = await ws.client.deliveries.subscribe({ status: 'PENDING' }, { to: 'updates' });
    await untilSubscribed(server.switchyard.services.deliveryFeed, ws.id, 2);

    const order = (await ws.client.emit({ type: 'order.completed' })) as EmittedEvent;
    const invoice = (await ws.client.emit({ type: 'invoice.paid' })) as EmittedEvent;
    expect(await take(ofLive, 1)).toMatchObject([{ id: invoice.event.deliveries[0]!.id, status: 'DEAD', lastError: expect.stringMatching(/^condition: /) }]);
    expect(await take(pending, 1)).toMatchObject([{ id: order.event.deliveries[0]!.id, status: 'PENDING' }]);
    expect(await stillPending(pending.next(), 300)).toBe(true);
    await Promise.all([ofLive.close(), pending.close()]);
  });
});

describe('a delivery that erasure stops', () => {
  it('is sent dead, with the reason, to the streams', async () => {
    const ws = await pausedWorkspace();
    const { event } = (await ws.client.emit({ type: 'order.completed', resource: 'customer', resourceId: 'cus_9', payload: { email: 'a@example.com' } })) as EmittedEvent;
    const updates = await ws.client.deliveries.subscribe({}, { to: 'updates' });
    await untilSubscribed(server.switchyard.services.deliveryFeed, ws.id, 1);

    const { eraseResource } = await ws.secret.request(
      'mutation { eraseResource(input: { resource: "customer", resourceId: "cus_9" }) { ... on EraseResourcePayload { deliveriesStopped } } }',
    );
    expect(eraseResource).toEqual({ deliveriesStopped: 1 });
    expect(await take(updates, 1)).toMatchObject([{ id: event.deliveries[0]!.id, status: 'DEAD', lastError: ERASED_REASON, paused: false }]);
    await updates.close();
  });
});

describe('a waiting delivery in the delivery streams', () => {
  /** A workspace whose one delivery failed once and waits an hour for its retry. */
  async function retryingDelivery() {
    const seeded = await server.seedWorkspace();
    const client = createClient({ url: server.switchyard.url!, apiKey: seeded.secretKey });
    clients.push(client);
    const { connection } = await client.connections.create({
      name: 'refusing', kind: 'WEBHOOK', webhook: { url: 'http://127.0.0.1:9/refused' }, retryScheduleSeconds: [0, 3600], eventTypes: ['order.*'],
    });
    const { event } = (await client.emit({ type: 'order.completed' })) as EmittedEvent;
    const deliveryId = event.deliveries[0]!.id;
    await eventually(async () => ((await client.deliveries.get(deliveryId)).status === 'RETRYING' ? true : undefined), 10_000, 'the first failure');
    const updates = await client.deliveries.subscribe({}, { to: 'updates' });
    await untilSubscribed(server.switchyard.services.deliveryFeed, seeded.id, 1);
    return { client, connectionId: connection.id, deliveryId, updates };
  }

  it('is sent paused when its connection is paused, and sent again when it is resumed', async () => {
    const { client, connectionId, deliveryId, updates } = await retryingDelivery();
    await client.connections.pause(connectionId);
    expect(await take(updates, 1)).toMatchObject([{ id: deliveryId, status: 'RETRYING', paused: true }]);
    await client.connections.resume(connectionId);
    // Resumed, it is due now: it is sent waiting no more, then as its next attempt leaves it.
    expect(await take(updates, 2)).toMatchObject([{ id: deliveryId, status: 'RETRYING', paused: false }, { id: deliveryId, attemptCount: 2 }]);
    await updates.close();
  });

  it('is sent retrying when the stalled-work sweep takes it back from a worker whose lease ran out', async () => {
    const { deliveryId, updates } = await retryingDelivery();
    const db = new pg.Client(server.databaseUrl);
    await db.connect();
    // As a worker that died mid-attempt leaves it.
    await db.query(`update deliveries set status = 'DELIVERING', lease = gen_random_uuid(), claimed_until = now() - interval '1 second' where id = $1`, [
      decodeId('Delivery', deliveryId),
    ]);
    await db.end();
    const { orm, config } = server.switchyard.services;
    await recoverStalled(orm.em.fork(), config);
    expect(await take(updates, 1)).toMatchObject([{ id: deliveryId, status: 'RETRYING', attemptCount: 1 }]);
    await updates.close();
  });
});
