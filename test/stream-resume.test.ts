import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createClient, type EmittedEvent, type StreamedAttempt, type SwitchyardClient } from '../sdk/src/index.ts';
import { newId } from '../src/db/ids.ts';
import { DELIVERY_CHANNEL } from '../src/domains/deliveries/delivery-notifications.ts';
import { decodeId } from '../src/domains/public-ids.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { startReceiver, type Receiver } from './helpers/receiver.ts';
import { eventually } from './helpers/fixtures.ts';
import { stillPending, take } from './helpers/streams.ts';

let server: TestServer;
let receiver: Receiver;
let db: pg.Client;
const clients: SwitchyardClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ allowPrivateTargets: true });
  receiver = await startReceiver();
  db = new pg.Client(server.databaseUrl);
  await db.connect();
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await receiver?.close();
  await db?.end();
});

function client(apiKey: string, url = server.switchyard.url!) {
  const created = createClient({ url, apiKey, streamRetryDelayMs: 50 });
  clients.push(created);
  return created;
}

/** A workspace whose one connection fails about a third of its requests, so deliveries retry. */
async function busyWorkspace(path: string) {
  const seeded = await server.seedWorkspace();
  const sdk = client(seeded.secretKey);
  receiver.script(({ request, index }) =>
    request.path === path ? { status: index % 3 === 0 ? 500 : 200, delayMs: index % 7 } : { status: 404 },
  );
  const { connection } = await sdk.connections.create({
    name: 'busy', kind: 'WEBHOOK', webhook: { url: receiver.url(path) }, retryScheduleSeconds: [0, 0.05, 0.05, 0.05], maxConcurrency: 20,
  });
  await sdk.rules.create({ name: 'all', eventTypes: ['*'], connectionId: connection.id });
  return { ...seeded, sdk, connectionId: connection.id };
}

/** Every attempt and every change the database holds for the workspace, once its deliveries are settled. */
async function settled(workspaceId: string, deliveries: number) {
  const id = decodeId('Workspace', workspaceId);
  return eventually(async () => {
    const { rows } = await db.query<{ open: string; done: string }>(
      `select count(*) filter (where status not in ('SUCCEEDED', 'DEAD')) as open, count(*) as done from deliveries where workspace_id = $1`,
      [id],
    );
    if (Number(rows[0]!.done) < deliveries || Number(rows[0]!.open) > 0) return undefined;
    const attempts = await db.query<{ id: string }>('select id from attempts where workspace_id = $1', [id]);
    const changes = await db.query<{ count: string }>('select count(*) from delivery_changes where workspace_id = $1', [id]);
    return { attempts: attempts.rows.map((row) => `atmpt_${row.id.replaceAll('-', '')}`).sort(), changes: Number(changes.rows[0]!.count) };
  }, 30_000, 'every delivery to succeed or die');
}

describe('a delivery stream resumed from a cursor', () => {
  it('sees every change exactly once across many disconnects, while attempts commit concurrently', async () => {
    const ws = await busyWorkspace('/resume');
    const start = await ws.sdk.deliveries.subscribe();
    const startAfter = start.cursor!;
    await start.close();

    // Emits from several clients at once while the stream keeps being cut and resumed.
    const emitting = Promise.all(Array.from({ length: 4 }, (_, client) =>
      ws.sdk.emitBatch(Array.from({ length: 30 }, (_, i) => ({ type: 'order.completed', payload: { client, i } })))));
    const seenAttempts: string[] = [];
    const seenUpdates: string[] = [];
    let afterAttempts = startAfter;
    let afterUpdates = startAfter;
    let cuts = 0;
    const expected = { deliveries: 120 };
    let done = false;
    const totals = emitting.then(() => settled(ws.id, expected.deliveries)).then((result) => ((done = true), result));
    while (!done || seenAttempts.length < (await totals).attempts.length) {
      // A fresh client each round: a new socket, resuming after the last cursor it saw.
      const sdk = client(ws.secretKey);
      const attempts = await sdk.deliveries.subscribe({}, { after: afterAttempts });
      const updates = await sdk.deliveries.subscribe({}, { to: 'updates', after: afterUpdates });
      const batch = 1 + (cuts % 9);
      for (const [stream, seen, setAfter] of [
        [attempts, seenAttempts, (cursor: string) => (afterAttempts = cursor)],
        [updates, seenUpdates, (cursor: string) => (afterUpdates = cursor)],
      ] as const) {
        for (let i = 0; i < batch; i++) {
          const next = stream.next();
          if (await stillPending(next, done ? 1_000 : 3_000)) break;
          const item = (await next).value as { id: string; cursor: string };
          seen.push(`${item.id}@${item.cursor}`);
          setAfter(item.cursor);
        }
      }
      await sdk.close();
      cuts++;
      if (cuts > 400) throw new Error(`no end after ${cuts} cuts: ${seenAttempts.length} attempts seen`);
    }
    // Drain what the updates stream still has.
    const { attempts, changes } = await totals;
    const updates = await client(ws.secretKey).deliveries.subscribe({}, { to: 'updates', after: afterUpdates });
    while (seenUpdates.length < changes) {
      const [item] = await take(updates, 1);
      seenUpdates.push(`${item!.id}@${item!.cursor}`);
    }
    await updates.close();

    expect(cuts).toBeGreaterThan(10);
    expect(attempts.length).toBeGreaterThan(120);
    const attemptIds = seenAttempts.map((entry) => entry.split('@')[0]!);
    expect(new Set(seenAttempts).size).toBe(seenAttempts.length);
    expect([...attemptIds].sort()).toEqual(attempts);
    // Every change once, in the stream's order: the cursors only grow.
    expect(seenUpdates).toHaveLength(changes);
    expect(new Set(seenUpdates).size).toBe(changes);
    const order = (entry: string) => entry.split('@')[1]!.split(':').map(BigInt) as [bigint, bigint];
    for (const seen of [seenAttempts, seenUpdates]) {
      for (let i = 1; i < seen.length; i++) {
        const [a, b] = [order(seen[i - 1]!), order(seen[i]!)];
        expect(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])).toBe(true);
      }
    }
  }, 120_000);

  it('holds back a change that committed while an older transaction runs, and sends both once that one commits', async () => {
    const ws = await server.seedWorkspace();
    const sdk = client(ws.secretKey);
    const { connection } = await sdk.connections.create({ name: 'paused', kind: 'WEBHOOK', webhook: { url: receiver.url('/never') } });
    await sdk.connections.pause(connection.id);
    await sdk.rules.create({ name: 'all', eventTypes: ['*'], connectionId: connection.id });
    const { event } = (await sdk.emit({ type: 'order.completed' })) as EmittedEvent;
    const deliveryId = decodeId('Delivery', event.deliveries[0]!.id);
    const workspaceId = decodeId('Workspace', ws.id);
    const stream = await sdk.deliveries.subscribe();
    const before = stream.cursor!;

    // Two attempts of the delivery, written (and announced) the way the engine writes them, in two
    // transactions: the older one (smaller transaction id) commits last.
    const older = new pg.Client(server.databaseUrl);
    const younger = new pg.Client(server.databaseUrl);
    await Promise.all([older.connect(), younger.connect()]);
    const attempt = async (client: pg.Client, id: string, number: number) => {
      await client.query(
        `insert into attempts (id, workspace_id, delivery_id, attempt, chain, status, status_code, duration_ms, request_url, started_at)
         values ($1, $2, $3, $4, 0, 'FAILED', 500, 1, 'http://127.0.0.1/never', now())`,
        [id, workspaceId, deliveryId, number],
      );
      await client.query('select pg_notify($1, $2)', [DELIVERY_CHANNEL, JSON.stringify({ workspaceId, deliveryId, status: 'RETRYING', attemptId: id })]);
    };
    const [first, second] = [newId(), newId()];
    try {
      await older.query('begin');
      await attempt(older, first, 1);
      await younger.query('begin');
      await attempt(younger, second, 2);
      await younger.query('commit');

      // A cursor handed out now would sit past the older transaction's change: nothing is sent yet.
      const next = stream.next();
      expect(await stillPending(next, 700)).toBe(true);
      await older.query('commit');
      const [a, b] = [(await next).value as StreamedAttempt, (await take(stream, 1))[0]!];
      expect([a.id, b.id]).toEqual([`atmpt_${first.replaceAll('-', '')}`, `atmpt_${second.replaceAll('-', '')}`]);

      // A stream that starts after the earlier cursor, late, gets both too, in the same order.
      const late = await client(ws.secretKey).deliveries.subscribe({}, { after: before });
      expect((await take(late, 2)).map((item) => item.cursor)).toEqual([a.cursor, b.cursor]);
      await late.close();
    } finally {
      await Promise.all([older.end(), younger.end()]);
      await stream.close();
    }
  });

  it('is not held back by a long transaction in another database of the same cluster', async () => {
    const ws = await busyWorkspace('/elsewhere');
    const elsewhere = new pg.Client(inject('postgresAdminUrl'));
    await elsewhere.connect();
    try {
      await elsewhere.query('begin');
      await elsewhere.query('select pg_current_xact_id()');
      const stream = await ws.sdk.deliveries.subscribe();
      await ws.sdk.emit({ type: 'order.completed' });
      expect((await take(stream, 1, 5_000))[0]).toMatchObject({ attempt: 1 });
      await stream.close();
    } finally {
      await elsewhere.query('rollback');
      await elsewhere.end();
    }
  });

  it('resumes by itself after the network drops, without missing or repeating an attempt', async () => {
    const ws = await busyWorkspace('/dropped');
    // The SDK reaches the API through a proxy whose connections the test can cut.
    const target = new URL(server.switchyard.url!);
    const pairs: Socket[] = [];
    const proxy = createServer((downstream) => {
      const upstream = connect(Number(target.port), target.hostname);
      downstream.pipe(upstream).pipe(downstream);
      for (const socket of [downstream, upstream]) socket.on('error', () => {});
      pairs.push(downstream, upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const viaProxy = client(ws.secretKey, `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
    try {
      const stream = await viaProxy.deliveries.subscribe();
      const emitted = ws.sdk.emitBatch(Array.from({ length: 40 }, (_, i) => ({ type: 'order.completed', payload: { i } })));
      const seen: string[] = [];
      for (let round = 0; round < 4; round++) {
        seen.push(...(await take(stream, 5)).map((attempt) => attempt.id));
        for (const socket of pairs.splice(0)) socket.destroy();
      }
      await emitted;
      const { attempts } = await settled(ws.id, 40);
      while (seen.length < attempts.length) seen.push(...(await take(stream, 1)).map((attempt) => attempt.id));
      expect(seen.sort()).toEqual(attempts);
      expect(await stillPending(stream.next(), 500)).toBe(true);
      await stream.close();
    } finally {
      for (const socket of pairs) socket.destroy();
      proxy.close();
    }
  });
});
