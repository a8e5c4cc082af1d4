import { describe, expect, it } from 'vitest';
import { startTestServer } from './helpers/server.ts';
import { startReceiver } from './helpers/receiver.ts';
import { createRule, createWebhook, setPaused, deliveryReaches, emit, eventually, workspaceWithWebhook } from './helpers/fixtures.ts';

const server = await startTestServer({ allowPrivateTargets: true });

describe('replaying dead deliveries', () => {
  it('replays one dead delivery as a new attempt chain with the same webhook-id', async () => {
    const receiver = await startReceiver();
    let up = false;
    receiver.script(() => ({ status: up ? 200 : 500 }));
    const { ws } = await workspaceWithWebhook(server, receiver.url('/'), { retryScheduleSeconds: [0] });
    const { event } = await emit(ws.secret, { type: 'user.created' });
    const id = event.deliveries[0]!.id;
    await deliveryReaches(ws.secret, id, 'DEAD');

    up = true;
    const { replayDelivery } = await ws.secret.request(
      `mutation ($input: ReplayDeliveryInput!) { replayDelivery(input: $input) {
         __typename ... on ReplayDeliveryPayload { delivery { id status } } } }`,
      { input: { deliveryId: id } },
    );
    expect(replayDelivery.delivery).toEqual({ id, status: 'PENDING' });
    const delivered = await deliveryReaches(ws.secret, id, 'SUCCEEDED');
    expect(delivered.replays).toBe(1);
    expect(delivered.attempts.map((a) => [a.replay, a.attempt, a.status])).toEqual([[0, 1, 'FAILED'], [1, 1, 'SUCCEEDED']]);
    expect(receiver.requests.map((r) => r.headers['webhook-id'])).toEqual([id, id]);
    await receiver.close();
  });

  it('refuses to replay a delivery that is still queued', async () => {
    const receiver = await startReceiver();
    const { ws, hook } = await workspaceWithWebhook(server, receiver.url('/'));
    await setPaused(ws.secret, hook.id, true);
    const { event } = await emit(ws.secret, { type: 'user.created' });
    const { replayDelivery } = await ws.secret.request(
      `mutation ($input: ReplayDeliveryInput!) { replayDelivery(input: $input) { __typename ... on ConflictError { path } } }`,
      { input: { deliveryId: event.deliveries[0]!.id } },
    );
    expect(replayDelivery).toEqual({ __typename: 'ConflictError', path: ['input', 'deliveryId'] });
    await receiver.close();
  });

  it('replays every dead delivery of a filter exactly once, across batches', async () => {
    const ws = await server.seedWorkspace();
    const receiver = await startReceiver();
    let up = false;
    receiver.script(({ request }) => ({ status: up || request.path === '/other' ? 200 : 500 }));
    const hook = await createWebhook(ws.secret, receiver.url('/'), { retryScheduleSeconds: [0] });
    const other = await createWebhook(ws.secret, receiver.url('/other'), { retryScheduleSeconds: [0] });
    await createRule(ws.secret, hook.id, ['*']);
    await createRule(ws.secret, other.id, ['*']);
    const total = 520; // more than one batch of 500
    for (let offset = 0; offset < total; offset += 260) {
      await ws.secret.request(
        `mutation ($input: EmitEventsInput!) { emitEvents(input: $input) { __typename } }`,
        { input: { events: Array.from({ length: 260 }, (_, i) => ({ type: 'item.added', payload: { i: offset + i } })) } },
      );
    }
    const countDead = async () => {
      const { deliveries } = await ws.secret.request(
        `query ($id: ID) { deliveries(first: 1, filter: { status: DEAD, connectionId: $id }) { edges { node { id } } } }`,
        { id: hook.id },
      );
      return deliveries.edges.length;
    };
    await eventually(async () => (receiver.requests.filter((r) => r.path === '/').length === total && (await countDead()) === 1 ? true : undefined), 30_000, 'all deliveries to die');
    // Every attempt recorded, not only sent: none still in flight or waiting for a retry.
    const unfinished = async (status: string) => {
      const { deliveries } = await ws.secret.request(
        `query ($id: ID, $status: DeliveryStatus) { deliveries(first: 1, filter: { status: $status, connectionId: $id }) { edges { node { id } } } }`,
        { id: hook.id, status },
      );
      return deliveries.edges.length;
    };
    await eventually(async () => ((await unfinished('DELIVERING')) + (await unfinished('RETRYING')) + (await unfinished('PENDING')) === 0 ? true : undefined));

    up = true;
    const before = receiver.requests.length;
    const { replayDeliveries } = await ws.secret.request(
      `mutation ($input: ReplayDeliveriesInput!) { replayDeliveries(input: $input) { ... on ReplayDeliveriesPayload { count } } }`,
      { input: { filter: { status: 'DEAD', connectionId: hook.id } } },
    );
    expect(replayDeliveries.count).toBe(total);
    await eventually(async () => (receiver.requests.length - before >= total ? true : undefined), 30_000, 'the replays');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const replayed = receiver.requests.slice(before);
    expect(replayed.every((r) => r.path === '/')).toBe(true);
    expect(new Set(replayed.map((r) => r.headers['webhook-id'])).size).toBe(total);
    expect(replayed).toHaveLength(total);
    expect(await countDead()).toBe(0);
    await receiver.close();
  }, 90_000);
});
