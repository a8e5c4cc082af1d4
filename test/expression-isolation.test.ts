import { beforeAll, describe, expect, it } from 'vitest';
import { compileExpression } from '../src/domains/expressions/expression.ts';
import { startTestServer, type SeededWorkspace } from './helpers/server.ts';
import { startReceiver, type Receiver } from './helpers/receiver.ts';
import { createRule, createWebhook, DELIVERY, deliveryReaches, EMIT } from './helpers/fixtures.ts';

const server = await startTestServer({ allowPrivateTargets: true });

let ws: SeededWorkspace;
let receiver: Receiver;
let connectionId: string;

beforeAll(async () => {
  ws = await server.seedWorkspace();
  receiver = await startReceiver();
  connectionId = (await createWebhook(ws.secret, receiver.url('/'), { retryScheduleSeconds: [0] })).id;
  return () => receiver.close();
});

/**
 * Runs `slow` and, while it runs, a cheap request every 50 ms; returns what `slow` answered and
 * the longest any cheap request took. A blocked event loop shows as one long cheap request.
 */
async function whileResponsive<T>(slow: () => Promise<T>): Promise<{ answer: T; worstMs: number }> {
  let worstMs = 0;
  let done = false;
  const probe = (async () => {
    while (!done) {
      const started = performance.now();
      await ws.secret.request('{ workspace { id } }');
      worstMs = Math.max(worstMs, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  try {
    return { answer: await slow(), worstMs };
  } finally {
    done = true;
    await probe;
  }
}

const CREATE_RULE = `mutation ($input: CreateRuleInput!) { createRule(input: $input) {
  __typename ... on ValidationError { issues { path message } } } }`;

describe('expressions that would stall the process', () => {
  it('refuses a rule whose condition cannot finish, without blocking other requests', async () => {
    const rss = process.memoryUsage().rss;
    const { answer, worstMs } = await whileResponsive(() =>
      ws.secret.request(CREATE_RULE, { input: { name: 'pad', eventTypes: ['*'], connectionId, condition: '$length($pad("", 100000000)) > 0' } }),
    );
    expect(answer.createRule).toMatchObject({ __typename: 'ValidationError', issues: [{ path: ['input', 'condition'], message: expect.stringMatching(/does not finish/) }] });
    expect(worstMs).toBeLessThan(1_000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(400 * 1024 * 1024);
  });

  it("dead-letters an emit whose condition blows up on the event's data, keeping the API responsive and its heap small", async () => {
    await createRule(ws.secret, connectionId, ['pad.*'], { condition: '$length($pad("", payload.n)) > 0' });
    const rss = process.memoryUsage().rss;
    const { answer, worstMs } = await whileResponsive(() => ws.publishable.request(EMIT, { input: { type: 'pad.requested', payload: { n: 100_000_000 } } }));
    expect(answer.emitEvent.__typename).toBe('EmitEventPayload');
    expect(worstMs).toBeLessThan(1_000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(400 * 1024 * 1024);
    const { delivery } = await ws.secret.request(DELIVERY, { id: answer.emitEvent.event.deliveries[0].id });
    expect(delivery.status).toBe('DEAD');
    expect(delivery.lastError).toMatch(/^condition: .*\((MEMORY_LIMIT|D1012)\)/);
  });

  it('fails a delivery whose transform blows up, and delivers the next one', async () => {
    const own = await server.seedWorkspace();
    const hook = await createWebhook(own.secret, receiver.url('/transform'), { retryScheduleSeconds: [0] });
    await createRule(own.secret, hook.id, ['*'], { transform: 'payload.n > 0 ? { "pad": $pad("", payload.n) } : { "ok": true }' });
    const blown = await own.secret.request(EMIT, { input: { type: 'a.b', payload: { n: 100_000_000 } } });
    const fine = await own.secret.request(EMIT, { input: { type: 'a.b', payload: { n: 0 } } });
    const dead = await deliveryReaches(own.secret, blown.emitEvent.event.deliveries[0].id, 'DEAD', 20_000);
    expect(dead.attempts[0]).toMatchObject({ errorClass: 'EXPRESSION', error: expect.stringMatching(/^transform: .*\((MEMORY_LIMIT|D1012|OUTPUT_TOO_LARGE)\)/) });
    await deliveryReaches(own.secret, fine.emitEvent.event.deliveries[0].id, 'SUCCEEDED', 20_000);
  });
});

describe('the fast path', () => {
  it.each([
    ['payload.total > 100', true],
    ['type = "order.completed" and payload.country in ["DE", "FR"]', true],
    ['{ "order": resourceId, "total": payload.total, "lines": [payload.a, -payload.b] }', true],
    ['payload.vip ? "gold" : "plain" & resourceId', true],
    ['(payload.total > 100 or payload.vip) and type = "order.completed"', true],
    ['$length(payload.name) > 3', false],
    ['payload.items[price > 5]', false],
    ['[1..100000]', false],
    ['payload.items{ name: price }', false],
    ['($x := 1; $x)', false],
    ['function($v) { $v }(1)', false],
  ])('%s runs in place: %s', (source, bounded) => {
    expect(compileExpression(source, 'condition').cost.bounded).toBe(bounded);
  });

  it('routes by a bounded condition and by one that runs in a worker alike', async () => {
    const own = await server.seedWorkspace();
    const hook = await createWebhook(own.secret, receiver.url('/fast'));
    await createRule(own.secret, hook.id, ['*'], { condition: 'payload.total > 100' });
    await createRule(own.secret, hook.id, ['*'], { condition: '$sum(payload.lines) > 100' });
    const big = await own.secret.request(EMIT, { input: { type: 'a.b', payload: { total: 150, lines: [60, 60] } } });
    const small = await own.secret.request(EMIT, { input: { type: 'a.b', payload: { total: 50, lines: [10] } } });
    expect(big.emitEvent.event.deliveries).toHaveLength(2);
    expect(small.emitEvent.event.deliveries).toHaveLength(0);
  });
});
