import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient as createWsClient } from 'graphql-ws';
import { createClient, SwitchyardAuthError, SwitchyardError, type EmittedEvent, type SwitchyardClient } from '../sdk/src/index.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { startReceiver, type Receiver } from './helpers/receiver.ts';
import { stillPending, take, untilSubscribed } from './helpers/streams.ts';
import { LISTENER_APPLICATION_NAME } from '../src/server/pubsub.ts';
import { DELIVERY_CHANNEL } from '../src/domains/deliveries/delivery-notifications.ts';
import { decodeId } from '../src/domains/public-ids.ts';

const MAX_PER_SOCKET = 3;
let server: TestServer;
let receiver: Receiver;
let baseUrl: string;
const clients: SwitchyardClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ allowPrivateTargets: true, maxSubscriptionsPerSocket: MAX_PER_SOCKET });
  receiver = await startReceiver();
  baseUrl = server.switchyard.url!;
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await receiver?.close();
});

/** A workspace with a connection to the receiver and a rule for `order.*`, and an SDK client. */
async function workspaceWithHook() {
  const seeded = await server.seedWorkspace();
  const client = createClient({ url: baseUrl, apiKey: seeded.secretKey });
  clients.push(client);
  const { connection } = await client.connections.create({ name: 'hook', kind: 'WEBHOOK', webhook: { url: receiver.url(`/${seeded.id}`) } });
  await client.rules.create({ name: 'orders', eventTypes: ['order.*'], connectionId: connection.id });
  return { ...seeded, client, connectionId: connection.id };
}

/** A bare graphql-ws client that records how its socket closed. */
function rawSocket(authorization: string) {
  const closes: number[] = [];
  const client = createWsClient({
    url: `${baseUrl.replace('http', 'ws')}/graphql`,
    connectionParams: { authorization },
    retryAttempts: 0,
    on: { closed: (event) => closes.push((event as { code: number }).code) },
  });
  const first = (query: string, variables: Record<string, unknown> = {}) =>
    client.iterate({ query, variables }).next().then(
      (result) => ({ result: result.value }),
      (error: unknown) => ({ error }),
    );
  return { client, closes, first };
}

describe('delivery subscriptions', () => {
  it("never show a subscriber of workspace B anything of workspace A's", async () => {
    const a = await workspaceWithHook();
    const b = await workspaceWithHook();
    const watchA = await a.client.deliveries.subscribe();
    const allOfB = await b.client.deliveries.subscribe();
    const updatesOfB = await b.client.deliveries.subscribe({}, { to: 'updates' });
    // A's own connection id in B's filter must not open a window into A either.
    const bPeekingAtA = await b.client.deliveries.subscribe({ connectionId: a.connectionId }, { to: 'updates' });
    await untilSubscribed(server.switchyard.services.deliveryFeed, a.id, 1);
    await untilSubscribed(server.switchyard.services.deliveryFeed, b.id, 3);
    const [firstOfB, firstUpdateOfB, peeked] = [allOfB.next(), updatesOfB.next(), bPeekingAtA.next()];

    const { event } = await a.client.emit({ type: 'order.completed', payload: { secret: 'of A' } });
    const [seenByA] = await take(watchA, 1);
    expect(seenByA!.event.id).toBe(event.id);
    // A's change went through the same process and channel; B's streams stay quiet.
    expect(await stillPending(firstOfB, 500)).toBe(true);
    expect(await stillPending(firstUpdateOfB, 0)).toBe(true);
    expect(await stillPending(peeked, 0)).toBe(true);

    // ... and they are live: B's own event is the first thing they yield.
    const own = await b.client.emit({ type: 'order.completed', payload: { mine: true } });
    expect((await firstOfB).value).toMatchObject({ event: { id: own.event.id } });
    expect((await firstUpdateOfB).value).toMatchObject({ event: { id: own.event.id } });
    expect(await stillPending(peeked, 300)).toBe(true);
    await Promise.all([watchA.close(), allOfB.close(), updatesOfB.close(), bPeekingAtA.close()]);
  });

  it('are announced only while someone streams the workspace: deliveries of a workspace nobody watches notify nothing', async () => {
    const watched = await workspaceWithHook();
    const unwatched = await workspaceWithHook();
    const heard: string[] = [];
    const listener = new pg.Client(server.databaseUrl);
    await listener.connect();
    listener.on('notification', (message) => heard.push(JSON.parse(message.payload!).workspaceId));
    await listener.query(`LISTEN ${DELIVERY_CHANNEL}`);
    const stream = await watched.client.deliveries.subscribe();
    await untilSubscribed(server.switchyard.services.deliveryFeed, watched.id, 1);
    try {
      const quiet = (await unwatched.client.emit({ type: 'order.completed' })) as EmittedEvent;
      const loud = (await watched.client.emit({ type: 'order.completed' })) as EmittedEvent;
      await take(stream, 1);
      const succeeded = async (client: SwitchyardClient, id: string) => {
        for (let tries = 0; (await client.deliveries.get(id)).status !== 'SUCCEEDED'; tries++) {
          if (tries > 200) throw new Error(`delivery ${id} did not succeed`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      await succeeded(unwatched.client, quiet.event.deliveries[0]!.id);
      await succeeded(watched.client, loud.event.deliveries[0]!.id);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(heard).toContain(decodeId('Workspace', watched.id));
      expect(heard).not.toContain(decodeId('Workspace', unwatched.id));
    } finally {
      await stream.close();
      await listener.end();
    }
  });

  it('share one execution between identical subscriptions from now, and every socket still gets every change', async () => {
    const { id, client, secretKey } = await workspaceWithHook();
    // Dashboards that subscribe without a cursor, the same document and variables on two sockets.
    const query = 'subscription { deliveryAttempts(filter: { eventType: "order.completed" }) { event { id } } }';
    const sockets = [0, 1].map(() =>
      createWsClient({ url: `${baseUrl.replace('http', 'ws')}/graphql`, connectionParams: { authorization: `Bearer ${secretKey}` }, retryAttempts: 0 }),
    );
    const [first, second] = sockets.map((socket) => socket.iterate<{ deliveryAttempts: { event: { id: string } } }>({ query }));
    const [firstNext, secondNext] = [first!.next(), second!.next()];
    // Two sockets, one execution: the feed sees a single stream.
    await untilSubscribed(server.switchyard.services.deliveryFeed, id, 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(server.switchyard.services.deliveryFeed!.followerCount(decodeId('Workspace', id))).toBe(1);

    const { event } = (await client.emit({ type: 'order.completed' })) as EmittedEvent;
    expect((await firstNext).value).toMatchObject({ data: { deliveryAttempts: { event: { id: event.id } } } });
    expect((await secondNext).value).toMatchObject({ data: { deliveryAttempts: { event: { id: event.id } } } });

    // One leaving does not end the other's stream; the last one leaving ends the execution.
    await first!.return?.();
    const again = await client.emit({ type: 'order.completed' });
    expect((await take(second!, 1))[0]).toMatchObject({ data: { deliveryAttempts: { event: { id: again.event.id } } } });
    await second!.return?.();
    await untilSubscribed(server.switchyard.services.deliveryFeed, id, 0);
    await Promise.all(sockets.map((socket) => socket.dispose()));

    // Streams that resume from a cursor run alone, even with the same cursor: each gets what it missed.
    const after = (await client.deliveries.subscribe()).cursor!;
    const resumed = await Promise.all([client, createClient({ url: baseUrl, apiKey: secretKey })].map((sdk) => {
      clients.push(sdk);
      return sdk.deliveries.subscribe({ eventType: 'order.completed' }, { after });
    }));
    const late = await client.emit({ type: 'order.completed' });
    for (const stream of resumed) expect((await take(stream, 1))[0]).toMatchObject({ event: { id: late.event.id } });
    await Promise.all(resumed.map((stream) => stream.close()));
  });

  it('filter by event type and status', async () => {
    const { id, client, connectionId } = await workspaceWithHook();
    const refunds = await client.deliveries.subscribe({ eventType: 'order.refunded', connectionId });
    const succeeded = await client.deliveries.subscribe({ status: 'SUCCEEDED' }, { to: 'updates' });
    await untilSubscribed(server.switchyard.services.deliveryFeed, id, 2);

    await client.emit({ type: 'order.completed' });
    const refund = await client.emit({ type: 'order.refunded' });
    const [attempt] = await take(refunds, 1);
    expect(attempt).toMatchObject({ event: { id: refund.event.id, type: 'order.refunded' }, status: 'SUCCEEDED' });
    const updates = await take(succeeded, 2);
    expect(updates.every((delivery) => delivery.status === 'SUCCEEDED')).toBe(true);
    await Promise.all([refunds.close(), succeeded.close()]);
  });

  it('show each change with the status it committed, even when the row has moved on since', async () => {
    const { id, client } = await workspaceWithHook();
    const all = await client.deliveries.subscribe({}, { to: 'updates' });
    await untilSubscribed(server.switchyard.services.deliveryFeed, id, 1);
    const { event } = (await client.emit({ type: 'order.completed' })) as EmittedEvent;
    // Its creation reads PENDING though the row may say SUCCEEDED by the time it is read.
    expect((await take(all, 2)).map((delivery) => [delivery.id, delivery.status])).toEqual([
      [event.deliveries[0]!.id, 'PENDING'],
      [event.deliveries[0]!.id, 'SUCCEEDED'],
    ]);

    // A replay commits PENDING and a worker claims the delivery before the stream reads it: the
    // stream still reports PENDING, and a PENDING filter still matches. Here the rows say so
    // directly: the delivery is DELIVERING, and the change log holds a PENDING change of it.
    const pending = await client.deliveries.subscribe({ status: 'PENDING' }, { to: 'updates' });
    await untilSubscribed(server.switchyard.services.deliveryFeed, id, 2);
    const workspaceId = decodeId('Workspace', id);
    const db = new pg.Client(server.databaseUrl);
    await db.connect();
    try {
      const { rows } = await db.query<{ id: string }>("update deliveries set status = 'DELIVERING' where workspace_id = $1 returning id", [workspaceId]);
      await db.query(
        "insert into delivery_changes (workspace_id, delivery_id, status) values ($1, $2, 'PENDING')",
        [workspaceId, rows[0]!.id],
      );
      await db.query('select pg_notify($1, $2)', [DELIVERY_CHANNEL, JSON.stringify({ workspaceId, deliveryId: rows[0]!.id, status: 'PENDING' })]);
    } finally {
      await db.end();
    }
    expect((await take(all, 1)).map((delivery) => delivery.status)).toEqual(['PENDING']);
    expect((await take(pending, 1))[0]).toMatchObject({ id: event.deliveries[0]!.id, status: 'PENDING' });
    await Promise.all([all.close(), pending.close()]);
  });

  it('close the socket with 4403 for an unknown key, and refuse a publishable key', async () => {
    const unknown = rawSocket('Bearer sy_sk_unknown_unknown_unknown');
    const refused = await unknown.first('subscription { deliveryUpdated { id } }');
    expect(refused).toHaveProperty('error');
    expect(unknown.closes).toEqual([4403]);
    await unknown.client.dispose();

    const missing = rawSocket('');
    await missing.first('subscription { deliveryUpdated { id } }');
    expect(missing.closes).toEqual([4403]);
    await missing.client.dispose();

    const seeded = await server.seedWorkspace();
    const publishable = createClient({ url: baseUrl, apiKey: seeded.publishableKey });
    clients.push(publishable);
    await expect(publishable.deliveries.subscribe()).rejects.toMatchObject({ name: 'SwitchyardAuthError', code: 'FORBIDDEN' });
    const stream = await publishable.deliveries.subscribe({}, { after: '1:0' });
    const error = await stream.next().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SwitchyardAuthError);
    expect(error).toMatchObject({ code: 'FORBIDDEN' });
  });

  it(`cap one socket at ${MAX_PER_SOCKET} subscriptions, with a clear error`, async () => {
    const { id, client } = await workspaceWithHook();
    // Distinct filters: identical subscriptions would share one execution and count as one below.
    const open = await Promise.all(Array.from({ length: MAX_PER_SOCKET }, (_, i) => client.deliveries.subscribe({ eventType: `order.${i}` })));
    await untilSubscribed(server.switchyard.services.deliveryFeed, id, MAX_PER_SOCKET);

    const over = await client.deliveries.subscribe();
    const error = await over.next().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SwitchyardError);
    expect(error).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS' });
    expect((error as Error).message).toMatch(/SWITCHYARD_MAX_SUBSCRIPTIONS_PER_SOCKET/);

    // Completing one frees its place on the same socket.
    await open[0]!.close();
    await untilSubscribed(server.switchyard.services.deliveryFeed, id, MAX_PER_SOCKET - 1);
    open[0] = await client.deliveries.subscribe({ eventType: 'order.0' });
    await untilSubscribed(server.switchyard.services.deliveryFeed, id, MAX_PER_SOCKET);
    await Promise.all(open.map((stream) => stream.close()));
  });

  it('validate subscriptions the way HTTP validates queries', async () => {
    const { secretKey } = await server.seedWorkspace();
    const socket = rawSocket(`Bearer ${secretKey}`);
    const unknownField = await socket.first('subscription { deliveryUpdated(filter: { nope: 1 }) { id } }');
    const overHttp = await server.as(secretKey).raw('subscription { deliveryUpdated(filter: { nope: 1 }) { id } }');
    expect((unknownField as { error: { message: string }[] }).error.map((error) => error.message)).toEqual(
      overHttp.errors?.map((error) => error.message),
    );
    const badStatus = await socket.first('subscription ($s: DeliveryStatus) { deliveryAttempts(filter: { status: $s }) { id } }', { s: 'LOST' });
    expect(JSON.stringify(badStatus)).toMatch(/LOST/);
    // A cursor that no stream handed out is refused, naming the argument, not taken for a position.
    for (const after of ['nope', '99999999999999999999:1', '1:-1']) {
      const badCursor = await socket.first('subscription ($after: String) { deliveryUpdated(after: $after) { id } }', { after });
      // Refused as the stream starts: the first result carries the error.
      expect((badCursor as { result: { errors: { message: string; extensions: { code: string } }[] } }).result.errors[0]).toMatchObject({
        message: expect.stringMatching(/^after: is not a cursor from a delivery stream/),
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
    await socket.client.dispose();
  });

  it("keep streaming after the API's listening connection to Postgres is killed, missing nothing committed meanwhile", async () => {
    const { id, client } = await workspaceWithHook();
    const stream = await client.deliveries.subscribe();
    await untilSubscribed(server.switchyard.services.deliveryFeed, id, 1);
    const before = await client.emit({ type: 'order.completed' });
    expect((await take(stream, 1))[0]!.event.id).toBe(before.event.id);

    const db = new pg.Client(server.databaseUrl);
    await db.connect();
    try {
      const killed = await db.query<{ pid: number }>(
        'select pid, pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and datname = current_database()',
        [LISTENER_APPLICATION_NAME],
      );
      expect(killed.rows).toHaveLength(1);
      // Emitted while nobody listens: its attempt's wake-up is lost, its change is not.
      const unheard = await client.emit({ type: 'order.completed' });
      expect((await take(stream, 1))[0]!.event.id).toBe(unheard.event.id);
      // The pub/sub notices, reconnects with backoff and LISTENs again under a new backend; the
      // socket and the subscription on it are untouched.
      const deadline = Date.now() + 10_000;
      let replaced = false;
      while (!replaced && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const { rowCount } = await db.query(
          'select 1 from pg_stat_activity where application_name = $1 and datname = current_database() and pid <> $2',
          [LISTENER_APPLICATION_NAME, killed.rows[0]!.pid],
        );
        replaced = rowCount === 1;
      }
      expect(replaced).toBe(true);
    } finally {
      await db.end();
    }
    await server.switchyard.services.pubsub!.ready();

    const after = await client.emit({ type: 'order.completed' });
    expect((await take(stream, 1))[0]!.event.id).toBe(after.event.id);
    await stream.close();
  });

  it('stream over SSE as well', async () => {
    const { id, client, secretKey } = await workspaceWithHook();
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${secretKey}` },
      body: JSON.stringify({ query: 'subscription { deliveryAttempts { status event { id } } }' }),
    });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    await untilSubscribed(server.switchyard.services.deliveryFeed, id, 1);
    const { event } = (await client.emit({ type: 'order.completed' })) as EmittedEvent;

    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const deadline = Date.now() + 10_000;
    while (!text.includes(event.id) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    await reader.cancel();
    expect(text).toContain('event: next');
    expect(text).toContain(`"event":{"id":"${event.id}"}`);
  });
});
