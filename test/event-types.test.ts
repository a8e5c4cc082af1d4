import { describe, expect, it } from 'vitest';
import { compiledSchemaFor } from '../src/domains/event-types/payload-schema.ts';
import { decodeId } from '../src/domains/public-ids.ts';
import { startTestServer } from './helpers/server.ts';

const server = await startTestServer();

const UPSERT = `mutation ($input: UpsertEventTypeInput!) { upsertEventType(input: $input) {
  __typename
  ... on UpsertEventTypePayload { eventType { id name description schema version } }
  ... on ValidationError { issues { path message } }
  ... on ConflictError { path message } } }`;

const BY_NAME = `query ($name: String, $id: ID) { eventType(name: $name, id: $id) {
  __typename
  ... on EventType { id name version schema }
  ... on NotFoundError { resource missingId: id }
  ... on ValidationError { issues { path message } } } }`;

const ORDER_SCHEMA = {
  type: 'object',
  required: ['total'],
  properties: { total: { type: 'number' }, email: { type: 'string', format: 'email' } },
};

async function countEventTypes(workspaceSecret: { request: typeof server.admin.request }) {
  const { eventTypes } = await workspaceSecret.request('{ eventTypes(first: 100) { edges { node { id } } } }');
  return eventTypes.edges.length as number;
}

describe('event types', () => {
  it('creates an event type with a schema and reads it back by name and by id', async () => {
    const { secret } = await server.seedWorkspace();
    const { upsertEventType } = await secret.request(UPSERT, {
      input: { name: 'order.completed', description: 'An order was paid', schema: ORDER_SCHEMA },
    });
    expect(upsertEventType).toMatchObject({
      __typename: 'UpsertEventTypePayload',
      eventType: { name: 'order.completed', description: 'An order was paid', schema: ORDER_SCHEMA, version: 1 },
    });
    expect(upsertEventType.eventType.id).toMatch(/^evtype_[0-9a-f]{32}$/);

    const byName = await secret.request(BY_NAME, { name: 'order.completed' });
    const byId = await secret.request(BY_NAME, { id: upsertEventType.eventType.id });
    expect(byName.eventType).toEqual(byId.eventType);
    expect(byName.eventType.id).toBe(upsertEventType.eventType.id);
  });

  it('bumps the version only when the description or the schema changes', async () => {
    const { secret } = await server.seedWorkspace();
    const upsert = async (input: Record<string, unknown>) =>
      (await secret.request(UPSERT, { input: { name: 'invoice.paid', ...input } })).upsertEventType.eventType;

    expect((await upsert({ description: 'Paid', schema: ORDER_SCHEMA })).version).toBe(1);
    // Same content in another key order: Postgres stores jsonb in its own order, and that is no change.
    expect((await upsert({ description: 'Paid', schema: { properties: ORDER_SCHEMA.properties, required: ['total'], type: 'object' } })).version).toBe(1);
    expect((await upsert({})).version).toBe(1);
    expect((await upsert({ description: 'Paid in full' })).version).toBe(2);
    const changed = await upsert({ schema: { type: 'object' } });
    expect(changed).toMatchObject({ version: 3, description: 'Paid in full', schema: { type: 'object' } });
    expect(await upsert({ schema: null })).toMatchObject({ version: 4, schema: null });
  });

  it('refuses an invalid JSON Schema, naming the problem, and saves nothing', async () => {
    const { secret } = await server.seedWorkspace();
    for (const [schema, reason] of [
      [{ type: 'objekt' }, 'must be equal to one of the allowed values'],
      [{ type: 'object', requried: ['total'] }, 'unknown keyword: "requried"'],
      [{ $ref: 'https://example.com/elsewhere.json' }, "can't resolve reference"],
      [{ type: 'string', format: 'no-such-format' }, 'unknown format "no-such-format"'],
      [{ $schema: 'http://json-schema.org/draft-07/schema#' }, 'only JSON Schema draft 2020-12 is supported'],
      ['not a schema', 'must be a JSON Schema object'],
    ] as const) {
      const { upsertEventType } = await secret.request(UPSERT, { input: { name: 'order.refunded', schema } });
      expect(upsertEventType.__typename).toBe('ValidationError');
      expect(upsertEventType.issues).toHaveLength(1);
      expect(upsertEventType.issues[0].path).toEqual(['input', 'schema']);
      expect(upsertEventType.issues[0].message).toContain(reason);
    }
    expect(await countEventTypes(secret)).toBe(0);
  });

  it('refuses badly formed, oversized and reserved names, naming the field', async () => {
    const { secret } = await server.seedWorkspace();
    for (const name of ['order', 'Order.Completed', 'order..completed', 'order.completed.', `order.${'x'.repeat(200)}`, 'switchyard.delivery.exhausted']) {
      const { upsertEventType } = await secret.request(UPSERT, { input: { name } });
      expect([name, upsertEventType.__typename]).toEqual([name, 'ValidationError']);
      expect(upsertEventType.issues.map((issue: { path: string[] }) => issue.path)).toEqual([['input', 'name']]);
    }
    const reserved = await secret.request(UPSERT, { input: { name: 'switchyard.connection.failing' } });
    expect(reserved.upsertEventType.issues[0].message).toContain('reserved');
    expect(await countEventTypes(secret)).toBe(0);
  });

  it('holds declared and emitted types to one rule: a name that cannot be emitted cannot be declared', async () => {
    const { secret } = await server.seedWorkspace();
    for (const name of ['_internal.created', 'order._paid', 'order.-x']) {
      const { upsertEventType } = await secret.request(UPSERT, { input: { name } });
      expect(upsertEventType.issues.map((issue: { path: string[] }) => issue.path)).toEqual([['input', 'name']]);
      const { emitEvent } = await secret.request(
        `mutation ($input: EmitEventInput!) { emitEvent(input: $input) { __typename ... on ValidationError { issues { path message } } } }`,
        { input: { type: name } },
      );
      expect(emitEvent.issues).toEqual([{ path: ['input', 'type'], message: upsertEventType.issues[0].message }]);
    }
    const { upsertEventType } = await secret.request(UPSERT, { input: { name: 'order_v2.paid-in-full' } });
    expect(upsertEventType.__typename).toBe('UpsertEventTypePayload');
  });

  it('lists every problem of one input at once', async () => {
    const { secret } = await server.seedWorkspace();
    const { upsertEventType } = await secret.request(UPSERT, {
      input: { name: 'Nope', description: 'x'.repeat(2001), schema: { type: 'objekt' } },
    });
    expect(upsertEventType.issues.map((issue: { path: string[] }) => issue.path.join('.')).sort()).toEqual([
      'input.description',
      'input.name',
      'input.schema',
    ]);
  });

  it('answers an unknown name or id with NotFoundError, and asks for exactly one of them', async () => {
    const { secret } = await server.seedWorkspace();
    expect((await secret.request(BY_NAME, { name: 'nothing.here' })).eventType).toEqual({
      __typename: 'NotFoundError',
      resource: 'EventType',
      missingId: 'nothing.here',
    });
    const missingId = 'evtype_0193aaaaaaaa7aaa8aaaaaaaaaaaaaaa';
    expect((await secret.request(BY_NAME, { id: missingId })).eventType).toEqual({
      __typename: 'NotFoundError',
      resource: 'EventType',
      missingId,
    });
    expect((await secret.request(BY_NAME, {})).eventType.__typename).toBe('ValidationError');
  });

  it('lists event types as a Relay connection, newest first', async () => {
    const { secret } = await server.seedWorkspace();
    for (const name of ['a.one', 'a.two', 'a.three']) await secret.request(UPSERT, { input: { name } });
    const first = await secret.request('{ eventTypes(first: 2) { edges { node { name } } pageInfo { hasNextPage endCursor } } }');
    expect(first.eventTypes.edges.map((edge: { node: { name: string } }) => edge.node.name)).toEqual(['a.three', 'a.two']);
    expect(first.eventTypes.pageInfo.hasNextPage).toBe(true);
    const rest = await secret.request('query ($after: String) { eventTypes(first: 2, after: $after) { edges { node { name } } } }', {
      after: first.eventTypes.pageInfo.endCursor,
    });
    expect(rest.eventTypes.edges.map((edge: { node: { name: string } }) => edge.node.name)).toEqual(['a.one']);
  });
});

describe('compiledSchemaFor', () => {
  it('checks payloads against the current version and follows an upsert at once', async () => {
    const { id, secret } = await server.seedWorkspace();
    const workspaceId = decodeId('Workspace', id);
    const em = server.switchyard.services.orm.em.fork();
    await secret.request(UPSERT, { input: { name: 'user.created', schema: ORDER_SCHEMA } });

    const v1 = await compiledSchemaFor(em, workspaceId, 'user.created');
    expect(v1?.version).toBe(1);
    expect(v1?.check({ total: 3 })).toEqual([]);
    expect(v1?.check({ email: 'not-an-email' }, ['input', 'events', '2', 'payload'])).toEqual([
      { path: ['input', 'events', '2', 'payload', 'total'], message: "must have required property 'total'" },
      { path: ['input', 'events', '2', 'payload', 'email'], message: 'must match format "email"' },
    ]);
    expect(await compiledSchemaFor(em, workspaceId, 'user.created')).toBe(v1);

    await secret.request(UPSERT, { input: { name: 'user.created', schema: { type: 'object', required: ['email'] } } });
    const v2 = await compiledSchemaFor(em, workspaceId, 'user.created');
    expect(v2?.version).toBe(2);
    expect(v2?.check({ total: 3 }).map((issue) => issue.path)).toEqual([['input', 'payload', 'email']]);

    await secret.request(UPSERT, { input: { name: 'user.created', schema: null } });
    expect((await compiledSchemaFor(em, workspaceId, 'user.created'))?.check('anything')).toEqual([]);
    expect(await compiledSchemaFor(em, workspaceId, 'user.unknown')).toBeNull();
  });
});
