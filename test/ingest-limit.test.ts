import { describe, expect, it } from 'vitest';
import { startTestServer } from './helpers/server.ts';
import { EMIT } from './helpers/fixtures.ts';

const server = await startTestServer({ ingestRateLimitPerSecond: 5 });

async function post(key: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as { errors?: { extensions: Record<string, unknown> }[] } };
}

describe('the per-workspace ingest limit', () => {
  it('refuses a workspace over its rate with RATE_LIMITED, 429 and Retry-After, while another workspace emits on', async () => {
    const noisy = await server.seedWorkspace();
    const quiet = await server.seedWorkspace();
    // Ten events at once: a second of the limit, and a second's debt on top.
    const events = Array.from({ length: 10 }, () => ({ type: 'a.b' }));
    expect((await post(noisy.publishableKey, 'mutation ($input: EmitEventsInput!) { emitEvents(input: $input) { __typename } }', { input: { events } })).status).toBe(200);
    const refused = await post(noisy.publishableKey, EMIT, { input: { type: 'a.b' } });
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: Number(refused.retryAfter) });

    const other = await post(quiet.secretKey, EMIT, { input: { type: 'a.b' } });
    expect(other.status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, Number(refused.retryAfter) * 1000 + 100));
    expect((await post(noisy.secretKey, EMIT, { input: { type: 'a.b' } })).status).toBe(200);
  });

  it('lets a batch larger than a second of the limit through once, then holds the workspace back until it is paid for', async () => {
    const ws = await server.seedWorkspace();
    const events = Array.from({ length: 20 }, () => ({ type: 'a.b' }));
    const batch = await post(ws.secretKey, 'mutation ($input: EmitEventsInput!) { emitEvents(input: $input) { __typename } }', { input: { events } });
    expect(batch.status).toBe(200);
    const next = await post(ws.secretKey, EMIT, { input: { type: 'a.b' } });
    expect(next.status).toBe(429);
    expect(Number(next.retryAfter)).toBeGreaterThanOrEqual(3);
  });
});
