import { describe, expect, it } from 'vitest';
import { startTestServer } from './helpers/server.ts';
import { createRule, createWebhook, emit } from './helpers/fixtures.ts';
import type { GraphqlClient } from './helpers/graphql.ts';

// A limit loose enough for a loaded machine; the slow expression below needs seconds even on a quiet one
// (its 3,000 x 3,000 first form took about 300 ms unloaded, and sometimes finished within the limit).
const server = await startTestServer({ allowPrivateTargets: true, expressionTimeoutMs: 250 });

const TEST_RULE = `query ($input: TestRuleInput!) { testRule(input: $input) {
  __typename
  ... on TestRulePayload {
    matched body warnings
    patterns { pattern matched }
    condition { source value passed error { code message position } }
    transform { source value error { code message position } }
  }
  ... on ValidationError { issues { path message } }
  ... on NotFoundError { resource }
} }`;

async function trial(client: GraphqlClient, input: Record<string, unknown>) {
  const { testRule } = await client.request(TEST_RULE, { input });
  return testRule;
}

const order = { type: 'order.completed', resource: 'order', resourceId: 'ord_1', payload: { total: 250, items: [{ sku: 'a' }] } };

describe('testRule', () => {
  it('shows a matching rule: each pattern, the condition and its value, the transform and the body that would be sent', async () => {
    const ws = await server.seedWorkspace();
    const result = await trial(ws.secret, {
      rule: {
        eventTypes: ['invoice.*', 'order.*'],
        condition: 'payload.total > 100',
        transform: '{ "order": resourceId, "total": payload.total, "seq": sequence }',
      },
      event: { ...order, sequence: 7 },
    });
    expect(result).toEqual({
      __typename: 'TestRulePayload',
      matched: true,
      patterns: [{ pattern: 'invoice.*', matched: false }, { pattern: 'order.*', matched: true }],
      condition: { source: 'payload.total > 100', value: true, passed: true, error: null },
      transform: { source: expect.any(String), value: { order: 'ord_1', total: 250, seq: 7 }, error: null },
      body: '{"order":"ord_1","total":250,"seq":7}',
      warnings: [],
    });

    // Without a transform, the body is the default envelope, exactly as it would be signed.
    const plain = await trial(ws.secret, { rule: { eventTypes: ['*'] }, event: order });
    expect(plain).toMatchObject({ matched: true, condition: null, transform: null });
    expect(JSON.parse(plain.body)).toEqual({
      id: expect.stringMatching(/^evt_/), type: 'order.completed', timestamp: expect.any(String), resource: 'order',
      resourceId: 'ord_1', sequence: 1, data: order.payload,
    });
  });

  it('shows why a rule does not match, and warns of a name the event does not have', async () => {
    const ws = await server.seedWorkspace();
    const wrongType = await trial(ws.secret, { rule: { eventTypes: ['invoice.*'] }, event: order });
    expect(wrongType).toMatchObject({ matched: false, patterns: [{ pattern: 'invoice.*', matched: false }] });

    const forgotPayload = await trial(ws.secret, { rule: { eventTypes: ['order.*'], condition: 'total > 100' }, event: order });
    expect(forgotPayload).toMatchObject({
      matched: false,
      patterns: [{ matched: true }],
      condition: { value: null, passed: false, error: null },
    });
    expect(forgotPayload.warnings).toEqual([expect.stringContaining('did you mean "payload.total"?')]);
    expect(forgotPayload.warnings[0]).toContain('condition reads "total" at position 0');

    // The same hint comes back when such a rule is saved.
    const hook = await createWebhook(ws.secret, 'http://127.0.0.1:9/');
    const { createRule: created } = await ws.secret.request(
      `mutation ($input: CreateRuleInput!) { createRule(input: $input) { ... on CreateRulePayload { warnings } } }`,
      { input: { name: 'typo', eventTypes: ['order.*'], connectionId: hook.id, condition: 'resourceid = "ord_1"' } },
    );
    expect(created.warnings).toEqual([expect.stringContaining('did you mean "resourceId"?')]);
  });

  it('reports failing expressions with their code and position: syntax, evaluation and output errors', async () => {
    const ws = await server.seedWorkspace();
    const syntax = await trial(ws.secret, { rule: { eventTypes: ['*'], transform: 'payload.{ "a": }' }, event: order });
    expect(syntax).toMatchObject({ matched: true, body: null, transform: { value: null, error: { code: 'S0211', position: 16 } } });
    expect(syntax.transform.error.message).toContain('at position 16');

    const evaluation = await trial(ws.secret, { rule: { eventTypes: ['*'], condition: '$number("lots") > 1' }, event: order });
    expect(evaluation).toMatchObject({ matched: false, condition: { passed: false, value: null, error: { code: 'D3030' } } });

    const nothing = await trial(ws.secret, { rule: { eventTypes: ['*'], transform: 'payload.missing' }, event: order });
    expect(nothing).toMatchObject({ body: null, transform: { error: { code: 'NO_OUTPUT' } } });
  });

  it('stops an expression that runs too long at the time limit and says so', async () => {
    const ws = await server.seedWorkspace();
    const started = performance.now();
    const slow = await trial(ws.secret, {
      rule: { eventTypes: ['*'], condition: '$sum([1..10000].($sum([1..10000]))) > 0' },
      event: order,
    });
    expect(slow).toMatchObject({ matched: false, condition: { passed: false, error: { code: 'D1012' } } });
    expect(performance.now() - started).toBeLessThan(2500);
  });

  it('tries a saved rule on a stored event, with draft fields in place of the saved ones', async () => {
    const ws = await server.seedWorkspace();
    const hook = await createWebhook(ws.secret, 'http://127.0.0.1:9/');
    const ruleId = await createRule(ws.secret, hook.id, ['order.*'], { condition: 'payload.total > 1000' });
    const { event } = await emit(ws.secret, order);
    expect(event.deliveries).toEqual([]);

    const saved = await trial(ws.secret, { ruleId, eventId: event.id });
    expect(saved).toMatchObject({ matched: false, condition: { source: 'payload.total > 1000', value: false } });
    expect(JSON.parse(saved.body)).toMatchObject({ id: event.id, sequence: event.sequence });
    const edited = await trial(ws.secret, { ruleId, rule: { condition: 'payload.total > 100' }, eventId: event.id });
    expect(edited).toMatchObject({ matched: true, condition: { source: 'payload.total > 100', value: true } });
  });

  it("refuses what it cannot try, and reaches no other workspace's rules or events", async () => {
    const a = await server.seedWorkspace();
    const b = await server.seedWorkspace();
    const hook = await createWebhook(a.secret, 'http://127.0.0.1:9/');
    const ruleId = await createRule(a.secret, hook.id, ['*']);
    const { event } = await emit(a.secret, order);

    expect(await trial(b.secret, { ruleId, event: order })).toEqual({ __typename: 'NotFoundError', resource: 'Rule' });
    expect(await trial(b.secret, { rule: { eventTypes: ['*'] }, eventId: event.id })).toEqual({ __typename: 'NotFoundError', resource: 'Event' });
    const neither = await trial(b.secret, { event: order });
    expect(neither.issues.map((issue: { path: string[] }) => issue.path.join('.'))).toEqual(['input.rule.eventTypes']);
    const both = await trial(b.secret, { rule: { eventTypes: ['order.**.x'] }, event: order, eventId: event.id });
    expect(both.issues.map((issue: { path: string[] }) => issue.path.join('.'))).toEqual(['input.rule.eventTypes.0', 'input.event']);
    const huge = await trial(b.secret, { rule: { eventTypes: ['*'] }, event: { ...order, payload: { blob: 'x'.repeat(300 * 1024) } } });
    expect(huge.issues).toEqual([{ path: ['input', 'event', 'payload'], message: expect.stringContaining('SWITCHYARD_MAX_PAYLOAD_BYTES') }]);
    const denied = await b.publishable.raw(TEST_RULE, { input: { rule: { eventTypes: ['*'] }, event: order } });
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
