import { randomUUID } from 'node:crypto';
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './helpers/database.ts';
import { LISTENER_APPLICATION_NAME, startDeliveryPubSub } from '../src/server/pubsub.ts';
import type { DeliveryPubSub } from '../src/domains/deliveries/delivery-notifications.ts';
import { DELIVERY_CHANNEL, type DeliveryNotification } from '../src/domains/deliveries/delivery-notifications.ts';

let databaseUrl: string;
let pubsub: DeliveryPubSub;
let db: pg.Client;

beforeAll(async () => {
  databaseUrl = await createTestDatabase();
  pubsub = await startDeliveryPubSub(databaseUrl, { minBackoffMs: 20, maxBackoffMs: 200 });
  db = new pg.Client(databaseUrl);
  await db.connect();
});

afterAll(async () => {
  await pubsub?.close();
  await db?.end();
});

const notify = (notification: DeliveryNotification) =>
  db.query('select pg_notify($1, $2)', [DELIVERY_CHANNEL, JSON.stringify(notification)]);

const change = (workspaceId: string): DeliveryNotification => ({ workspaceId, deliveryId: randomUUID(), status: 'SUCCEEDED', attemptId: randomUUID() });

// A read that timed out stays outstanding and takes the next value; the following call reuses it
// instead of leaving it to swallow a value nobody looks at.
const outstanding = new WeakMap<AsyncIterator<unknown>, Promise<IteratorResult<unknown>>>();

/** The iterator's next value, 'nothing' when none arrives within `ms`, or 'ended'. */
async function nextWithin<T>(iterator: AsyncIterator<T>, ms = 2_000): Promise<T | 'nothing' | 'ended'> {
  const read = (outstanding.get(iterator) as Promise<IteratorResult<T>> | undefined) ?? iterator.next();
  outstanding.set(iterator, read);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'nothing'>((resolve) => (timer = setTimeout(() => resolve('nothing'), ms)));
  try {
    const result = await Promise.race([read, timeout]);
    if (result === 'nothing') return result;
    outstanding.delete(iterator);
    return result.done ? 'ended' : result.value;
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until the pub/sub counts `count` registered subscriptions of the workspace. */
async function untilCount(workspaceId: string, count: number) {
  const deadline = Date.now() + 5_000;
  while (pubsub.subscriberCount(workspaceId) !== count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} subscriptions, have ${pubsub.subscriberCount(workspaceId)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const registrations = async (workspaceId: string) =>
  Number((await db.query('select count(*) from delivery_listeners where workspace_id = $1', [workspaceId])).rows[0].count);

describe('delivery pub/sub', () => {
  it('registers each workspace it streams while it does, so writers announce its changes then only', async () => {
    const workspace = randomUUID();
    expect(await registrations(workspace)).toBe(0);
    const first = pubsub.subscribe(workspace);
    const second = pubsub.subscribe(workspace);
    await untilCount(workspace, 2);
    expect(await registrations(workspace)).toBe(1);
    await first.return?.();
    expect(await registrations(workspace)).toBe(1);
    await second.return?.();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await registrations(workspace)).toBe(0);
  });

  it("hands each notification to its own workspace's subscribers only", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const ofA = pubsub.subscribe(a);
    const alsoOfA = pubsub.subscribe(a);
    const ofB = pubsub.subscribe(b);
    const sent = change(a);
    await notify(sent);
    expect(await nextWithin(ofA)).toEqual(sent);
    expect(await nextWithin(alsoOfA)).toEqual(sent);
    expect(await nextWithin(ofB, 300)).toBe('nothing');
    await Promise.all([ofA.return?.(), alsoOfA.return?.(), ofB.return?.()]);
  });

  it('announces a change only when its transaction commits', async () => {
    const workspace = randomUUID();
    const subscription = pubsub.subscribe(workspace);
    const [rolledBack, committed] = [change(workspace), change(workspace)];

    await db.query('begin');
    await notify(rolledBack);
    await db.query('rollback');
    await db.query('begin');
    await notify(committed);
    expect(await nextWithin(subscription, 300)).toBe('nothing');
    await db.query('commit');

    expect(await nextWithin(subscription)).toEqual(committed);
    expect(await nextWithin(subscription, 300)).toBe('nothing');
    await subscription.return?.();
  });

  it('skips payloads that are not delivery notifications', async () => {
    const workspace = randomUUID();
    const subscription = pubsub.subscribe(workspace);
    await db.query('select pg_notify($1, $2)', [DELIVERY_CHANNEL, 'not json']);
    await db.query('select pg_notify($1, $2)', [DELIVERY_CHANNEL, JSON.stringify({ workspaceId: workspace })]);
    const sent = change(workspace);
    await notify(sent);
    expect(await nextWithin(subscription)).toEqual(sent);
    await subscription.return?.();
  });

  it('reconnects when its listening connection is killed, and notifications flow again', async () => {
    const workspace = randomUUID();
    const subscription = pubsub.subscribe(workspace);
    const { rows } = await db.query<{ pid: number }>(
      'select pg_terminate_backend(pid) as terminated, pid from pg_stat_activity where application_name = $1 and datname = current_database()',
      [LISTENER_APPLICATION_NAME],
    );
    expect(rows).toHaveLength(1);

    // The subscription survives the reconnect: the same iterator receives what is sent after it.
    await waitForNewListener(rows[0]!.pid);
    await pubsub.ready();
    const sent = change(workspace);
    await notify(sent);
    expect(await nextWithin(subscription, 5_000)).toEqual(sent);
    await subscription.return?.();
  });

  it('notices a connection that silently stops answering, and reconnects', async () => {
    // A TCP proxy that can freeze its open connections the way a dead network path would:
    // nothing is closed, nothing arrives.
    const target = new URL(databaseUrl);
    const pairs: [Socket, Socket][] = [];
    const proxy = createServer((downstream) => {
      const upstream = connect(Number(target.port), target.hostname);
      downstream.pipe(upstream).pipe(downstream);
      downstream.on('error', () => {});
      upstream.on('error', () => {});
      pairs.push([downstream, upstream]);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const viaProxy = new URL(databaseUrl);
    viaProxy.port = String((proxy.address() as AddressInfo).port);
    viaProxy.hostname = '127.0.0.1';
    const own = await startDeliveryPubSub(viaProxy.toString(), { heartbeatMs: 100, minBackoffMs: 10, maxBackoffMs: 50 });
    try {
      const workspace = randomUUID();
      const subscription = own.subscribe(workspace);
      for (const [downstream, upstream] of pairs.splice(0)) {
        downstream.unpipe(upstream);
        upstream.unpipe(downstream);
        upstream.pause();
      }
      const deadline = Date.now() + 5_000;
      while (pairs.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(pairs).toHaveLength(1);
      await own.ready();
      const sent = change(workspace);
      await notify(sent);
      expect(await nextWithin(subscription)).toEqual(sent);
    } finally {
      await own.close();
      for (const [downstream, upstream] of pairs) (downstream.destroy(), upstream.destroy());
      proxy.close();
    }
  });

  it('stops handing notifications to a subscriber that returned', async () => {
    const workspace = randomUUID();
    const subscription = pubsub.subscribe(workspace);
    await untilCount(workspace, 1);
    await subscription.return?.();
    expect(pubsub.subscriberCount(workspace)).toBe(0);
    await notify(change(workspace));
    expect(await nextWithin(subscription, 300)).toBe('ended');
  });

  it('answers reads made before anything arrived in order, one value each', async () => {
    const workspace = randomUUID();
    const subscription = pubsub.subscribe(workspace);
    const reads = [subscription.next(), subscription.next()];
    const sent = [change(workspace), change(workspace)];
    for (const notification of sent) await notify(notification);
    expect((await Promise.all(reads)).map((read) => read.value)).toEqual(sent);
    await subscription.return?.();
  });

  it('ends a subscriber that falls too far behind with an error, after what it had', async () => {
    const own = await startDeliveryPubSub(databaseUrl, { maxQueued: 2 });
    try {
      const workspace = randomUUID();
      const subscription = own.subscribe(workspace);
      // One listener connection delivers in commit order: once the probe's change is in, so are the three.
      const probeWorkspace = randomUUID();
      const probe = own.subscribe(probeWorkspace);
      const sent = [change(workspace), change(workspace), change(workspace)];
      for (const notification of [...sent, change(probeWorkspace)]) await notify(notification);
      expect(await nextWithin(probe)).toMatchObject({ workspaceId: probeWorkspace });
      expect(await nextWithin(subscription)).toEqual(sent[0]);
      expect(await nextWithin(subscription)).toEqual(sent[1]);
      await expect(subscription.next()).rejects.toThrow(/fell more than 2 delivery changes behind/);
      expect(own.subscriberCount(workspace)).toBe(0);
    } finally {
      await own.close();
    }
  });

  it('ends every subscription on close', async () => {
    const own = await startDeliveryPubSub(databaseUrl);
    const subscription = own.subscribe(randomUUID());
    const pending = nextWithin(subscription);
    await own.close();
    expect(await pending).toBe('ended');
    expect(() => own.subscribe(randomUUID())).toThrow(/closed/);
  });
});

/** Waits until a listener session other than `oldPid` is up, within 5 s. */
async function waitForNewListener(oldPid: number) {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const { rows } = await db.query<{ pid: number }>(
      'select pid from pg_stat_activity where application_name = $1 and datname = current_database() and pid <> $2',
      [LISTENER_APPLICATION_NAME, oldPid],
    );
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no new listener connection within 5 s');
}
