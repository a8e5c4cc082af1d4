import { describe, expect, it } from 'vitest';
import { startTestServer } from './helpers/server.ts';
import { startReceiver } from './helpers/receiver.ts';
import { createRule, createWebhook, emit, eventually, getDelivery, workspaceWithWebhook } from './helpers/fixtures.ts';

// Small thresholds so a test can watch a connection go from failing to disabled: three failures
// in a row alert, two seconds without a success disable. Retries 0.2 s apart pass the threshold
// well before the window ends.
const server = await startTestServer({ allowPrivateTargets: true, failureAlertThreshold: 3, disableAfterSeconds: 2 });
// The default window, so a streak that a success ends is never cut short by a disable.
const patient = await startTestServer({ allowPrivateTargets: true, failureAlertThreshold: 3 });

describe('connection health', () => {
  it('alerts once after N failures in a row and disables a connection that keeps failing, saying why', async () => {
    const ws = await server.seedWorkspace();
    const receiver = await startReceiver();
    receiver.script(({ request }) => (request.path === '/alerts' ? { status: 200 } : { status: 500, body: 'still broken' }));
    const broken = await createWebhook(ws.secret, receiver.url('/broken'), { retryScheduleSeconds: Array(20).fill(0.2) });
    const alerts = await createWebhook(ws.secret, receiver.url('/alerts'), { owner: 'OPERATOR' });
    await createRule(ws.secret, broken.id, ['*']);
    await createRule(ws.secret, alerts.id, ['switchyard.connection.*']);

    const { event } = await emit(ws.secret, { type: 'user.created' });
    const alertTypes = async () =>
      receiver.requests.filter((r) => r.path === '/alerts').map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> });
    const received = await eventually(async () => {
      const seen = await alertTypes();
      return seen.length >= 2 ? seen : undefined;
    }, 15_000, 'two alerts');
    const failing = received.find((alert) => alert.type === 'switchyard.connection.failing');
    const disabled = received.find((alert) => alert.type === 'switchyard.connection.disabled');

    expect(failing).toMatchObject({
      type: 'switchyard.connection.failing',
      data: { connectionId: broken.id, consecutiveFailures: 3, lastFailureReason: expect.stringContaining('500') },
    });
    expect(disabled).toMatchObject({ type: 'switchyard.connection.disabled', data: { connectionId: broken.id, reason: expect.stringContaining('500') } });

    const { connection } = await ws.secret.request(
      `query ($id: ID!) { connection(id: $id) { ... on Connection { status statusReason consecutiveFailures lastFailureReason } } }`,
      { id: broken.id },
    );
    expect(connection).toMatchObject({ status: 'DISABLED', statusReason: expect.stringContaining('without a success') });
    const delivery = await getDelivery(ws.secret, event.deliveries[0]!.id);
    expect(delivery).toMatchObject({ status: 'RETRYING', paused: true });
    const attemptsAtDisable = delivery.attempts.length;
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect((await getDelivery(ws.secret, delivery.id)).attempts).toHaveLength(attemptsAtDisable);
    expect((await alertTypes()).filter((alert) => alert.type === 'switchyard.connection.failing')).toHaveLength(1);
    await receiver.close();
  });

  it('starts counting afresh after a success', async () => {
    const receiver = await startReceiver();
    receiver.script(({ index }) => (index < 2 ? { status: 500 } : { status: 200 }));
    const { ws, hook } = await workspaceWithWebhook(patient, receiver.url('/'), { retryScheduleSeconds: [0, 0.1, 0.1] });
    await emit(ws.secret, { type: 'user.created' });
    await receiver.waitForRequests(3);
    const connection = await eventually(async () => {
      const { connection } = await ws.secret.request(
        `query ($id: ID!) { connection(id: $id) { ... on Connection { status consecutiveFailures failingSince } } }`, { id: hook.id });
      return connection.consecutiveFailures === 0 ? connection : undefined;
    });
    expect(connection).toEqual({ status: 'ACTIVE', consecutiveFailures: 0, failingSince: null });
    await receiver.close();
  });

  it('counts failures since the last success in the order attempts finish, with many in flight at once', async () => {
    // Ten attempts in flight together, answered one by one in this order (F failed, S succeeded),
    // each once the one before is recorded: never three failures in a row, two since the last success.
    const outcomes = 'FSFFSFFSFF';
    const receiver = await startReceiver();
    const answers = Array.from(outcomes, () => Promise.withResolvers<void>());
    receiver.script(({ index }) => ({ status: outcomes[index] === 'S' ? 200 : 500, until: answers[index]!.promise }));
    const { ws, hook } = await workspaceWithWebhook(patient, receiver.url('/'), { maxConcurrency: 10, retryScheduleSeconds: [0] });
    await ws.secret.request(
      `mutation ($input: EmitEventsInput!) { emitEvents(input: $input) { __typename } }`,
      { input: { events: Array.from({ length: outcomes.length }, (_, i) => ({ type: 'user.created', payload: { i } })) } },
    );
    await receiver.waitForRequests(outcomes.length, 10_000);
    const finished = async () => {
      const { deliveries } = await ws.secret.request(`{ deliveries(first: 20) { edges { node { status } } } }`);
      return deliveries.edges.filter((edge: { node: { status: string } }) => ['SUCCEEDED', 'DEAD'].includes(edge.node.status)).length as number;
    };
    for (const [index, answer] of answers.entries()) {
      answer.resolve();
      await eventually(async () => ((await finished()) === index + 1 ? true : undefined), 10_000, `attempt ${index + 1} to be recorded`);
    }

    const { connection } = await ws.secret.request(
      `query ($id: ID!) { connection(id: $id) { ... on Connection { consecutiveFailures } } }`, { id: hook.id });
    expect(connection.consecutiveFailures).toBe(2);
    const { events } = await ws.secret.request(
      `{ events(filter: { type: "switchyard.connection.failing" }) { edges { node { id } } } }`);
    expect(events.edges).toEqual([]);
    await receiver.close();
  });
});
