import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeId } from '../src/domains/public-ids.ts';
import { startTestServer, type SeededWorkspace } from './helpers/server.ts';
import { startReceiver, type Receiver } from './helpers/receiver.ts';
import { createRule, createWebhook, emit, eventually } from './helpers/fixtures.ts';

const server = await startTestServer({ allowPrivateTargets: true });
const db = new pg.Pool({ connectionString: server.databaseUrl, max: 2 });
afterAll(() => db.end());

let ws: SeededWorkspace;
let receiver: Receiver;

beforeAll(async () => {
  ws = await server.seedWorkspace();
  receiver = await startReceiver();
  receiver.script(() => ({ status: 200 }));
  const { id } = await createWebhook(ws.secret, receiver.url('/in'));
  await createRule(ws.secret, id, ['order.*']);
  return () => receiver.close();
});

/** How the events table holds an event's payload: the JSON it stores, or SQL NULL (removed). */
async function storedPayload(eventId: string): Promise<{ sqlNull: boolean; json: string | null }> {
  const { rows: [row] } = await db.query<{ sql_null: boolean; json: string | null }>(
    'select payload is null as sql_null, payload::text as json from events where id = $1', [decodeId('Event', eventId)]);
  return { sqlNull: row!.sql_null, json: row!.json };
}

describe('an event emitted with a null payload', () => {
  it('is stored as the JSON value null, not as a removed payload, alone or in a batch', async () => {
    const single = await emit(ws.secret, { type: 'order.placed', payload: null });
    expect(await storedPayload(single.event.id)).toEqual({ sqlNull: false, json: 'null' });

    const { emitEvents } = await ws.secret.request(
      `mutation ($input: EmitEventsInput!) { emitEvents(input: $input) { __typename ... on EmitEventsPayload { results { event { id } } } } }`,
      { input: { events: [{ type: 'order.placed', payload: { a: 1 } }, { type: 'order.placed', payload: null }, { type: 'order.placed', payload: [null] }] } },
    );
    const [first, second, third] = emitEvents.results.map((result: { event: { id: string } }) => result.event.id);
    expect(await storedPayload(first)).toEqual({ sqlNull: false, json: '{"a": 1}' });
    expect(await storedPayload(second)).toEqual({ sqlNull: false, json: 'null' });
    expect(await storedPayload(third)).toEqual({ sqlNull: false, json: '[null]' });

    const { event } = await ws.secret.request('query ($id: ID!) { event(id: $id) { ... on Event { payload payloadRemovedAt } } }', { id: second });
    expect(event).toEqual({ payload: null, payloadRemovedAt: null });
  });

  it('is delivered with "data": null', async () => {
    await emit(ws.secret, { type: 'order.shipped', payload: null });
    // The earlier test's deliveries may still be arriving: this one is told by its type.
    const body = await eventually(async () => receiver.requests
      .map((request) => JSON.parse(request.body) as { type: string; data: unknown })
      .find((sent) => sent.type === 'order.shipped'), 15_000, 'the order.shipped delivery');
    expect(body).toMatchObject({ type: 'order.shipped', data: null });
    expect('data' in body).toBe(true);
  });
});
