import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeId } from '../src/domains/public-ids.ts';
import { createRule, createWebhook, deliveryReaches, emit, eventually, getDelivery, workspaceWithWebhook } from './helpers/fixtures.ts';
import { startReceiver } from './helpers/receiver.ts';
import { startTestServer } from './helpers/server.ts';

const server = await startTestServer({ allowPrivateTargets: true });
const receiver = await startReceiver();
const db = new pg.Pool({ connectionString: server.databaseUrl, max: 2 });
afterAll(async () => {
  await db.end();
  await receiver.close();
});

const REPLAY = `mutation ($id: ID!) { replayDelivery(input: { deliveryId: $id }) {
  __typename ... on ReplayDeliveryPayload { delivery { status } } ... on ConflictError { message path } } }`;
const REPLAY_ALL = `mutation ($filter: DeliveryFilter) { replayDeliveries(input: { filter: $filter }) {
  __typename ... on ReplayDeliveriesPayload { count skipped } } }`;
const ERASE = `mutation ($id: String!) { eraseResource(input: { resource: "customer", resourceId: $id }) {
  ... on EraseResourcePayload { events payloads deliveriesStopped } } }`;

/** A workspace whose connection answers 500 once: each emit ends DEAD after one attempt. */
async function deadDeliveries(path: string, resourceIds: string[]) {
  const { ws, hook } = await workspaceWithWebhook(server, receiver.url(path), { retryScheduleSeconds: [0] });
  const ids: string[] = [];
  for (const resourceId of resourceIds) {
    const { event } = await emit(ws.secret, { type: 'customer.updated', resource: 'customer', resourceId, payload: { email: `${resourceId}@example.com` } });
    ids.push(event.deliveries[0]!.id);
  }
  for (const id of ids) await deliveryReaches(ws.secret, id, 'DEAD');
  return { ws, hook, ids };
}

describe('replaying deliveries whose payload is gone', () => {
  it('refuses to replay a delivery whose payload was erased, or removed by retention, saying which', async () => {
    receiver.script({ '/gone': { status: 500 } });
    const { ws, ids } = await deadDeliveries('/gone', ['cus_erased', 'cus_expired', 'cus_kept']);
    const [erased, expired, kept] = ids as [string, string, string];
    await ws.secret.request(ERASE, { id: 'cus_erased' });
    // As the retention task leaves an event past its payload age.
    await db.query(`update events set payload = null, payload_removed_at = now(), payload_removed_by = 'EXPIRED' where resource_id = 'cus_expired'`);
    const sent = receiver.requests.length;

    const refusedErased = (await ws.secret.request(REPLAY, { id: erased })).replayDelivery;
    expect(refusedErased).toEqual({
      __typename: 'ConflictError', path: ['input', 'deliveryId'],
      message: expect.stringMatching(/^the event's payload was erased \(eraseResource\) on \S+, so there is nothing left to send$/),
    });
    const refusedExpired = (await ws.secret.request(REPLAY, { id: expired })).replayDelivery;
    expect(refusedExpired.message).toMatch(/^the event's payload was removed by the workspace's retention \(payloadRetentionDays\) on /);
    // Unselected, the refusal still reads as an error, not as an empty object.
    const unselected = await ws.secret.raw(`mutation ($id: ID!) { replayDelivery(input: { deliveryId: $id }) { ... on ReplayDeliveryPayload { delivery { id } } } }`, { id: erased });
    expect(unselected.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', path: ['input', 'deliveryId'] });

    receiver.script({ '/gone': { status: 200 } });
    expect((await ws.secret.request(REPLAY, { id: kept })).replayDelivery.__typename).toBe('ReplayDeliveryPayload');
    await deliveryReaches(ws.secret, kept, 'SUCCEEDED');
    expect((await getDelivery(ws.secret, erased)).status).toBe('DEAD');
    expect((await getDelivery(ws.secret, expired)).status).toBe('DEAD');
    expect(receiver.requests.length - sent).toBe(1);
  });

  it('leaves them out of a bulk replay and says how many it skipped', async () => {
    receiver.script({ '/bulk': { status: 500 } });
    const { ws, ids } = await deadDeliveries('/bulk', ['cus_b1', 'cus_b2', 'cus_b3', 'cus_b4']);
    await ws.secret.request(ERASE, { id: 'cus_b2' });
    await ws.secret.request(ERASE, { id: 'cus_b4' });
    receiver.script({ '/bulk': { status: 200 } });
    const sent = receiver.requests.length;

    expect((await ws.secret.request(REPLAY_ALL, { filter: { status: 'DEAD' } })).replayDeliveries).toEqual({
      __typename: 'ReplayDeliveriesPayload', count: 2, skipped: 2,
    });
    await deliveryReaches(ws.secret, ids[0]!, 'SUCCEEDED');
    await deliveryReaches(ws.secret, ids[2]!, 'SUCCEEDED');
    expect((await getDelivery(ws.secret, ids[1]!)).status).toBe('DEAD');
    expect((await getDelivery(ws.secret, ids[3]!)).status).toBe('DEAD');
    expect(receiver.requests.slice(sent).map((request) => JSON.parse(request.body).resourceId).sort()).toEqual(['cus_b1', 'cus_b3']);
    // Nothing is left to replay but what cannot be.
    expect((await ws.secret.request(REPLAY_ALL, { filter: { status: 'DEAD' } })).replayDeliveries).toMatchObject({ count: 0, skipped: 2 });
  });

  it('does not retry with an empty body a delivery that was in flight when its event was erased', async () => {
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    receiver.script({ '/inflight': { status: 500, until: answered } });
    const ws = await server.seedWorkspace();
    const hook = await createWebhook(ws.secret, receiver.url('/inflight'), { retryScheduleSeconds: [0, 1, 1] });
    await createRule(ws.secret, hook.id, ['customer.*']);
    const { event } = await emit(ws.secret, { type: 'customer.updated', resource: 'customer', resourceId: 'cus_flight', payload: { email: 'flight@example.com' } });
    const id = event.deliveries[0]!.id;
    await eventually(async () => (receiver.inFlight > 0 ? true : undefined));

    // In flight, so not stopped by the erasure: its attempt finishes as it will.
    expect((await ws.secret.request(ERASE, { id: 'cus_flight' })).eraseResource).toEqual({ events: 1, payloads: 1, deliveriesStopped: 0 });
    answer();
    const dead = await deliveryReaches(ws.secret, id, 'DEAD');
    expect(dead.attempts.map((attempt) => [attempt.attempt, attempt.statusCode, attempt.errorClass])).toEqual([
      [1, 500, 'HTTP'],
      [2, null, 'PAYLOAD_REMOVED'],
    ]);
    expect(dead.attempts[1]!.error).toMatch(/^not sent: the event's payload was removed on \S+ \(eraseResource or retention\), so there is nothing left to send$/);
    expect(receiver.requests.filter((request) => request.path === '/inflight')).toHaveLength(1);
    // It did not count against the connection's health.
    const { rows: [connection] } = await db.query('select consecutive_failures from connections where id = $1', [decodeId('Connection', hook.id)]);
    expect(connection!.consecutive_failures).toBe(1);
  });
});
