import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './helpers/database.ts';
import { logLines, runMain } from './helpers/child-process.ts';
import { createRule, createWebhook, emit, eventually } from './helpers/fixtures.ts';
import { graphqlClient } from './helpers/graphql.ts';
import { startReceiver } from './helpers/receiver.ts';
import { ADMIN_KEY } from './helpers/server.ts';

const receiver = await startReceiver();
const databaseUrl = await createTestDatabase();
const service = runMain({
  DATABASE_URL: databaseUrl,
  SWITCHYARD_ADMIN_KEY: ADMIN_KEY,
  SWITCHYARD_ALLOW_PRIVATE_TARGETS: 'true',
  SWITCHYARD_LOG_LEVEL: 'debug',
  SWITCHYARD_LOG_FORMAT: 'json',
  PORT: '0',
});
const [, base] = await service.waitFor(/GraphQL API: (http:\/\/\S+?)\/graphql/);
const url = `${base}/graphql`;

afterAll(async () => {
  await service.stop();
  await receiver.close();
});

describe('logs', () => {
  it('are JSON lines with a request id on every line of a request, one per accepted emit and per failed attempt, and no secret anywhere', async () => {
    const admin = graphqlClient(url, ADMIN_KEY);
    const { createWorkspace } = await admin.request(`mutation { createWorkspace(input: { name: "logged" }) {
      ... on CreateWorkspacePayload { workspace { id } secretKey publishableKey } } }`);
    const secret = graphqlClient(url, createWorkspace.secretKey);
    const headerSecret = 'Bearer hdr-token-7f3a9c1e5b';
    const hook = await createWebhook(secret, receiver.url('/failing'), {
      headers: { authorization: headerSecret, 'x-api-key': 'custom-header-value-41ab' },
      retryScheduleSeconds: [0, 0.2],
    });
    await createRule(secret, hook.id, ['order.*']);
    receiver.script({ '/failing': { status: 500, body: 'response-body-marker-9d2e' } });

    const payloadMarker = 'payload-marker-c0ffee';
    const traced = 'trace-0123456789abcdef';
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${createWorkspace.publishableKey}`, 'x-request-id': traced },
      body: JSON.stringify({
        query: 'mutation ($input: EmitEventInput!) { emitEvent(input: $input) { ... on EmitEventPayload { event { id } } } }',
        variables: { input: { type: 'order.completed', payload: { email: payloadMarker } } },
      }),
    });
    expect(response.headers.get('x-request-id')).toBe(traced);
    const emitted = (await response.json()) as { data: { emitEvent: { event: { id: string } } } };
    await emit(secret, { type: 'order.updated', payload: { email: payloadMarker } });
    // A refused key and a malformed request are logged too, and leak nothing either.
    await graphqlClient(url, 'sy_sk_not-a-real-key-but-secret-shaped').raw('{ workspace { id } }');

    const lines = await eventually(async () => {
      const parsed = logLines(service.output());
      return parsed.filter((line) => line.msg === 'attempt failed').length >= 4 ? parsed : undefined;
    }, 20_000, 'four failed attempts to be logged');

    const accepted = lines.filter((line) => line.msg === 'event accepted' && !line.operational);
    expect(accepted.map((line) => line.type).sort()).toEqual(['order.completed', 'order.updated']);
    // Switchyard's own events say so.
    const operational = lines.filter((line) => line.msg === 'event accepted' && line.operational);
    expect(operational.map((line) => line.type)).toEqual(['switchyard.delivery.exhausted', 'switchyard.delivery.exhausted']);
    const first = accepted.find((line) => line.event === emitted.data.emitEvent.event.id)!;
    expect(first).toMatchObject({ level: 'debug', requestId: traced, deliveries: 1 });
    // Every line logged while that request ran carries its id; the other requests got ids of their own.
    const otherIds = new Set(lines.filter((line) => line.requestId && line.requestId !== traced).map((line) => line.requestId));
    expect(otherIds.size).toBeGreaterThan(0);

    const failed = lines.filter((line) => line.msg === 'attempt failed');
    expect(failed[0]).toMatchObject({ level: 'info', connection: hook.id, statusCode: 500, errorClass: 'HTTP' });
    expect(failed.map((line) => line.outcome)).toEqual(expect.arrayContaining(['retrying', 'dead']));

    const output = service.output();
    for (const leaked of [
      ADMIN_KEY, createWorkspace.secretKey, createWorkspace.publishableKey, hook.signingSecret, 'hdr-token-7f3a9c1e5b',
      'custom-header-value-41ab', payloadMarker, 'response-body-marker-9d2e', 'not-a-real-key-but-secret-shaped',
      `:${new URL(databaseUrl).password}@`,
    ]) {
      expect(output, `${leaked} is in the log`).not.toContain(leaked);
    }
  }, 60_000);
});
