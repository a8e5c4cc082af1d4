import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { closeHttp } from '../src/domains/deliveries/http/send-webhook.ts';
import { pumpConnection } from '../src/domains/deliveries/engine/pump-connection.ts';
import { decodeId } from '../src/domains/public-ids.ts';
import type { GraphqlClient } from './helpers/graphql.ts';
import { eventually, workspaceWithWebhook } from './helpers/fixtures.ts';
import { startReceiver, type Receiver } from './helpers/receiver.ts';
import { startTestServer } from './helpers/server.ts';

// The API alone: no worker, so each pump run happens only when the test makes it.
const server = await startTestServer({ role: 'api', allowPrivateTargets: true });
const { config, orm } = server.switchyard.services;
const db = new pg.Client(server.databaseUrl);
await db.connect();
afterAll(async () => {
  await db.end();
  await closeHttp();
});

/**
 * A receiver that answers its `index`th request (from 0) with `statusOf(index)`, but only once
 * the test opens that request's gate; the requests in flight when each one arrived, itself
 * included, are in `inFlightAtArrival`.
 */
async function gatedReceiver(statusOf: (index: number) => number) {
  const receiver = await startReceiver();
  const gates: { open(): void; opened: Promise<void> }[] = [];
  const gate = (index: number) => {
    while (gates.length <= index) {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      gates.push({ open, opened });
    }
    return gates[index]!;
  };
  const inFlightAtArrival: number[] = [];
  let allOpen = false;
  receiver.script(({ index }) => {
    inFlightAtArrival.push(receiver.inFlight);
    return { status: statusOf(index), ...(!allOpen && { until: gate(index).opened }) };
  });
  return {
    receiver,
    inFlightAtArrival,
    open: (index: number) => gate(index).open(),
    /** Opens every gate, those of requests still to come too. */
    openAll: () => {
      allOpen = true;
      for (const { open } of gates) open();
    },
  };
}

async function emitMany(client: GraphqlClient, count: number): Promise<void> {
  const events = Array.from({ length: count }, (_, i) => ({ type: 'job.done', payload: { i } }));
  const { emitEvents } = await client.request(`mutation ($input: EmitEventsInput!) { emitEvents(input: $input) { __typename } }`, { input: { events } });
  expect(emitEvents.__typename).toBe('EmitEventsPayload');
}

/** The connection's deliveries by state, with the attempts each made and whether it is leased. */
async function deliveriesOf(connectionId: string) {
  const { rows } = await db.query<{ status: string; attempts: number; leased: boolean }>(
    `select status, attempt_count as attempts, lease is not null as leased from deliveries where connection_id = $1 order by created_at`,
    [connectionId]);
  return rows;
}

const leasedCount = async (connectionId: string) => (await deliveriesOf(connectionId)).filter((d) => d.leased).length;

/** A webhook connection to `receiver` with `count` deliveries waiting; its id as stored. */
async function backlog(receiver: Receiver, count: number, policy: Record<string, unknown>): Promise<string> {
  const { ws, hook } = await workspaceWithWebhook(server, receiver.url('/'), policy);
  await emitMany(ws.secret, count);
  return decodeId('Connection', hook.id);
}

const pump = (connectionId: string, stopping = new AbortController().signal) =>
  pumpConnection(orm.em.fork(), config, connectionId, { stopping, claims: orm.em.fork() });

describe('claiming ahead of the free slots', () => {
  it('holds up to maxConcurrency more deliveries, and starts one the moment a slot frees, never more in flight than the cap', async () => {
    const gated = await gatedReceiver(() => 200);
    const connectionId = await backlog(gated.receiver, 12, { maxConcurrency: 3 });
    const run = pump(connectionId);
    await gated.receiver.waitForRequests(3);
    // Three in flight and three more leased, held for the slots.
    await eventually(async () => ((await leasedCount(connectionId)) === 6 ? true : undefined), 10_000, 'deliveries claimed ahead');
    for (let index = 0; index < 12; index++) {
      gated.open(index);
      await gated.receiver.waitForRequests(Math.min(12, index + 4));
    }
    expect(await run).toMatchObject({ kind: 'idle' });
    expect(gated.receiver.requests).toHaveLength(12);
    expect(gated.receiver.maxInFlight).toBe(3);
    expect(gated.inFlightAtArrival.every((count) => count <= 3)).toBe(true);
    expect((await deliveriesOf(connectionId)).map((d) => d.status)).toEqual(Array(12).fill('SUCCEEDED'));
    await gated.receiver.close();
  });

  it('gives back what it holds, untried, when the worker stops', async () => {
    const gated = await gatedReceiver(() => 200);
    const connectionId = await backlog(gated.receiver, 10, { maxConcurrency: 2 });
    const stopping = new AbortController();
    const run = pump(connectionId, stopping.signal);
    await gated.receiver.waitForRequests(2);
    await eventually(async () => ((await leasedCount(connectionId)) === 4 ? true : undefined), 10_000, 'deliveries claimed ahead');
    stopping.abort();
    // Back before any slot frees: another worker may take them at once.
    await eventually(async () => ((await leasedCount(connectionId)) === 2 ? true : undefined), 10_000, 'held deliveries given back');
    gated.openAll();
    expect(await run).toEqual({ kind: 'more' });
    expect(gated.receiver.requests).toHaveLength(2);
    const deliveries = await deliveriesOf(connectionId);
    expect(deliveries.filter((d) => d.status === 'SUCCEEDED')).toHaveLength(2);
    // Untried: no attempt counted, no lease left, waiting in their place.
    expect(deliveries.filter((d) => d.status === 'PENDING')).toEqual(Array(8).fill({ status: 'PENDING', attempts: 0, leased: false }));
    await gated.receiver.close();
  });

  it('sends nothing it held once a failure trips the breaker', async () => {
    const gated = await gatedReceiver(() => 500);
    const connectionId = await backlog(gated.receiver, 9, { maxConcurrency: 3, retryScheduleSeconds: [0, 600] });
    // Two failures in a row already: the next one makes three, and new deliveries wait for the retries.
    await db.query('update connections set consecutive_failures = 2 where id = $1', [connectionId]);
    const run = pump(connectionId);
    await gated.receiver.waitForRequests(3);
    await eventually(async () => ((await leasedCount(connectionId)) === 6 ? true : undefined), 10_000, 'deliveries claimed ahead');
    gated.open(0);
    // The failure gives back the three held before its slot frees; the breaker then holds them.
    await eventually(async () => ((await leasedCount(connectionId)) === 2 ? true : undefined), 10_000, 'held deliveries given back');
    gated.openAll();
    expect(await run).toMatchObject({ kind: 'idle' });
    expect(gated.receiver.requests).toHaveLength(3);
    const deliveries = await deliveriesOf(connectionId);
    expect(deliveries.filter((d) => d.status === 'RETRYING')).toHaveLength(3);
    expect(deliveries.filter((d) => d.status === 'PENDING')).toEqual(Array(6).fill({ status: 'PENDING', attempts: 0, leased: false }));
    await gated.receiver.close();
  });
});
