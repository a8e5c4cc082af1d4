import { beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type SeededWorkspace } from './helpers/server.ts';
import { startReceiver, type Receiver } from './helpers/receiver.ts';
import { createRule, createWebhook, DELIVERY, deliveryReaches, EMIT } from './helpers/fixtures.ts';

const server = await startTestServer({ allowPrivateTargets: true });

const NUL = 'a\u0000b';
const LONE_SURROGATE = 'a\ud800b';
const ISSUES = '__typename ... on ValidationError { issues { path message } }';

let ws: SeededWorkspace;
let receiver: Receiver;
let connectionId: string;
let ruleId: string;

beforeAll(async () => {
  ws = await server.seedWorkspace();
  receiver = await startReceiver();
  connectionId = (await createWebhook(ws.secret, receiver.url('/'))).id;
  ruleId = await createRule(ws.secret, connectionId, ['order.*']);
  return () => receiver.close();
});

function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let level = 0; level < depth; level++) value = { a: value };
  return value;
}

/** Each mutation with one field set to `bad`, and the path the refusal must name. */
const cases: Array<[field: string, document: string, input: (bad: string) => Record<string, unknown>, path: string[]]> = [
  ['createApiKey.name', `mutation ($input: CreateApiKeyInput!) { r: createApiKey(input: $input) { ${ISSUES} } }`, (bad) => ({ name: bad, kind: 'SECRET' }), ['input', 'name']],
  ['upsertEventType.description', `mutation ($input: UpsertEventTypeInput!) { r: upsertEventType(input: $input) { ${ISSUES} } }`, (bad) => ({ name: 'order.placed', description: bad }), ['input', 'description']],
  ['upsertEventType.schema', `mutation ($input: UpsertEventTypeInput!) { r: upsertEventType(input: $input) { ${ISSUES} } }`, (bad) => ({ name: 'order.placed', schema: { type: 'object', description: bad } }), ['input', 'schema', 'description']],
  ['createConnection.name', `mutation ($input: CreateConnectionInput!) { r: createConnection(input: $input) { ${ISSUES} } }`, (bad) => ({ name: bad, kind: 'WEBHOOK', webhook: { url: 'https://hooks.example.com/' } }), ['input', 'name']],
  ['updateConnection.name', `mutation ($input: UpdateConnectionInput!) { r: updateConnection(input: $input) { ${ISSUES} } }`, (bad) => ({ id: connectionId, name: bad }), ['input', 'name']],
  ['createRule.name', `mutation ($input: CreateRuleInput!) { r: createRule(input: $input) { ${ISSUES} } }`, (bad) => ({ name: bad, eventTypes: ['*'], connectionId }), ['input', 'name']],
  ['createRule.condition (a string literal)', `mutation ($input: CreateRuleInput!) { r: createRule(input: $input) { ${ISSUES} } }`, (bad) => ({ name: 'literal', eventTypes: ['*'], connectionId, condition: `payload.x = "${bad}"` }), ['input', 'condition']],
  ['updateRule.transform', `mutation ($input: UpdateRuleInput!) { r: updateRule(input: $input) { ${ISSUES} } }`, (bad) => ({ id: ruleId, transform: `{ "x": "${bad}" }` }), ['input', 'transform']],
  ['emitEvent.resource', `mutation ($input: EmitEventInput!) { r: emitEvent(input: $input) { ${ISSUES} } }`, (bad) => ({ type: 'order.placed', resource: bad }), ['input', 'resource']],
  ['emitEvent.resourceId', `mutation ($input: EmitEventInput!) { r: emitEvent(input: $input) { ${ISSUES} } }`, (bad) => ({ type: 'order.placed', resourceId: bad }), ['input', 'resourceId']],
  ['emitEvent.idempotencyKey', `mutation ($input: EmitEventInput!) { r: emitEvent(input: $input) { ${ISSUES} } }`, (bad) => ({ type: 'order.placed', idempotencyKey: bad }), ['input', 'idempotencyKey']],
  ['emitEvent.payload value', `mutation ($input: EmitEventInput!) { r: emitEvent(input: $input) { ${ISSUES} } }`, (bad) => ({ type: 'order.placed', payload: { items: [{ note: bad }] } }), ['input', 'payload', 'items', '0', 'note']],
  ['emitEvent.payload key', `mutation ($input: EmitEventInput!) { r: emitEvent(input: $input) { ${ISSUES} } }`, (bad) => ({ type: 'order.placed', payload: { nested: { [bad]: 1 } } }), ['input', 'payload', 'nested']],
  ['emitEvents.events.1.payload', `mutation ($input: EmitEventsInput!) { r: emitEvents(input: $input) { ${ISSUES} } }`, (bad) => ({ events: [{ type: 'a.b' }, { type: 'a.b', payload: [bad] }] }), ['input', 'events', '1', 'payload', '0']],
];

describe('text that Postgres cannot store', () => {
  it.each(cases)('is refused in %s with a ValidationError naming the field', async (_field, document, input, path) => {
    for (const bad of [NUL, LONE_SURROGATE]) {
      const { r } = await ws.secret.request(document, { input: input(bad) });
      expect(r.__typename).toBe('ValidationError');
      expect(r.issues[0].path).toEqual(path);
      expect(r.issues[0].message).toMatch(/NUL character|unpaired surrogate/);
    }
  });

  it('is refused in a workspace name, for the admin key', async () => {
    const { r } = await server.admin.request(`mutation ($input: CreateWorkspaceInput!) { r: createWorkspace(input: $input) { ${ISSUES} } }`, { input: { name: NUL } });
    expect(r).toMatchObject({ __typename: 'ValidationError', issues: [{ path: ['input', 'name'] }] });
  });

  it("is refused in a read's filter as BAD_USER_INPUT, not an internal error", async () => {
    for (const document of [
      'query ($bad: String) { events(filter: { resource: $bad }) { edges { node { id } } } }',
      'query ($bad: String) { deliveries(filter: { eventType: $bad }) { edges { node { id } } } }',
    ]) {
      const response = await ws.secret.raw(document, { bad: NUL });
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', issues: [{ path: ['filter', expect.any(String)] }] });
    }
    const byName = await ws.secret.request(`query ($bad: String) { eventType(name: $bad) { ${ISSUES} } }`, { bad: LONE_SURROGATE });
    expect(byName.eventType).toMatchObject({ __typename: 'ValidationError', issues: [{ path: ['name'] }] });
  });

  it('leaves well-formed text alone, astral characters included', async () => {
    const { emitEvent } = await ws.secret.request(EMIT, { input: { type: 'order.placed', resourceId: 'ord_😀', payload: { note: 'tab\tand ünïcødé 😀' } } });
    expect(emitEvent.__typename).toBe('EmitEventPayload');
  });
});

describe('nesting', () => {
  it('refuses a payload nested 10,000 levels deep with a ValidationError, and keeps answering', async () => {
    // Written out by hand: JSON.stringify itself would overflow the stack on such a value.
    const payload = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const query = `mutation ($input: EmitEventInput!) { r: emitEvent(input: $input) { ${ISSUES} } }`;
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ws.secretKey}` },
      body: `{"query":${JSON.stringify(query)},"variables":{"input":{"type":"order.placed","payload":${payload}}}}`,
    });
    const { r } = ((await response.json()) as { data: { r: { __typename: string; issues: { path: string[] }[] } } }).data;
    expect(r.__typename).toBe('ValidationError');
    expect(r.issues[0]!.path.slice(0, 2)).toEqual(['input', 'payload']);
    expect((await ws.secret.request('{ workspace { id } }')).workspace.id).toBe(ws.id);
  });

  it('accepts a payload 32 levels deep and refuses 33, naming SWITCHYARD_MAX_PAYLOAD_DEPTH', async () => {
    const document = `mutation ($input: EmitEventInput!) { r: emitEvent(input: $input) { ${ISSUES} } }`;
    expect((await ws.secret.request(document, { input: { type: 'order.placed', payload: nested(32) } })).r.__typename).toBe('EmitEventPayload');
    const { r } = await ws.secret.request(document, { input: { type: 'order.placed', payload: nested(33) } });
    expect(r).toEqual({ __typename: 'ValidationError', issues: [{ path: ['input', 'payload'], message: expect.stringContaining('SWITCHYARD_MAX_PAYLOAD_DEPTH') }] });
  });

  it('refuses a literal nested 10,000 levels deep in the document before parsing it, over HTTP and SSE', async () => {
    const literal = `${'{ a: '.repeat(10_000)}1${' }'.repeat(10_000)}`;
    const query = `mutation { emitEvent(input: { type: "order.placed", payload: ${literal} }) { __typename } }`;
    for (const accept of ['application/json', 'text/event-stream']) {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept, authorization: `Bearer ${ws.secretKey}` },
        body: JSON.stringify({ query }),
      });
      expect(response.status).toBeLessThan(500);
      expect(await response.text()).toContain('QUERY_LIMIT_EXCEEDED');
    }
  });
});

describe('text Switchyard records from what it ran', () => {
  it("stores an expression's error message even when it carries a NUL", async () => {
    const own = await server.seedWorkspace();
    const hook = await createWebhook(own.secret, receiver.url('/nul'));
    // The JSONata escape \u0000 is plain text when saved; evaluating it makes a real NUL.
    await createRule(own.secret, hook.id, ['order.*'], { condition: '$error("bad\\u0000news")' });
    const { emitEvent } = await own.secret.request(EMIT, { input: { type: 'order.placed' } });
    expect(emitEvent.__typename).toBe('EmitEventPayload');
    const deliveryId = emitEvent.event.deliveries[0].id;
    await deliveryReaches(own.secret, deliveryId, 'DEAD');
    const { delivery } = await own.secret.request(DELIVERY, { id: deliveryId });
    expect(delivery.lastError).toContain('bad\uFFFDnews');
  });
});
