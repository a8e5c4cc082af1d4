import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { createClient, verifyWebhook, SwitchyardNotFoundError, SwitchyardValidationError, type EmittedEvent, type SwitchyardClient } from '../sdk/src/index.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { startReceiver, type Receiver } from './helpers/receiver.ts';
import { eventually } from './helpers/fixtures.ts';

let server: TestServer;
let receiver: Receiver;
const clients: SwitchyardClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ allowPrivateTargets: true });
  receiver = await startReceiver();
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await receiver?.close();
});

async function workspace() {
  const seeded = await server.seedWorkspace();
  const client = createClient({ url: server.switchyard.url!, apiKey: seeded.secretKey });
  clients.push(client);
  return { ...seeded, client };
}

const received = (path: string) => receiver.requests.filter((request) => request.path === path);

describe('sendTestEvent', () => {
  it('delivers a signed test event to that one connection, marked as a test, outside the rules and the sequence', async () => {
    const { id, client } = await workspace();
    const target = await client.connections.create({ name: 'target', kind: 'WEBHOOK', webhook: { url: receiver.url(`/${id}/target`) } });
    const bystander = await client.connections.create({ name: 'bystander', kind: 'WEBHOOK', webhook: { url: receiver.url(`/${id}/bystander`) } });
    for (const connection of [target, bystander]) {
      await client.rules.create({ name: `all to ${connection.connection.name}`, eventTypes: ['*'], connectionId: connection.connection.id });
    }

    const sent = await client.connections.sendTestEvent(target.connection.id, { type: 'order.completed', payload: { total: 42 } });
    expect(sent.event).toMatchObject({ type: 'order.completed', payload: { total: 42 }, sequence: 0, test: true });
    expect(sent.delivery).toMatchObject({ status: 'PENDING', test: true, connection: { id: target.connection.id }, rule: null });

    const delivered = await eventually(async () => {
      const delivery = await client.deliveries.get(sent.delivery.id);
      return delivery.status === 'SUCCEEDED' ? delivery : undefined;
    });
    expect(delivered.attempts).toEqual([expect.objectContaining({ attempt: 1, status: 'SUCCEEDED', statusCode: 200 })]);

    const [request] = received(`/${id}/target`);
    expect(request!.headers['webhook-id']).toBe(sent.delivery.id);
    const body = { id: sent.event.id, type: 'order.completed', timestamp: expect.any(String), resource: null, resourceId: null, sequence: 0, data: { total: 42 }, test: true };
    expect(verifyWebhook(request!.body, request!.headers, target.signingSecret!)).toEqual(body);
    expect(new Webhook(target.signingSecret!).verify(request!.body, request!.headers as Record<string, string>)).toEqual(body);
    expect(received(`/${id}/bystander`)).toEqual([]);

    // Real traffic is unmarked and numbered from 1: the test took no number.
    const { event } = (await client.emit({ type: 'order.completed', payload: { total: 1 } })) as EmittedEvent;
    expect(event).toMatchObject({ sequence: 1, test: false });
    expect(event.deliveries.map((delivery) => delivery.test)).toEqual([false, false]);
    await eventually(async () => (received(`/${id}/target`).length === 2 ? true : undefined));
    expect(JSON.parse(received(`/${id}/target`)[1]!.body)).not.toHaveProperty('test');
  });

  it("sends the event type's first schema example when no payload is given, and checks a payload that is", async () => {
    const { id, client } = await workspace();
    const { connection } = await client.connections.create({ name: 'hook', kind: 'WEBHOOK', webhook: { url: receiver.url(`/${id}`) } });
    await client.eventTypes.upsert({
      name: 'invoice.paid',
      schema: { type: 'object', required: ['amount'], properties: { amount: { type: 'number' } }, examples: [{ amount: 990 }] },
    });
    const sent = await client.connections.sendTestEvent(connection.id, { type: 'invoice.paid' });
    expect(sent.event.payload).toEqual({ amount: 990 });
    expect((await client.connections.sendTestEvent(connection.id, { type: 'user.created' })).event.payload).toEqual({});

    const refused = await client.connections.sendTestEvent(connection.id, { type: 'invoice.paid', payload: { amount: 'lots' } }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SwitchyardValidationError);
    expect((refused as SwitchyardValidationError).issues[0]!.path).toEqual(['input', 'payload', 'amount']);
    const reserved = await client.connections.sendTestEvent(connection.id, { type: 'switchyard.delivery.exhausted' }).catch((error: unknown) => error);
    expect((reserved as SwitchyardValidationError).issues[0]!.path).toEqual(['input', 'type']);
  });

  it("waits while the connection is paused, and reaches no other workspace's connection", async () => {
    const { id, client, publishableKey } = await workspace();
    const { connection } = await client.connections.create({ name: 'hook', kind: 'WEBHOOK', webhook: { url: receiver.url(`/${id}/paused`) } });
    await client.connections.pause(connection.id);
    const sent = await client.connections.sendTestEvent(connection.id, { type: 'order.completed' });
    expect(sent.delivery).toMatchObject({ status: 'PENDING', paused: true });
    await client.connections.resume(connection.id);
    await eventually(async () => ((await client.deliveries.get(sent.delivery.id)).status === 'SUCCEEDED' ? true : undefined));

    const other = await workspace();
    await expect(other.client.connections.sendTestEvent(connection.id, { type: 'order.completed' })).rejects.toBeInstanceOf(SwitchyardNotFoundError);
    const publishable = createClient({ url: server.switchyard.url!, apiKey: publishableKey });
    clients.push(publishable);
    await expect(publishable.connections.sendTestEvent(connection.id, { type: 'order.completed' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
