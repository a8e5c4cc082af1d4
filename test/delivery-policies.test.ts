import { createHmac } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { availableTokens } from '../src/domains/deliveries/state/token-bucket.ts';
import { decodeId } from '../src/domains/public-ids.ts';
import { startTestServer } from './helpers/server.ts';
import { startReceiver } from './helpers/receiver.ts';
import { createRule, createWebhook, setPaused, deliveryReaches, emit, eventually, workspaceWithWebhook } from './helpers/fixtures.ts';

const server = await startTestServer({ allowPrivateTargets: true, workerConcurrency: 20 });

async function withDatabase<T>(target: typeof server, use: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client(target.databaseUrl);
  await db.connect();
  try {
    return await use(db);
  } finally {
    await db.end();
  }
}

const emitMany = (client: Parameters<typeof emit>[0], type: string, count: number) =>
  client.request(
    `mutation ($input: EmitEventsInput!) { emitEvents(input: $input) {
       ... on EmitEventsPayload { results { event { sequence deliveries { id connection { id } } } } } } }`,
    { input: { events: Array.from({ length: count }, (_, i) => ({ type, payload: { i } })) } },
  );

/** A receiver that holds every request until `open()` is called, then answers 200 at once. */
async function heldReceiver() {
  const receiver = await startReceiver();
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  /** Requests being answered when each one arrived, itself included. */
  const inFlightAtArrival: number[] = [];
  receiver.script(() => {
    inFlightAtArrival.push(receiver.inFlight);
    return { status: 200, until: opened };
  });
  return { receiver, open, inFlightAtArrival };
}

/** Resolves once exactly `count` deliveries of the connection are leased (in flight, or claimed ahead and held). */
const leased = (connectionId: string, count: number, what: string) =>
  eventually(async () => {
    const { rows } = await withDatabase(server, (db) =>
      db.query('select count(*)::int as n from deliveries where connection_id = $1 and lease is not null', [decodeId('Connection', connectionId)]));
    return rows[0].n === count ? true : undefined;
  }, 10_000, what);

/**
 * `count` events of `type` for a webhook connection (maxConcurrency 2) to a held receiver, once
 * its pump has two requests in flight and two more deliveries claimed ahead.
 */
async function pumpHoldingTwo(count: number, type = 'job.done') {
  const held = await heldReceiver();
  const { ws, hook } = await workspaceWithWebhook(server, held.receiver.url('/'), { maxConcurrency: 2 });
  const { emitEvents } = await emitMany(ws.secret, type, count);
  await held.receiver.waitForRequests(2, 10_000);
  await leased(hook.id, 4, 'two in flight and two claimed ahead');
  return { ...held, ws, hook, emitEvents };
}

describe('failure isolation', () => {
  it('keeps a healthy connection flowing while another one hangs', async () => {
    const ws = await server.seedWorkspace();
    const receiver = await startReceiver();
    receiver.script(({ request }) => (request.path === '/hang' ? { hang: true } : { status: 200 }));
    const hanging = await createWebhook(ws.secret, receiver.url('/hang'), { timeoutSeconds: 30, retryScheduleSeconds: [0] });
    const healthy = await createWebhook(ws.secret, receiver.url('/ok'));
    await createRule(ws.secret, hanging.id, ['*']);
    await createRule(ws.secret, healthy.id, ['*']);

    await emitMany(ws.secret, 'load.test', 60);
    // Every healthy delivery arrives while the hanging connection still holds its requests open.
    await eventually(async () => (receiver.requests.filter((r) => r.path === '/ok').length === 60 ? true : undefined), 15_000, 'healthy deliveries');
    const hung = receiver.requests.filter((r) => r.path === '/hang').length;
    expect(hung).toBeLessThanOrEqual(10);
    // Its backlog waits as rows, not as jobs every other job fetch would have to step over.
    const queue = `conn_${decodeId('Connection', hanging.id).replaceAll('-', '')}`;
    const jobs = await withDatabase(server, (db) => db.query("select count(*) from graphile_worker.jobs where queue_name like $1 || '%'", [queue]));
    expect(Number(jobs.rows[0].count)).toBeLessThanOrEqual(2);
    await receiver.close();
  });

  it('holds new deliveries back once a connection fails three times in a row, and lets its retries probe it', async () => {
    const receiver = await startReceiver();
    receiver.script(() => ({ status: 500 }));
    const { ws } = await workspaceWithWebhook(server, receiver.url('/'), { maxConcurrency: 1, retryScheduleSeconds: [0, 3] });
    await emitMany(ws.secret, 'job.failed', 6);
    await receiver.waitForRequests(3);
    // One at a time (maxConcurrency 1): without the hold the other three would follow at once.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(receiver.requests).toHaveLength(3);
    // Held, not lost: at the retry time the retries go out first, each a second try of one of the three.
    const requests = await receiver.waitForRequests(4, 10_000);
    const firstThree = new Set(requests.slice(0, 3).map((r) => r.headers['webhook-id']));
    expect(firstThree.has(requests[3]!.headers['webhook-id'] as string)).toBe(true);
    await receiver.close();
  });

  it('never has more attempts in flight than maxConcurrency', async () => {
    const receiver = await startReceiver();
    receiver.script(() => ({ status: 200, delayMs: 100 }));
    const { ws } = await workspaceWithWebhook(server, receiver.url('/'), { maxConcurrency: 2 });
    await emitMany(ws.secret, 'job.done', 12);
    await receiver.waitForRequests(12, 15_000);
    await eventually(async () => (receiver.inFlight === 0 ? true : undefined));
    expect(receiver.maxInFlight).toBe(2);
    await receiver.close();
  });

  it('spaces attempts by the connection rate limit', async () => {
    const receiver = await startReceiver();
    const { ws } = await workspaceWithWebhook(server, receiver.url('/'), { rateLimitPerSecond: 5 });
    await emitMany(ws.secret, 'job.done', 12);
    const requests = await receiver.waitForRequests(12, 15_000);
    const times = requests.map((r) => r.receivedAt).sort((a, b) => a - b);
    // A bucket of 5 tokens refilling 5 per second: at most 5 + 5t requests by time t.
    for (const [index, time] of times.entries()) {
      expect(index + 1).toBeLessThanOrEqual(5 + Math.ceil(((time - times[0]!) / 1000) * 5) + 1);
    }
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(1000);
    await receiver.close();
  });

  it('starts a rate-limited connection with a full bucket, every token of it, however the clock ticks', async () => {
    const { hook } = await workspaceWithWebhook(server, 'http://127.0.0.1:9/never', { rateLimitPerSecond: 5 });
    const id = decodeId('Connection', hook.id);
    // Read many times over, so that the reads straddle many ticks of the clock: a bucket never
    // refilled counts no time as passed, not a moment less than none.
    const { rows: [bucket] } = await withDatabase(server, (db) => db.query<{ fewer: number; tokens: number }>(
      `select count(*) filter (where t.tokens < 5)::int as fewer, min(t.tokens)::float8 as tokens
       from connections c, generate_series(1, 20000) n, lateral (select ${availableTokens('c')} as tokens where n > 0) t
       where c.id = $1 and c.rate_tokens is null and c.rate_refilled_at is null`, [id]));
    expect(bucket).toEqual({ fewer: 0, tokens: 5 });
  });
});

describe('ordered connections', () => {
  it('delivers in event order, holding later events while an earlier one retries', async () => {
    const receiver = await startReceiver();
    receiver.script(({ index }) => (index < 2 ? { status: 500 } : { status: 200 }));
    const { ws } = await workspaceWithWebhook(server, receiver.url('/'), { ordered: true, retryScheduleSeconds: [0, 0.2, 0.2, 0.2] });
    const { emitEvents } = await emitMany(ws.secret, 'ledger.entry', 10);
    const last = emitEvents.results.at(-1).event.deliveries[0].id;
    await deliveryReaches(ws.secret, last, 'SUCCEEDED', 15_000);

    const received = receiver.requests.map((r) => JSON.parse(r.body).sequence as number);
    const sequences = emitEvents.results.map((r: { event: { sequence: number } }) => r.event.sequence);
    // The first event is tried three times before anything else goes out; then the rest in order.
    expect(received).toEqual([sequences[0], sequences[0], ...sequences]);
    await receiver.close();
  });

  /**
   * Emits a backlog, switches `ordered` once its first request has arrived, emits more, and
   * waits until every one of them has succeeded.
   */
  const switchWithBacklog = async (
    receiver: Awaited<ReturnType<typeof startReceiver>>,
    client: Parameters<typeof emit>[0],
    connectionId: string,
    options: { ordered: boolean; backlog: number; later: number },
  ) => {
    const { emitEvents: backlog } = await emitMany(client, 'ledger.entry', options.backlog);
    await receiver.waitForRequests(1, 10_000);
    await client.request(`mutation ($input: UpdateConnectionInput!) { updateConnection(input: $input) { __typename } }`,
      { input: { id: connectionId, ordered: options.ordered } });
    const { emitEvents: later } = await emitMany(client, 'ledger.entry', options.later);
    const ids = [...backlog.results, ...later.results].map((r: { event: { deliveries: { id: string }[] } }) => r.event.deliveries[0]!.id);
    await Promise.all(ids.map((id) => deliveryReaches(client, id, 'SUCCEEDED', 20_000)));
  };

  it('sends nothing while an earlier delivery is in flight once a connection with a backlog turns ordered', async () => {
    const receiver = await startReceiver();
    /** Requests being answered when each one arrived, itself included. */
    const inFlightAtArrival: number[] = [];
    receiver.script(() => {
      inFlightAtArrival.push(receiver.inFlight);
      return { status: 200, delayMs: 500 };
    });
    const { ws, hook } = await workspaceWithWebhook(server, receiver.url('/'), { maxConcurrency: 4 });
    await switchWithBacklog(receiver, ws.secret, hook.id, { ordered: true, backlog: 8, later: 2 });

    // The first claim, made while the connection was unordered, may send up to four at once;
    // everything after it goes one at a time, in event order.
    const firstWave = inFlightAtArrival.findIndex((count, index) => index > 0 && count === 1);
    expect(firstWave).toBeGreaterThan(0);
    expect(firstWave).toBeLessThanOrEqual(4);
    expect(inFlightAtArrival.slice(firstWave)).toEqual(inFlightAtArrival.slice(firstWave).map(() => 1));
    const sequences = receiver.requests.slice(firstWave).map((r) => JSON.parse(r.body).sequence as number);
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect(receiver.requests).toHaveLength(10);
    await receiver.close();
  }, 30_000);

  it('sends none of what a running pump claimed ahead once the connection turns ordered', async () => {
    const { receiver, open, inFlightAtArrival, ws, hook, emitEvents } = await pumpHoldingTwo(8, 'ledger.entry');
    await ws.secret.request(`mutation ($input: UpdateConnectionInput!) { updateConnection(input: $input) { __typename } }`,
      { input: { id: hook.id, ordered: true } });
    // The pump hears of the switch and gives back the two it held before any slot frees.
    await leased(hook.id, 2, 'the held deliveries given back');
    open();
    const ids = emitEvents.results.map((r: { event: { deliveries: { id: string }[] } }) => r.event.deliveries[0]!.id);
    await Promise.all(ids.map((id: string) => deliveryReaches(ws.secret, id, 'SUCCEEDED', 20_000)));
    // Two went while it was unordered; everything after, one at a time and in event order.
    expect(inFlightAtArrival.slice(2)).toEqual(Array(6).fill(1));
    const sequences = receiver.requests.slice(2).map((r) => JSON.parse(r.body).sequence as number);
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect(receiver.requests).toHaveLength(8);
    await receiver.close();
  }, 30_000);

  it('keeps to maxConcurrency when an ordered connection with a backlog turns unordered', async () => {
    const receiver = await startReceiver();
    receiver.script(() => ({ status: 200, delayMs: 400 }));
    const { ws, hook } = await workspaceWithWebhook(server, receiver.url('/'), { maxConcurrency: 2, ordered: true });
    await switchWithBacklog(receiver, ws.secret, hook.id, { ordered: false, backlog: 6, later: 2 });
    expect(receiver.maxInFlight).toBe(2);
    expect(receiver.requests).toHaveLength(8);
    await receiver.close();
  }, 30_000);
});

describe('what a pump holds when its requests change', () => {
  /** Standard Webhooks: the base64 HMAC-SHA256 of `id.timestamp.body` under the secret's bytes. */
  const signedBy = (signingSecret: string, request: { headers: Record<string, string | string[] | undefined>; body: string }) => {
    const bytes = Buffer.from(signingSecret.replace(/^whsec_/, ''), 'base64');
    const signature = createHmac('sha256', bytes).update(`${request.headers['webhook-id']}.${request.headers['webhook-timestamp']}.${request.body}`).digest('base64');
    return String(request.headers['webhook-signature']).split(' ').includes(`v1,${signature}`);
  };

  it('sends nothing it held to the old URL once the endpoint moved', async () => {
    const { receiver: old, open, ws, hook } = await pumpHoldingTwo(8);
    const moved = await startReceiver();
    const { updateConnection } = await ws.secret.request(`mutation ($input: UpdateConnectionInput!) { updateConnection(input: $input) { __typename } }`,
      { input: { id: hook.id, webhook: { url: moved.url('/') } } });
    expect(updateConnection.__typename).toBe('UpdateConnectionPayload');
    await leased(hook.id, 2, 'the held deliveries given back');
    open();
    await moved.waitForRequests(6, 15_000);
    expect(old.requests).toHaveLength(2);
    expect(new Set([...old.requests, ...moved.requests].map((r) => r.headers['webhook-id'])).size).toBe(8);
    await old.close();
    await moved.close();
  });

  it('signs nothing it held with a secret that was ended', async () => {
    const { receiver, open, ws, hook } = await pumpHoldingTwo(8);
    const { rotateConnectionSecret } = await ws.secret.request(
      `mutation ($input: RotateConnectionSecretInput!) { rotateConnectionSecret(input: $input) { ... on RotateConnectionSecretPayload { signingSecret } } }`,
      { input: { connectionId: hook.id, expireCurrentInSeconds: 0 } });
    await leased(hook.id, 2, 'the held deliveries given back');
    open();
    const requests = await receiver.waitForRequests(8, 15_000);
    expect(requests.slice(2).every((request) => signedBy(rotateConnectionSecret.signingSecret, request))).toBe(true);
    expect(requests.slice(2).some((request) => signedBy(hook.signingSecret, request))).toBe(false);
    await receiver.close();
  });
});

describe('pausing', () => {
  it('gives back what a running pump claimed ahead when the connection is paused, and sends none of it', async () => {
    const { receiver, open, ws, hook } = await pumpHoldingTwo(10);
    await setPaused(ws.secret, hook.id, true);
    await leased(hook.id, 2, 'the held deliveries given back');
    open();
    // The two in flight finish; the rest wait, parked and untried, once the run ends.
    await eventually(async () => {
      const { rows } = await withDatabase(server, (db) => db.query(
        `select count(*)::int as n from deliveries where connection_id = $1 and status = 'PENDING' and parked_at is not null and attempt_count = 0`,
        [decodeId('Connection', hook.id)]));
      return rows[0].n === 8 ? true : undefined;
    }, 10_000, 'the rest parked');
    expect(receiver.requests).toHaveLength(2);

    await setPaused(ws.secret, hook.id, false);
    const requests = await receiver.waitForRequests(10, 15_000);
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(10);
    await receiver.close();
  });

  it('holds deliveries of a paused connection and sends them on resume', async () => {
    const receiver = await startReceiver();
    const { ws, hook } = await workspaceWithWebhook(server, receiver.url('/'));
    await setPaused(ws.secret, hook.id, true);
    const { event } = await emit(ws.secret, { type: 'user.created' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.requests).toHaveLength(0);

    await setPaused(ws.secret, hook.id, false);
    await deliveryReaches(ws.secret, event.deliveries[0]!.id, 'SUCCEEDED');
    expect(receiver.requests).toHaveLength(1);
    await receiver.close();
  });
});
