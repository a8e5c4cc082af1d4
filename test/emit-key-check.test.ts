import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer } from './helpers/server.ts';
import { createRule, createWebhook, EMIT, emit } from './helpers/fixtures.ts';
import { decodeId } from '../src/domains/public-ids.ts';
import { isEmitOnly } from '../src/server/emit-only.ts';

// The API alone: these tests look at what emits write, not at what is delivered.
const server = await startTestServer({ role: 'api', allowPrivateTargets: true });
const db = new pg.Client(server.databaseUrl);
await db.connect();
afterAll(() => db.end());

/** Revokes a key the way another API process would: this process hears nothing of it. */
const revokeElsewhere = (key: string) =>
  db.query(`update api_keys set revoked_at = now() where hash = encode(sha256(convert_to($1, 'utf8')), 'hex')`, [key]);

/** A rule written straight into the database moves the routing version, as any process's would. */
const addRuleElsewhere = (workspaceId: string, connectionId: string) =>
  db.query(
    `insert into rules (id, workspace_id, connection_id, name, event_types, enabled, created_at, updated_at)
     values (gen_random_uuid(), $1, $2, 'elsewhere', '{order.*}', true, now(), now())`,
    [decodeId('Workspace', workspaceId), decodeId('Connection', connectionId)]);

describe('an emit checks its key in its own write', () => {
  it('refuses a key revoked in another process at once, though this process remembers it', async () => {
    const ws = await server.seedWorkspace();
    await emit(ws.publishable, { type: 'user.created' });
    await revokeElsewhere(ws.publishableKey);
    const response = await ws.publishable.raw(EMIT, { input: { type: 'user.created' } });
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const { events } = await ws.secret.request('{ events { edges { node { id } } } }');
    expect(events.edges).toHaveLength(1);
  });

  it.each([
    ['a validation error', { type: 'order.paid', payload: {} }],
    ['the duplicate of an earlier event', { type: 'order.paid', payload: { total: 1 }, idempotencyKey: 'first' }],
  ])('tells a revoked key nothing else, not even %s', async (_case, input) => {
    const ws = await server.seedWorkspace();
    await ws.secret.request(
      `mutation { upsertEventType(input: { name: "order.paid", schema: { type: "object", required: ["total"] } }) { __typename } }`);
    await emit(ws.publishable, { type: 'order.paid', payload: { total: 1 }, idempotencyKey: 'first' });
    await revokeElsewhere(ws.publishableKey);
    const response = await ws.publishable.raw(EMIT, { input });
    expect(response.data?.emitEvent ?? null).toBeNull();
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('routes by a rule created in another process meanwhile, on the very next event', async () => {
    const ws = await server.seedWorkspace();
    const first = await createWebhook(ws.secret, 'http://127.0.0.1:9/first');
    const second = await createWebhook(ws.secret, 'http://127.0.0.1:9/second');
    await createRule(ws.secret, first.id, ['order.*']);
    expect((await emit(ws.publishable, { type: 'order.paid' })).event.deliveries).toHaveLength(1);
    await addRuleElsewhere(ws.id, second.id);
    const { event } = await emit(ws.publishable, { type: 'order.paid' });
    expect(event.deliveries.map((delivery) => delivery.connection.id).sort()).toEqual([first.id, second.id].sort());
  });

  it('routes by the first rule of a workspace, created in another process after an event that went nowhere', async () => {
    const ws = await server.seedWorkspace();
    const only = await createWebhook(ws.secret, 'http://127.0.0.1:9/only');
    expect((await emit(ws.publishable, { type: 'order.paid' })).event.deliveries).toHaveLength(0);
    await addRuleElsewhere(ws.id, only.id);
    const { event } = await emit(ws.publishable, { type: 'order.paid' });
    expect(event.deliveries.map((delivery) => delivery.connection.id)).toEqual([only.id]);
  });
});

describe('a request that is nothing but emits', () => {
  it.each([
    ['mutation { emitEvent(input: { type: "a.b" }) { __typename } }', null, true],
    ['mutation E($i: EmitEventsInput!) { a: emitEvents(input: $i) { __typename } b: emitEvent(input: { type: "a.b" }) { __typename } }', null, true],
    ['mutation { emitEvent(input: { type: "a.b" }) { __typename } revokeApiKey(input: { id: "x" }) { __typename } }', null, false],
    ['query { emitEvent }', null, false],
    ['mutation { ...F } fragment F on Mutation { emitEvent(input: { type: "a.b" }) { __typename } }', null, false],
    ['mutation A { emitEvent(input: { type: "a.b" }) { __typename } } query B { workspace { id } }', 'B', false],
    ['mutation A { emitEvent(input: { type: "a.b" }) { __typename } } query B { workspace { id } }', 'A', true],
    ['mutation A { emitEvent(input: { type: "a.b" }) { __typename } } query B { workspace { id } }', null, false],
    ['mutation { emitEvent(', null, false],
  ])('%s (operation %s): %s', (query, operationName, expected) => {
    expect(isEmitOnly({ query, operationName })).toBe(expected);
  });
});
