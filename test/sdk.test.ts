import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import {
  createClient,
  verifyWebhook,
  SwitchyardAuthError,
  SwitchyardConflictError,
  SwitchyardNotFoundError,
  SwitchyardValidationError,
  type EmittedEvent,
  type SwitchyardClient,
} from '../sdk/src/index.ts';
import { defaultConfig } from '../src/config.ts';
import { startSwitchyard, type Switchyard } from '../src/switchyard.ts';
import { createTestDatabase } from './helpers/database.ts';
import { spawnSwitchyard, type SwitchyardProcess } from './helpers/child-process.ts';
import { startReceiver, type Receiver } from './helpers/receiver.ts';
import { ADMIN_KEY, TEST_ENCRYPTION_KEYS } from './helpers/server.ts';
import { take, untilSubscribed } from './helpers/streams.ts';

// The API serves in this process; the worker that makes the attempts runs in another, against the
// same database, so what the subscriber sees has crossed processes through Postgres.
let api: Switchyard;
let worker: SwitchyardProcess;
let receiver: Receiver;
let url: string;
const clients: SwitchyardClient[] = [];

beforeAll(async () => {
  const databaseUrl = await createTestDatabase();
  [api, worker, receiver] = await Promise.all([
    startSwitchyard(defaultConfig({ databaseUrl, port: 0, adminKey: ADMIN_KEY, encryptionKeys: TEST_ENCRYPTION_KEYS, role: 'api', logLevel: 'silent', allowPrivateTargets: true })),
    spawnSwitchyard({
      DATABASE_URL: databaseUrl,
      SWITCHYARD_ROLE: 'worker',
      SWITCHYARD_ADMIN_KEY: ADMIN_KEY,
      SWITCHYARD_ALLOW_PRIVATE_TARGETS: 'true',
    }),
    startReceiver(),
  ]);
  url = api.url!;
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await Promise.all([worker?.stop(), receiver?.close()]);
  await api?.stop();
});

let named = 0;
const unique = (prefix: string) => `${prefix}-${++named}-${Date.now()}`;

/** A new workspace and an SDK client with its secret key, the way a product would start. */
async function newWorkspace() {
  const admin = createClient({ url, apiKey: ADMIN_KEY });
  const created = await admin.workspaces.create({ name: unique('sdk'), environment: 'test' });
  const client = createClient({ url, apiKey: created.secretKey });
  clients.push(client);
  return { ...created, client };
}

describe('the SDK against a running Switchyard', () => {
  it('streams the attempts a worker in another process makes, live over graphql-ws', async () => {
    const { workspace, client } = await newWorkspace();
    const path = `/${unique('hook')}`;
    receiver.script(({ request, index }) =>
      request.path === path && receiver.requests.filter((r) => r.path === path).length === 1 && index >= 0
        ? { status: 500, body: 'not yet' }
        : { status: 200, body: 'thanks' },
    );
    const { connection, signingSecret } = await client.connections.create({
      name: unique('orders'),
      kind: 'WEBHOOK',
      webhook: { url: receiver.url(path) },
      retryScheduleSeconds: [0, 1],
    });
    await client.rules.create({ name: unique('rule'), eventTypes: ['order.*'], connectionId: connection.id });

    const attempts = await client.deliveries.subscribe({ connectionId: connection.id });
    const updates = await client.deliveries.subscribe({ connectionId: connection.id, status: 'SUCCEEDED' }, { to: 'updates' });
    await untilSubscribed(api.services.deliveryFeed, workspace.id, 2);

    const { event } = (await client.emit({ type: 'order.completed', resource: 'order', resourceId: 'ord_1', payload: { total: 42 } })) as EmittedEvent;
    expect(event.deliveries).toHaveLength(1);
    const deliveryId = event.deliveries[0]!.id;

    const [first, second] = await take(attempts, 2);
    expect(first).toMatchObject({ attempt: 1, status: 'FAILED', statusCode: 500, responseExcerpt: 'not yet' });
    expect(second).toMatchObject({ attempt: 2, status: 'SUCCEEDED', statusCode: 200 });
    for (const attempt of [first!, second!]) {
      expect(attempt.delivery.id).toBe(deliveryId);
      expect(attempt.event).toMatchObject({ id: event.id, type: 'order.completed', resourceId: 'ord_1', payload: { total: 42 } });
    }
    expect(second!.delivery).toMatchObject({ status: 'SUCCEEDED', attemptCount: 2 });

    const [succeeded] = await take(updates, 1);
    expect(succeeded).toMatchObject({ id: deliveryId, status: 'SUCCEEDED' });

    // What arrived is a Standard Webhooks request both verifiers accept, with the same webhook-id twice.
    const received = receiver.requests.filter((request) => request.path === path);
    expect(received.map((request) => request.headers['webhook-id'])).toEqual([deliveryId, deliveryId]);
    for (const request of received) {
      expect(verifyWebhook(request.body, request.headers, signingSecret!)).toMatchObject({ id: event.id, data: { total: 42 } });
      expect(new Webhook(signingSecret!).verify(request.body, request.headers as Record<string, string>)).toBeTruthy();
    }
    await Promise.all([attempts.close(), updates.close()]);
  });

  it('replays a dead delivery and streams the new attempt chain', async () => {
    const { workspace, client } = await newWorkspace();
    const path = `/${unique('dead')}`;
    let healthy = false;
    receiver.script(({ request }) => (request.path === path && !healthy ? { status: 503 } : { status: 204 }));
    const { connection } = await client.connections.create({
      name: unique('flaky'),
      kind: 'WEBHOOK',
      webhook: { url: receiver.url(path) },
      retryScheduleSeconds: [0],
    });
    await client.rules.create({ name: unique('rule'), eventTypes: ['invoice.paid'], connectionId: connection.id });
    const attempts = await client.deliveries.subscribe({ connectionId: connection.id });
    const updates = await client.deliveries.subscribe({ connectionId: connection.id }, { to: 'updates' });
    await untilSubscribed(api.services.deliveryFeed, workspace.id, 2);

    const { event } = (await client.emit({ type: 'invoice.paid', payload: {} })) as EmittedEvent;
    const [failed] = await take(attempts, 1);
    expect(failed).toMatchObject({ status: 'FAILED', statusCode: 503, replay: 0, delivery: { status: 'DEAD' } });
    // Updates show the delivery as it was created, then as its one attempt left it.
    expect((await take(updates, 2)).map((delivery) => delivery.status)).toEqual(['PENDING', 'DEAD']);
    expect((await client.deliveries.list({ status: 'DEAD', connectionId: connection.id })).data.map((d) => d.id)).toEqual([
      event.deliveries[0]!.id,
    ]);

    healthy = true;
    const replayed = await client.deliveries.replay(event.deliveries[0]!.id);
    expect(replayed).toMatchObject({ id: event.deliveries[0]!.id, status: 'PENDING', replays: 1 });
    const [again] = await take(attempts, 1);
    expect(again).toMatchObject({ status: 'SUCCEEDED', statusCode: 204, attempt: 1, replay: 1, delivery: { status: 'SUCCEEDED' } });
    // The replay itself is a change too: updates show PENDING, then the outcome.
    expect((await take(updates, 2)).map((delivery) => delivery.status)).toEqual(['PENDING', 'SUCCEEDED']);

    const delivery = await client.deliveries.get(event.deliveries[0]!.id);
    expect(delivery.attempts.map((attempt) => [attempt.replay, attempt.status])).toEqual([
      [0, 'FAILED'],
      [1, 'SUCCEEDED'],
    ]);
    expect(await client.deliveries.replayMany({ status: 'DEAD', connectionId: connection.id })).toEqual({ count: 0, skipped: 0 });
    await Promise.all([attempts.close(), updates.close()]);
  });

  it("streams and reads deliveries with a portal session's token, which may not read their rule", async () => {
    const { workspace, client } = await newWorkspace();
    const path = `/${unique('portal')}`;
    receiver.script(({ request }) => (request.path === path ? { status: 200 } : { status: 404 }));
    const { connection } = await client.connections.create({ name: unique('shop'), kind: 'WEBHOOK', webhook: { url: receiver.url(path) }, eventTypes: ['order.*'] });
    const session = await client.portal.createSession({ capabilities: ['VIEW', 'REPLAY'] });
    const portal = createClient({ url, apiKey: session.token });
    clients.push(portal);

    const attempts = await portal.deliveries.subscribe();
    const updates = await portal.deliveries.subscribe({ status: 'SUCCEEDED' }, { to: 'updates' });
    await untilSubscribed(api.services.deliveryFeed, workspace.id, 2);
    const { event } = (await client.emit({ type: 'order.completed', payload: { total: 3 } })) as EmittedEvent;
    const deliveryId = event.deliveries[0]!.id;
    const [attempt] = await take(attempts, 1);
    expect(attempt).toMatchObject({ status: 'SUCCEEDED', delivery: { id: deliveryId, connection: { id: connection.id } }, event: { id: event.id } });
    const [succeeded] = await take(updates, 1);
    expect(succeeded).toMatchObject({ id: deliveryId, status: 'SUCCEEDED' });
    expect(succeeded).not.toHaveProperty('rule');

    expect((await portal.deliveries.list()).data.map((delivery) => delivery.id)).toEqual([deliveryId]);
    expect(await portal.deliveries.get(deliveryId)).toMatchObject({ id: deliveryId, attempts: [{ status: 'SUCCEEDED' }] });
    // The secret key still reads the rule that routed it.
    expect((await client.deliveries.get(deliveryId)).rule).toMatchObject({ id: expect.stringMatching(/^rule_/) });
    await Promise.all([attempts.close(), updates.close()]);
  });

  it('manages connections, rules and event types, with typed errors for refused input', async () => {
    const { client } = await newWorkspace();
    const created = await client.connections.create({ name: 'crm', kind: 'WEBHOOK', webhook: { url: receiver.url('/crm') } });
    expect(created.signingSecret).toMatch(/^whsec_/);
    expect(created.connection.signingSecretHint).not.toContain(created.signingSecret!.slice(6));

    const id = created.connection.id;
    expect(await client.connections.get(id)).toMatchObject({ id, name: 'crm', status: 'ACTIVE' });
    expect(await client.connections.update(id, { name: 'crm-eu', timeoutSeconds: 5 })).toMatchObject({ name: 'crm-eu', timeoutSeconds: 5 });
    expect((await client.connections.pause(id)).status).toBe('PAUSED');
    expect((await client.connections.resume(id)).status).toBe('ACTIVE');
    const rotated = await client.connections.rotateSecret(id, { expireCurrentInSeconds: 60 });
    expect(rotated.signingSecret).not.toBe(created.signingSecret);
    expect((await client.connections.list()).data.map((connection) => connection.id)).toEqual([id]);

    const rule = await client.rules.create({ name: 'all orders', eventTypes: ['order.*'], connectionId: id, condition: 'payload.total > 10' });
    expect(await client.rules.update(rule.id, { enabled: false })).toMatchObject({ id: rule.id, enabled: false, connection: { id } });
    expect((await client.rules.list({ connectionId: id })).data.map((listed) => listed.id)).toEqual([rule.id]);

    const eventType = await client.eventTypes.upsert({ name: 'order.completed', description: 'Paid', schema: { type: 'object' } });
    expect(eventType).toMatchObject({ name: 'order.completed', version: 1 });
    expect((await client.eventTypes.list()).data.map((listed) => listed.name)).toEqual(['order.completed']);

    const invalid = await client.connections.create({ name: '', kind: 'WEBHOOK', webhook: { url: 'not a url' } }).catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(SwitchyardValidationError);
    expect((invalid as SwitchyardValidationError).issues.map((issue) => issue.path.join('.'))).toEqual(
      expect.arrayContaining(['input.name', 'input.webhook.url']),
    );
    await expect(client.connections.create({ name: 'crm-eu', kind: 'WEBHOOK', webhook: { url: receiver.url('/x') } })).rejects.toBeInstanceOf(
      SwitchyardConflictError,
    );

    await client.rules.delete(rule.id);
    await client.connections.delete(id);
    await expect(client.connections.get(id)).rejects.toBeInstanceOf(SwitchyardNotFoundError);
    await expect(client.deliveries.get('msg_0193c5a1b2c3d4e5f60718293a4b5c6d')).rejects.toBeInstanceOf(SwitchyardNotFoundError);
  });

  it('reads every list the API has, and each resource by id', async () => {
    const { workspace, client, secretKey } = await newWorkspace();
    const { connection } = await client.connections.create({ name: unique('lists'), kind: 'WEBHOOK', webhook: { url: receiver.url('/lists') } });
    const rule = await client.rules.create({ name: unique('rule'), eventTypes: ['order.*'], connectionId: connection.id, condition: 'total > 1' });
    expect(rule.warnings).toEqual([expect.stringContaining('did you mean "payload.total"?')]);
    expect(await client.rules.get(rule.id)).toMatchObject({ id: rule.id, condition: 'total > 1' });
    await client.eventTypes.upsert({ name: 'order.completed', description: 'Paid' });
    expect(await client.eventTypes.get({ name: 'order.completed' })).toMatchObject({ name: 'order.completed', description: 'Paid' });

    const first = await client.emit({ type: 'order.completed', payload: { total: 5 } });
    const second = await client.emit({ type: 'ordr.completed', payload: { total: 6 } });
    expect([first.unknownType, second.unknownType]).toEqual([false, true]);
    const page = await client.events.list({ type: 'order.completed' });
    expect(page).toMatchObject({ data: [{ id: first.event.id }], hasMore: false, nextCursor: null });
    const all = await client.events.list({}, { limit: 1 });
    expect(all.data.map((event) => event.id)).toEqual([second.event.id]);
    expect((await client.events.list({}, { limit: 1, cursor: all.nextCursor })).data.map((event) => event.id)).toEqual([first.event.id]);
    expect(await client.events.get(first.event.id)).toMatchObject({ id: first.event.id, payload: { total: 5 }, deliveries: [] });
    await expect(client.events.get('evt_0193aaaaaaaa7aaa8aaaaaaaaaaaaaaa')).rejects.toBeInstanceOf(SwitchyardNotFoundError);

    const trial = await client.rules.test({ ruleId: rule.id, rule: { condition: 'payload.total > 1' }, eventId: first.event.id });
    expect(trial).toMatchObject({ matched: true, condition: { value: true, passed: true }, warnings: [] });

    const created = await client.apiKeys.create({ name: 'ci', kind: 'PUBLISHABLE' });
    expect(created.key).toMatch(/^sy_pk_/);
    expect((await client.apiKeys.list()).data.map((key) => key.name)).toEqual(['ci', 'default publishable key', 'default secret key']);
    expect((await client.apiKeys.revoke(created.apiKey.id)).revokedAt).not.toBeNull();

    expect(await client.workspace.get()).toMatchObject({ id: workspace.id, settings: { strictEventTypes: false } });
    expect((await client.workspace.updateSettings({ strictEventTypes: true })).settings).toEqual({ strictEventTypes: true, payloadRetentionDays: 30, deliveryRetentionDays: 90 });
    await expect(client.emit({ type: 'ordr.completed' })).rejects.toBeInstanceOf(SwitchyardValidationError);
    const admin = createClient({ url, apiKey: ADMIN_KEY });
    clients.push(admin);
    expect((await admin.workspaces.list({ limit: 100 })).data.map((listed) => listed.id)).toContain(workspace.id);
    expect(secretKey).toMatch(/^sy_sk_/);
  });

  it('refuses a publishable key outside emit, and an unknown key everywhere, with SwitchyardAuthError', async () => {
    const { publishableKey } = await newWorkspace();
    const publishable = createClient({ url, apiKey: publishableKey });
    const unknown = createClient({ url, apiKey: 'sy_sk_not_a_real_key_000000000000', retries: 0 });
    clients.push(publishable, unknown);

    // A publishable key sees the events it creates in full.
    const { event } = (await publishable.emit({ type: 'user.created', payload: { id: 'u_1' } })) as EmittedEvent;
    expect(event.type).toBe('user.created');
    await expect(publishable.connections.list()).rejects.toMatchObject({ name: 'SwitchyardAuthError', code: 'FORBIDDEN' });
    await expect(unknown.emit({ type: 'user.created' })).rejects.toMatchObject({ name: 'SwitchyardAuthError', code: 'UNAUTHENTICATED' });
    await expect(unknown.deliveries.subscribe()).rejects.toBeInstanceOf(SwitchyardAuthError);
    // Given a cursor, the stream reads nothing over HTTP first: the socket refuses the key.
    const stream = await unknown.deliveries.subscribe({}, { after: '1:0' });
    await expect(stream.next()).rejects.toBeInstanceOf(SwitchyardAuthError);
  });

  it('treats a repeated idempotency key as the same event', async () => {
    const { client } = await newWorkspace();
    const first = await client.emit({ type: 'order.completed', idempotencyKey: 'ord_7:completed' });
    const again = await client.emit({ type: 'order.completed', idempotencyKey: 'ord_7:completed' });
    expect(first.duplicate).toBe(false);
    expect(again).toMatchObject({ duplicate: true, event: { id: first.event.id } });
    const batch = await client.emitBatch([{ type: 'a.b' }, { type: 'a.c' }]);
    expect(batch.map((result) => (result as EmittedEvent).event.type)).toEqual(['a.b', 'a.c']);
  });

  it("gives a publishable key's repeated emit the original's id, single or in a batch, and nothing of what it holds", async () => {
    const { client, publishableKey } = await newWorkspace();
    const publishable = createClient({ url, apiKey: publishableKey });
    clients.push(publishable);
    const original = (await client.emit({ type: 'order.paid', idempotencyKey: 'ord_9:paid', payload: { card: 'tok_visa' } })) as EmittedEvent;

    const again = await publishable.emit({ type: 'order.paid', idempotencyKey: 'ord_9:paid' });
    expect(again).toEqual({ duplicate: true, unknownType: false, event: { id: original.event.id } });
    const fresh = await publishable.emit({ type: 'order.paid', idempotencyKey: 'ord_10:paid', payload: { n: 10 } });
    expect(fresh).toMatchObject({ duplicate: false, event: { type: 'order.paid', payload: { n: 10 }, deliveries: [] } });

    // A batch with one repeated key: every event by id, and the new one emitted once.
    const batch = await publishable.emitBatch([{ type: 'order.paid', idempotencyKey: 'ord_9:paid' }, { type: 'order.paid', idempotencyKey: 'ord_11:paid' }]);
    expect(batch.map((result) => result.duplicate)).toEqual([true, true]);
    expect(batch[0]!.event).toEqual({ id: original.event.id });
    expect(JSON.stringify(batch)).not.toContain('tok_visa');
    const listed = await client.events.list({ type: 'order.paid' });
    expect(listed.data.map((event) => event.idempotencyKey).sort()).toEqual(['ord_10:paid', 'ord_11:paid', 'ord_9:paid']);
    expect(listed.data.map((event) => event.sequence).sort()).toEqual([1, 2, 3]);

    // A secret key still reads its duplicate in full.
    const full = await client.emit({ type: 'order.paid', idempotencyKey: 'ord_9:paid' });
    expect(full).toMatchObject({ duplicate: true, event: { payload: { card: 'tok_visa' } } });
  });
});
