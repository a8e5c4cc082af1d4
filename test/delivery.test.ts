import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import pg from 'pg';
import { startTestServer } from './helpers/server.ts';
import { startReceiver } from './helpers/receiver.ts';
import { newId } from '../src/db/ids.ts';
import { decodeId } from '../src/domains/public-ids.ts';
import { persistEvents } from '../src/domains/events/persist-events.ts';
import type { EventRow } from '../src/domains/events/event-record.ts';
import { EMIT, createRule, createWebhook, setPaused, deliveryReaches, emit, eventually, getDelivery, workspaceWithWebhook } from './helpers/fixtures.ts';

const server = await startTestServer({ allowPrivateTargets: true });

describe('delivering an event', () => {
  it('posts the default envelope, signed per Standard Webhooks, and records the attempt', async () => {
    const ws = await server.seedWorkspace();
    const receiver = await startReceiver();
    const hook = await createWebhook(ws.secret, receiver.url('/hook'), { headers: { 'x-tenant': 'acme' } });
    await createRule(ws.secret, hook.id, ['order.*']);

    const { event } = await emit(ws.publishable, {
      type: 'order.completed', resource: 'order', resourceId: 'o_1', payload: { total: 42 },
    });
    expect(event.deliveries).toHaveLength(1);
    const delivery = await deliveryReaches(ws.secret, event.deliveries[0]!.id, 'SUCCEEDED');

    const [request] = await receiver.waitForRequests(1);
    expect(request!.headers['webhook-id']).toBe(delivery.id);
    expect(request!.headers['x-tenant']).toBe('acme');
    expect(request!.headers['content-type']).toContain('application/json');
    const verified = new Webhook(hook.signingSecret).verify(request!.body, request!.headers as Record<string, string>);
    expect(verified).toEqual({
      id: event.id, type: 'order.completed', timestamp: expect.any(String), resource: 'order', resourceId: 'o_1',
      sequence: event.sequence, data: { total: 42 },
    });
    expect(delivery.attempts).toEqual([
      expect.objectContaining({ attempt: 1, replay: 0, status: 'SUCCEEDED', statusCode: 200, errorClass: null }),
    ]);
    await receiver.close();
  });

  it('records attempts that finish together each on its own delivery, with its own status code', async () => {
    const receiver = await startReceiver();
    // Thirty requests in flight at once, answered together: their successes are written together.
    receiver.script(({ index }) => ({ status: 200 + (index % 2) * 2, delayMs: 100 }));
    const { ws } = await workspaceWithWebhook(server, receiver.url('/'), { maxConcurrency: 30 });
    const { emitEvents } = await ws.secret.request(
      `mutation ($input: EmitEventsInput!) { emitEvents(input: $input) {
         ... on EmitEventsPayload { results { event { deliveries { id } } } } } }`,
      { input: { events: Array.from({ length: 30 }, (_, i) => ({ type: 'order.completed', payload: { i } })) } },
    );
    const ids: string[] = emitEvents.results.map((r: { event: { deliveries: { id: string }[] } }) => r.event.deliveries[0]!.id);
    const delivered = await Promise.all(ids.map((id) => deliveryReaches(ws.secret, id, 'SUCCEEDED')));
    const statusById = new Map(receiver.requests.map((r, index) => [r.headers['webhook-id'], 200 + (index % 2) * 2]));
    for (const delivery of delivered) {
      expect(delivery.attempts).toEqual([expect.objectContaining({ attempt: 1, status: 'SUCCEEDED', statusCode: statusById.get(delivery.id) })]);
    }
    await receiver.close();
  });

  it('routes only to rules whose pattern and condition match, shaped by the transform', async () => {
    const ws = await server.seedWorkspace();
    const receiver = await startReceiver();
    const big = await createWebhook(ws.secret, receiver.url('/big'));
    const all = await createWebhook(ws.secret, receiver.url('/all'));
    await createRule(ws.secret, big.id, ['order.completed'], {
      condition: 'payload.total > 100',
      transform: '{ "text": "Big order " & resourceId & ": " & $string(payload.total) }',
    });
    await createRule(ws.secret, all.id, ['order.**']);
    await createRule(ws.secret, all.id, ['invoice.*']);

    const small = await emit(ws.secret, { type: 'order.completed', resourceId: 'o_1', payload: { total: 5 } });
    const large = await emit(ws.secret, { type: 'order.completed', resourceId: 'o_2', payload: { total: 500 } });
    expect(small.event.deliveries.map((d) => d.connection.id)).toEqual([all.id]);
    expect(large.event.deliveries.map((d) => d.connection.id).sort()).toEqual([big.id, all.id].sort());

    await deliveryReaches(ws.secret, large.event.deliveries.find((d) => d.connection.id === big.id)!.id, 'SUCCEEDED');
    const bigRequests = receiver.requests.filter((r) => r.path === '/big');
    expect(bigRequests.map((r) => JSON.parse(r.body))).toEqual([{ text: 'Big order o_2: 500' }]);
    await receiver.close();
  });

  it('returns the original event for a repeated idempotency key and delivers it once', async () => {
    const receiver = await startReceiver();
    const { ws } = await workspaceWithWebhook(server, receiver.url('/'));

    const first = await emit(ws.secret, { type: 'user.created', payload: { n: 1 }, idempotencyKey: 'k-1' });
    const second = await emit(ws.secret, { type: 'user.created', payload: { n: 2 }, idempotencyKey: 'k-1' });
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(second.event.id).toBe(first.event.id);
    expect(second.event.deliveries.map((d) => d.id)).toEqual(first.event.deliveries.map((d) => d.id));

    await deliveryReaches(ws.secret, first.event.deliveries[0]!.id, 'SUCCEEDED');
    const { events } = await ws.secret.request('{ events { edges { node { id } } } }');
    expect(events.edges).toHaveLength(1);
    expect(receiver.requests).toHaveLength(1);
    await receiver.close();
  });

  it('creates one event when the same idempotency key races in parallel', async () => {
    const ws = await server.seedWorkspace();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => emit(ws.secret, { type: 'payment.captured', idempotencyKey: 'race-1' })),
    );
    expect(results.filter((result) => !result.duplicate)).toHaveLength(1);
    expect(new Set(results.map((result) => result.event.id)).size).toBe(1);
  });

  it('writes nothing when any part of an emit fails: no event without its deliveries and jobs', async () => {
    const receiver = await startReceiver();
    const { ws } = await workspaceWithWebhook(server, receiver.url('/'));
    const db = new pg.Client(server.databaseUrl);
    await db.connect();
    const count = async (table: string) => Number((await db.query(`select count(*) from ${table}`)).rows[0].count);
    const before = { events: await count('events'), deliveries: await count('deliveries') };
    // Break the last step of the emit (adding the jobs) for a moment.
    await db.query('alter function graphile_worker.add_jobs(graphile_worker.job_spec[], boolean) rename to add_jobs_away');
    try {
      const response = await ws.secret.raw(EMIT, { input: { type: 'user.created', idempotencyKey: 'atomic' } });
      expect(response.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(response.errors?.[0]?.message).toBe('Unexpected error.');
    } finally {
      await db.query('alter function graphile_worker.add_jobs_away(graphile_worker.job_spec[], boolean) rename to add_jobs');
    }
    expect({ events: await count('events'), deliveries: await count('deliveries') }).toEqual(before);
    // The same key is free again: the failed emit left nothing behind.
    const { duplicate } = await emit(ws.secret, { type: 'user.created', idempotencyKey: 'atomic' });
    expect(duplicate).toBe(false);
    await db.end();
    await receiver.close();
  });

  it('writes concurrent emits together, and one that fails takes none of the others down', async () => {
    const ws = await server.seedWorkspace();
    const em = server.switchyard.services.orm.em.fork();
    const row = (workspaceId: string, sequence: number): EventRow => ({
      id: newId(), workspace_id: workspaceId, type: 'batch.written', resource: null, resource_id: null, payload: { sequence },
      idempotency_key: null, sequence, created_at: new Date().toISOString(), operational: false,
    });
    const write = (rows: EventRow[]) => persistEvents(em, rows, []);
    const transactionsOf = async (rows: EventRow[]) => {
      const found = await em.execute<{ xmin: string }[]>('select xmin::text from events where id in (select json_array_elements_text(?::json)::uuid)', [JSON.stringify(rows.map((r) => r.id))]);
      return { rows: found.length, transactions: new Set(found.map((r) => r.xmin)).size };
    };
    const workspaceId = decodeId('Workspace', ws.id);

    // Eight at once: the first writes go alone, the rest wait and share one transaction.
    const together = Array.from({ length: 8 }, (_, i) => row(workspaceId, i + 1));
    const written = await Promise.all(together.map((event) => write([event])));
    written.forEach(({ written: ids }, i) => expect(ids.has(together[i]!.id)).toBe(true));
    const shared = await transactionsOf(together);
    expect(shared.rows).toBe(8);
    expect(shared.transactions).toBeLessThan(8);

    // One of them cannot be written (its workspace does not exist): only that one fails.
    const mixed = Array.from({ length: 8 }, (_, i) => row(i === 5 ? newId() : workspaceId, 100 + i));
    const outcomes = await Promise.allSettled(mixed.map((event) => write([event])));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(mixed.map((_, i) => (i === 5 ? 'rejected' : 'fulfilled')));
    expect((await transactionsOf(mixed)).rows).toBe(7);
  });

  it('gives every event of a workspace a larger sequence than the one before', async () => {
    const ws = await server.seedWorkspace();
    const sequences: number[] = [];
    for (let i = 0; i < 5; i++) sequences.push((await emit(ws.secret, { type: 'tick.tock' })).event.sequence);
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect(new Set(sequences).size).toBe(5);

    // A batch is numbered in its order, after everything before it.
    const { emitEvents } = await ws.secret.request(
      'mutation ($input: EmitEventsInput!) { emitEvents(input: $input) { ... on EmitEventsPayload { results { event { sequence } } } } }',
      { input: { events: [{ type: 'tick.tock' }, { type: 'tick.tock' }, { type: 'tick.tock' }] } },
    );
    const batch = emitEvents.results.map((result: { event: { sequence: number } }) => result.event.sequence);
    expect(batch).toEqual([batch[0], batch[0] + 1, batch[0] + 2]);
    expect(batch[0]).toBeGreaterThan(sequences.at(-1)!);
  });

  it('uses up no sequence number on a duplicate emit, single or in a batch, with or without a condition', async () => {
    // Without a condition, and with one that does not read the sequence, the write numbers the events itself.
    for (const condition of [undefined, 'sequence > 0', 'type = "tick.tock"']) {
      const ws = await server.seedWorkspace();
      if (condition) {
        const receiver = await startReceiver();
        await createRule(ws.secret, (await createWebhook(ws.secret, receiver.url('/'))).id, ['tick.*'], { condition });
        await receiver.close();
      }
      const batch = async (events: { type: string; idempotencyKey?: string }[]) => {
        const { emitEvents } = await ws.secret.request(
          `mutation ($input: EmitEventsInput!) { emitEvents(input: $input) {
             ... on EmitEventsPayload { results { duplicate event { id sequence } } } } }`,
          { input: { events } },
        );
        return emitEvents.results as { duplicate: boolean; event: { id: string; sequence: number } }[];
      };
      const first = await emit(ws.secret, { type: 'tick.tock', idempotencyKey: 'k1' });
      const again = await emit(ws.secret, { type: 'tick.tock', idempotencyKey: 'k1' });
      expect(again).toMatchObject({ duplicate: true, event: { id: first.event.id, sequence: first.event.sequence } });
      // A stored key, a key repeated within the batch, and new ones between them.
      const mixed = await batch([
        { type: 'tick.tock', idempotencyKey: 'k2' },
        { type: 'tick.tock', idempotencyKey: 'k1' },
        { type: 'tick.tock', idempotencyKey: 'k2' },
        { type: 'tick.tock' },
      ]);
      expect(mixed.map((result) => result.duplicate)).toEqual([false, true, true, false]);
      expect(mixed.map((result) => result.event.sequence)).toEqual([
        first.event.sequence + 1, first.event.sequence, first.event.sequence + 1, first.event.sequence + 2,
      ]);
      const next = await emit(ws.secret, { type: 'tick.tock', idempotencyKey: 'k3' });
      expect(next.event.sequence).toBe(first.event.sequence + 3);
    }
  });

  it('numbers an event before routing it when a condition may read its sequence', async () => {
    const ws = await server.seedWorkspace();
    const receiver = await startReceiver();
    const hook = await createWebhook(ws.secret, receiver.url('/odd'));
    await createRule(ws.secret, hook.id, ['tick.*'], { condition: 'sequence % 2 = 1' });
    const emitted = [];
    for (let i = 0; i < 4; i++) emitted.push((await emit(ws.secret, { type: 'tick.tock' })).event);
    expect(emitted.map((event) => event.deliveries.length)).toEqual(emitted.map((event) => (event.sequence % 2 === 1 ? 1 : 0)));
    await receiver.close();
  });

  it('refuses payloads that break the event type schema or the size cap, naming the field', async () => {
    const ws = await server.seedWorkspace();
    await ws.secret.request(
      `mutation ($input: UpsertEventTypeInput!) { upsertEventType(input: $input) { __typename } }`,
      { input: { name: 'order.completed', description: 'An order was paid', schema: { type: 'object', required: ['total'], properties: { total: { type: 'number' } } } } },
    );
    const { emitEvent } = await ws.secret.request(
      `mutation { emitEvent(input: { type: "order.completed", payload: { total: "lots" } }) {
         __typename ... on ValidationError { issues { path message } } } }`,
    );
    expect(emitEvent.__typename).toBe('ValidationError');
    expect(emitEvent.issues[0].path).toEqual(['input', 'payload', 'total']);

    const huge = await ws.secret.request(
      `mutation ($input: EmitEventInput!) { emitEvent(input: $input) { __typename ... on ValidationError { issues { path message } } } }`,
      { input: { type: 'blob.created', payload: { data: 'x'.repeat(300 * 1024) } } },
    );
    expect(huge.emitEvent.issues[0]).toMatchObject({ path: ['input', 'payload'], message: expect.stringContaining('SWITCHYARD_MAX_PAYLOAD_BYTES') });
    const { events } = await ws.secret.request('{ events { edges { node { id } } } }');
    expect(events.edges).toEqual([]);
  });

  it('accepts a batch all or nothing', async () => {
    const ws = await server.seedWorkspace();
    const batch = (events: unknown[]) => ws.publishable.request(
      `mutation ($input: EmitEventsInput!) { emitEvents(input: $input) {
         __typename ... on EmitEventsPayload { results { duplicate event { sequence } } }
         ... on ValidationError { issues { path message } } } }`,
      { input: { events } },
    );
    const refused = await batch([{ type: 'a.b' }, { type: 'Not Valid' }, { type: 'c.d' }]);
    expect(refused.emitEvents.issues.map((i: { path: string[] }) => i.path.join('.'))).toEqual(['input.events.1.type']);
    const accepted = await batch(Array.from({ length: 300 }, (_, i) => ({ type: 'item.added', payload: { i } })));
    expect(accepted.emitEvents.results).toHaveLength(300);
    const { events } = await ws.secret.request('{ events(first: 100) { edges { node { id } } } }');
    expect(events.edges).toHaveLength(100);
  });

  it('keeps the same webhook-id while signing with the old and the new secret during a rotation, and only the new once the old expired', async () => {
    const receiver = await startReceiver();
    const { ws, hook } = await workspaceWithWebhook(server, receiver.url('/'));
    const { rotateConnectionSecret } = await ws.secret.request(
      `mutation ($input: RotateConnectionSecretInput!) { rotateConnectionSecret(input: $input) {
         ... on RotateConnectionSecretPayload { signingSecret } } }`,
      { input: { connectionId: hook.id, expireCurrentInSeconds: 3600 } },
    );
    const { event } = await emit(ws.secret, { type: 'user.created' });
    await deliveryReaches(ws.secret, event.deliveries[0]!.id, 'SUCCEEDED');
    const [request] = receiver.requests;
    const headers = request!.headers as Record<string, string>;
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(() => new Webhook(hook.signingSecret).verify(request!.body, headers)).not.toThrow();
    expect(() => new Webhook(rotateConnectionSecret.signingSecret).verify(request!.body, headers)).not.toThrow();

    // Once the old secret is expired, only the newest signs.
    const ended = await ws.secret.request(
      `mutation ($input: RotateConnectionSecretInput!) { rotateConnectionSecret(input: $input) {
         ... on RotateConnectionSecretPayload { signingSecret } } }`,
      { input: { connectionId: hook.id, expireCurrentInSeconds: 0 } },
    );
    const later = await emit(ws.secret, { type: 'user.created' });
    await deliveryReaches(ws.secret, later.event.deliveries[0]!.id, 'SUCCEEDED');
    const last = receiver.requests.at(-1)!;
    const lastHeaders = last.headers as Record<string, string>;
    expect(lastHeaders['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(() => new Webhook(ended.rotateConnectionSecret.signingSecret).verify(last.body, lastHeaders)).not.toThrow();
    expect(() => new Webhook(rotateConnectionSecret.signingSecret).verify(last.body, lastHeaders)).toThrow();
    await receiver.close();
  });
});

describe('failures and retries', () => {
  it('retries a failing receiver with the same webhook-id until it succeeds', async () => {
    const receiver = await startReceiver();
    receiver.script(({ index }) => (index < 2 ? { status: 500, body: 'upstream down' } : { status: 204 }));
    const { ws } = await workspaceWithWebhook(server, receiver.url('/'), { retryScheduleSeconds: [0, 0.2, 0.2, 0.2] });
    const { event } = await emit(ws.secret, { type: 'user.created' });
    const delivery = await deliveryReaches(ws.secret, event.deliveries[0]!.id, 'SUCCEEDED');

    expect(delivery.attempts.map((a) => [a.attempt, a.status, a.statusCode])).toEqual([
      [1, 'FAILED', 500], [2, 'FAILED', 500], [3, 'SUCCEEDED', 204],
    ]);
    expect(delivery.attempts[0]!.responseExcerpt).toBe('upstream down');
    expect(new Set(receiver.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([delivery.id]));
    await receiver.close();
  });

  it('dead-letters after the last attempt and announces switchyard.delivery.exhausted', async () => {
    const ws = await server.seedWorkspace();
    const receiver = await startReceiver();
    receiver.script(({ request }) => (request.path === '/alerts' ? { status: 200 } : { status: 503 }));
    const failing = await createWebhook(ws.secret, receiver.url('/failing'), { retryScheduleSeconds: [0, 0.1] });
    const alerts = await createWebhook(ws.secret, receiver.url('/alerts'), { owner: 'OPERATOR' });
    await createRule(ws.secret, failing.id, ['*']);
    await createRule(ws.secret, alerts.id, ['switchyard.delivery.exhausted']);

    const { event } = await emit(ws.secret, { type: 'user.created' });
    const dead = await deliveryReaches(ws.secret, event.deliveries[0]!.id, 'DEAD');
    expect(dead.attempts).toHaveLength(2);
    expect(dead.lastError).toContain('503');

    const alert = await eventually(async () => receiver.requests.find((r) => r.path === '/alerts'), 10_000, 'the alert');
    const body = JSON.parse(alert.body);
    expect(body).toMatchObject({
      type: 'switchyard.delivery.exhausted',
      data: { deliveryId: dead.id, eventId: event.id, connectionId: failing.id, attempts: 2 },
    });
    const { deliveries } = await ws.secret.request('{ deliveries(filter: { status: DEAD }) { edges { node { id } } } }');
    expect(deliveries.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([dead.id]);
    await receiver.close();
  });

  it('waits as long as Retry-After asks on a 429', async () => {
    const receiver = await startReceiver();
    receiver.script(({ index }) => (index === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    const { ws } = await workspaceWithWebhook(server, receiver.url('/'), { retryScheduleSeconds: [0, 0.05, 0.05] });
    const { event } = await emit(ws.secret, { type: 'user.created' });
    await deliveryReaches(ws.secret, event.deliveries[0]!.id, 'SUCCEEDED');
    const [first, second] = receiver.requests;
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(950);
    await receiver.close();
  });

  it('disables the connection on 410 Gone and holds its deliveries until it is resumed', async () => {
    const receiver = await startReceiver();
    let gone = true;
    receiver.script(() => (gone ? { status: 410 } : { status: 200 }));
    const { ws, hook } = await workspaceWithWebhook(server, receiver.url('/'));
    const { event } = await emit(ws.secret, { type: 'user.created' });
    await eventually(async () => (await getDelivery(ws.secret, event.deliveries[0]!.id)).paused || undefined);
    const { connection } = await ws.secret.request(
      `query ($id: ID!) { connection(id: $id) { ... on Connection { status statusReason } } }`, { id: hook.id },
    );
    expect(connection.status).toBe('DISABLED');
    expect(connection.statusReason).toContain('410');

    gone = false;
    await setPaused(ws.secret, hook.id, false);
    const delivered = await deliveryReaches(ws.secret, event.deliveries[0]!.id, 'SUCCEEDED');
    expect(delivered.attempts.map((a) => a.statusCode)).toEqual([410, 200]);
    await receiver.close();
  });

  it('records timeouts, refused connections and redirects as failed attempts', async () => {
    const ws = await server.seedWorkspace();
    const receiver = await startReceiver();
    receiver.script(({ request }) =>
      request.path === '/hang' ? { hang: true } : request.path === '/moved' ? { status: 301, headers: { location: receiver.url('/elsewhere') } } : { status: 200 });
    const hang = await createWebhook(ws.secret, receiver.url('/hang'), { timeoutSeconds: 1, retryScheduleSeconds: [0] });
    const moved = await createWebhook(ws.secret, receiver.url('/moved'), { retryScheduleSeconds: [0] });
    const closed = await createWebhook(ws.secret, 'http://127.0.0.1:9/closed', { retryScheduleSeconds: [0] });
    for (const hook of [hang, moved, closed]) await createRule(ws.secret, hook.id, ['*']);

    const { event } = await emit(ws.secret, { type: 'user.created' });
    const byConnection = new Map(event.deliveries.map((d) => [d.connection.id, d.id]));
    const attemptOf = async (id: string) => (await deliveryReaches(ws.secret, byConnection.get(id)!, 'DEAD')).attempts[0]!;
    expect(await attemptOf(hang.id)).toMatchObject({ errorClass: 'TIMEOUT', statusCode: null });
    expect(await attemptOf(moved.id)).toMatchObject({ statusCode: 301 });
    expect(await attemptOf(closed.id)).toMatchObject({ errorClass: 'CONNECT' });
    expect(receiver.requests.some((r) => r.path === '/elsewhere')).toBe(false);
    await receiver.close();
  });

  it('fails a delivery whose transform breaks, with the reason on the attempt, and keeps the worker going', async () => {
    const ws = await server.seedWorkspace();
    const receiver = await startReceiver();
    const hook = await createWebhook(ws.secret, receiver.url('/'));
    await createRule(ws.secret, hook.id, ['*'], { transform: '$error("no body for " & type)' });
    const { event } = await emit(ws.secret, { type: 'user.created' });
    const dead = await deliveryReaches(ws.secret, event.deliveries[0]!.id, 'DEAD');
    expect(dead.attempts[0]).toMatchObject({ errorClass: 'EXPRESSION', error: expect.stringContaining('no body for user.created') });
    expect(receiver.requests).toHaveLength(0);
    await receiver.close();
  });
});
