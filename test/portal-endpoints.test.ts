import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { startTestServer } from './helpers/server.ts';
import { startReceiver } from './helpers/receiver.ts';
import { createRule, createWebhook, deliveryReaches, emit } from './helpers/fixtures.ts';
import { openPortalSession } from './helpers/portal.ts';
import { exampleOf } from '../src/domains/event-types/example-payload.ts';

const server = await startTestServer({ allowPrivateTargets: true });

const CREATE = `mutation ($input: CreateConnectionInput!) { createConnection(input: $input) {
  __typename
  ... on CreateConnectionPayload { signingSecret connection { id name description eventTypes signingSecretHint lastDelivery { id } } }
  ... on ValidationError { issues { path message } } } }`;

const UPDATE = `mutation ($input: UpdateConnectionInput!) { updateConnection(input: $input) {
  __typename ... on UpdateConnectionPayload { connection { eventTypes description } } ... on ValidationError { issues { path message } } } }`;

const ownSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

describe('an endpoint added from the portal', () => {
  it("is signed with the customer's own secret and delivered to the event types chosen", async () => {
    const ws = await server.seedWorkspace();
    const receiver = await startReceiver();
    const portal = server.as((await openPortalSession(ws.secret, { capabilities: ['MANAGE_ENDPOINTS'] })).token);
    const secret = ownSecret();
    const { createConnection } = await portal.request(CREATE, {
      input: {
        name: 'orders', description: 'Our order sync', kind: 'WEBHOOK', signingSecret: secret, eventTypes: ['order.*'],
        webhook: { url: receiver.url('/hooks'), headers: { Authorization: 'Bearer a-long-private-token-9876' } },
      },
    });
    expect(createConnection).toMatchObject({
      signingSecret: secret,
      connection: { name: 'orders', description: 'Our order sync', eventTypes: ['order.*'], signingSecretHint: `whsec_…${secret.slice(-4)}`, lastDelivery: null },
    });

    const ignored = await emit(ws.secret, { type: 'invoice.paid', payload: {} });
    expect(ignored.event.deliveries).toEqual([]);
    const { event } = await emit(ws.secret, { type: 'order.completed', resourceId: 'o_7', payload: { total: 7 } });
    const delivery = await deliveryReaches(ws.secret, event.deliveries[0]!.id, 'SUCCEEDED');
    const [request] = await receiver.waitForRequests(1);
    expect(new Webhook(secret).verify(request!.body, request!.headers as Record<string, string>)).toMatchObject({ data: { total: 7 } });

    const { delivery: seen } = await portal.request(
      `query ($id: ID!) { delivery(id: $id) { ... on Delivery { connection { lastDelivery { id } } attempts { requestHeaders requestBody } } } }`,
      { id: delivery.id },
    );
    expect(seen.connection.lastDelivery.id).toBe(delivery.id);
    const [attempt] = seen.attempts;
    expect(attempt.requestBody).toBe(request!.body);
    expect(attempt.requestHeaders).toMatchObject({
      'webhook-id': delivery.id,
      'webhook-timestamp': request!.headers['webhook-timestamp'],
      'webhook-signature': request!.headers['webhook-signature'],
      'content-type': 'application/json',
      authorization: '…9876',
    });
    expect(JSON.stringify(attempt.requestHeaders)).not.toContain('a-long-private-token');
    await receiver.close();
  });

  it('records the body a transform made, exactly as sent', async () => {
    const ws = await server.seedWorkspace();
    const receiver = await startReceiver();
    const hook = await createWebhook(ws.secret, receiver.url('/t'));
    await createRule(ws.secret, hook.id, ['order.*'], { transform: `{ "order": resourceId }` });
    const { event } = await emit(ws.secret, { type: 'order.completed', resourceId: 'o_8', payload: {} });
    await deliveryReaches(ws.secret, event.deliveries[0]!.id, 'SUCCEEDED');
    const [request] = await receiver.waitForRequests(1);
    const { delivery } = await ws.secret.request(
      `query ($id: ID!) { delivery(id: $id) { ... on Delivery { attempts { requestBody } } } }`,
      { id: event.deliveries[0]!.id },
    );
    expect(delivery.attempts[0].requestBody).toBe(request!.body);
    expect(JSON.parse(request!.body)).toEqual({ order: 'o_8' });
    await receiver.close();
  });

  it('refuses a signing secret that Standard Webhooks libraries would not accept, naming the field', async () => {
    const ws = await server.seedWorkspace();
    for (const signingSecret of ['whsec_short', 'secret', `whsec_${randomBytes(16).toString('base64')}`, `whsec_${randomBytes(65).toString('base64')}`]) {
      const { createConnection } = await ws.secret.request(CREATE, {
        input: { name: 'x', kind: 'WEBHOOK', signingSecret, webhook: { url: 'https://hooks.example.com/x' } },
      });
      expect(createConnection.issues, signingSecret).toEqual([{ path: ['input', 'signingSecret'], message: expect.stringContaining('whsec_') }]);
    }
  });

  it("refuses, from the portal, the delivery policy only the workspace's owner sets", async () => {
    const ws = await server.seedWorkspace();
    const portal = server.as((await openPortalSession(ws.secret)).token);
    const { createConnection } = await portal.request(CREATE, {
      input: { name: 'x', kind: 'WEBHOOK', webhook: { url: 'https://hooks.example.com/x' }, retryScheduleSeconds: [0], maxConcurrency: 500 },
    });
    expect(createConnection.issues.map((issue: { path: string[] }) => issue.path)).toEqual([
      ['input', 'retryScheduleSeconds'],
      ['input', 'maxConcurrency'],
    ]);
  });

  it('changes the event types of its own rule, and refuses when several rules route to it', async () => {
    const ws = await server.seedWorkspace();
    const hook = await createWebhook(ws.secret, 'https://hooks.example.com/x');
    const portal = server.as((await openPortalSession(ws.secret)).token);
    const first = await portal.request(UPDATE, { input: { id: hook.id, eventTypes: ['invoice.paid'], description: 'billing' } });
    expect(first.updateConnection.connection).toEqual({ eventTypes: ['invoice.paid'], description: 'billing' });
    const second = await portal.request(UPDATE, { input: { id: hook.id, eventTypes: ['invoice.*', 'order.completed'] } });
    expect(second.updateConnection.connection.eventTypes).toEqual(['invoice.*', 'order.completed']);
    await createRule(ws.secret, hook.id, ['user.*']);
    const refused = await portal.request(UPDATE, { input: { id: hook.id, eventTypes: ['*'] } });
    expect(refused.updateConnection.issues).toEqual([{ path: ['input', 'eventTypes'], message: expect.stringContaining('2 rules') }]);
  });

  it('reveals the current secret after a rotation', async () => {
    const ws = await server.seedWorkspace();
    const hook = await createWebhook(ws.secret, 'https://hooks.example.com/x');
    const portal = server.as((await openPortalSession(ws.secret)).token);
    const { rotateConnectionSecret } = await portal.request(
      `mutation ($id: ID!) { rotateConnectionSecret(input: { connectionId: $id, expireCurrentInSeconds: 3600 }) { ... on RotateConnectionSecretPayload { signingSecret } } }`,
      { id: hook.id },
    );
    expect(rotateConnectionSecret.signingSecret).not.toBe(hook.signingSecret);
    const { revealConnectionSecret } = await portal.request(
      `mutation ($id: ID!) { revealConnectionSecret(input: { connectionId: $id }) { ... on RevealConnectionSecretPayload { signingSecret } } }`,
      { id: hook.id },
    );
    expect(revealConnectionSecret.signingSecret).toBe(rotateConnectionSecret.signingSecret);
  });
});

describe('an event type example payload', () => {
  const UPSERT = `mutation ($input: UpsertEventTypeInput!) { upsertEventType(input: $input) { ... on UpsertEventTypePayload { eventType { examplePayload } } } }`;
  const EXAMPLE = `query ($name: String!) { eventType(name: $name) { ... on EventType { examplePayload } } }`;

  it("is made from the schema, then taken from the last event of the type once there is one", async () => {
    const ws = await server.seedWorkspace();
    const schema = {
      type: 'object',
      required: ['total'],
      properties: { total: { type: 'integer', minimum: 1 }, email: { type: 'string', format: 'email' }, tags: { type: 'array', items: { enum: ['new', 'vip'] } } },
    };
    const created = await ws.secret.request(UPSERT, { input: { name: 'order.completed', schema } });
    expect(created.upsertEventType.eventType.examplePayload).toEqual({ total: 1, email: 'customer@example.com', tags: ['new'] });
    await emit(ws.secret, { type: 'order.completed', payload: { total: 250, tags: ['vip'] } });
    const portal = server.as((await openPortalSession(ws.secret, { capabilities: ['VIEW'] })).token);
    expect((await portal.request(EXAMPLE, { name: 'order.completed' })).eventType.examplePayload).toEqual({ total: 250, tags: ['vip'] });
  });

  it("prefers the schema's own example", () => {
    expect(exampleOf({ type: 'object', examples: [{ id: 'o_1' }], properties: { id: { type: 'string' } } }, 0)).toEqual({ id: 'o_1' });
    expect(exampleOf({ type: 'string', minLength: 10 }, 0)).toHaveLength(10);
    expect(exampleOf({ anyOf: [{ type: 'number', exclusiveMinimum: 3 }] }, 0)).toBe(3.5);
  });
});
