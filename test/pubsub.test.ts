import { randomUUID } from 'node:crypto';
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './helpers/database.ts';
import { LISTENER_APPLICATION_NAME, startDeliveryPubSub } from '../src/server/pubsub.ts';
import { DELIVERY_CHANNEL, type DeliveryPubSub } from '../src/domains/deliveries/delivery-notifications.ts';

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

/** What a write of the engine sends on commit, for a workspace someone streams. */
const notify = (workspaceId: string) =>
  db.query('select pg_notify($1, $2)', [DELIVERY_CHANNEL, JSON.stringify({ workspaceId, deliveryId: randomUUID(), status: 'SUCCEEDED' })]);

const registrations = async (workspaceId: string) =>
  Number((await db.query('select count(*) from delivery_listeners where workspace_id = $1', [workspaceId])).rows[0].count);

/** Counts a listener's wake-ups; `next` resolves true at the next one, false after `ms` without. */
function wakes(source: DeliveryPubSub, workspaceId: string) {
  let count = 0;
  let waiter: (() => void) | null = null;
  const { stop, registered } = source.listen(workspaceId, () => {
    count++;
    waiter?.();
  });
  return {
    stop,
    registered,
    get count() {
      return count;
    },
    next(ms = 2_000): Promise<boolean> {
      const before = count;
      return new Promise((resolve) => {
        const timer = setTimeout(() => ((waiter = null), resolve(count > before)), ms);
        waiter = () => {
          clearTimeout(timer);
          waiter = null;
          resolve(true);
        };
      });
    },
  };
}

describe('delivery pub/sub', () => {
  it('registers each workspace it streams while it does, so writers announce its changes then only', async () => {
    const workspace = randomUUID();
    expect(await registrations(workspace)).toBe(0);
    const [first, second] = [wakes(pubsub, workspace), wakes(pubsub, workspace)];
    await Promise.all([first.registered, second.registered]);
    expect(pubsub.listenerCount(workspace)).toBe(2);
    expect(await registrations(workspace)).toBe(1);
    first.stop();
    expect(await registrations(workspace)).toBe(1);
    second.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await registrations(workspace)).toBe(0);
  });

  it("wakes each workspace's own listeners only", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const ofA = wakes(pubsub, a);
    const alsoOfA = wakes(pubsub, a);
    const ofB = wakes(pubsub, b);
    const [first, second] = [ofA.next(), alsoOfA.next()];
    await notify(a);
    expect(await first).toBe(true);
    expect(await second).toBe(true);
    expect(await ofB.next(300)).toBe(false);
    for (const listener of [ofA, alsoOfA, ofB]) listener.stop();
  });

  it('wakes only when the transaction that changed something commits', async () => {
    const workspace = randomUUID();
    const listener = wakes(pubsub, workspace);
    await db.query('begin');
    await notify(workspace);
    await db.query('rollback');
    await db.query('begin');
    await notify(workspace);
    expect(await listener.next(300)).toBe(false);
    const woken = listener.next();
    await db.query('commit');
    expect(await woken).toBe(true);
    expect(await listener.next(300)).toBe(false);
    listener.stop();
  });

  it('ignores payloads that name no workspace of its listeners', async () => {
    const workspace = randomUUID();
    const listener = wakes(pubsub, workspace);
    await db.query('select pg_notify($1, $2)', [DELIVERY_CHANNEL, 'not json']);
    await db.query('select pg_notify($1, $2)', [DELIVERY_CHANNEL, JSON.stringify({ workspaceId: 'not an id' })]);
    await db.query('select pg_notify($1, $2)', [DELIVERY_CHANNEL, JSON.stringify({ workspaceId: randomUUID() })]);
    expect(await listener.next(300)).toBe(false);
    const woken = listener.next();
    await notify(workspace);
    expect(await woken).toBe(true);
    listener.stop();
  });

  it('reconnects when its listening connection is killed, registering its workspaces again and waking every listener', async () => {
    const workspace = randomUUID();
    const listener = wakes(pubsub, workspace);
    await listener.registered;
    const rewoken = listener.next(5_000);
    const { rows } = await db.query<{ pid: number }>(
      'select pg_terminate_backend(pid) as terminated, pid from pg_stat_activity where application_name = $1 and datname = current_database()',
      [LISTENER_APPLICATION_NAME],
    );
    expect(rows).toHaveLength(1);
    // Changes may have committed while nobody listened: the listeners are woken to read them.
    await waitForNewListener(rows[0]!.pid);
    await pubsub.ready();
    expect(await rewoken).toBe(true);
    expect(await registrations(workspace)).toBe(1);

    const woken = listener.next(5_000);
    await notify(workspace);
    expect(await woken).toBe(true);
    listener.stop();
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
      const listener = wakes(own, workspace);
      for (const [downstream, upstream] of pairs.splice(0)) {
        downstream.unpipe(upstream);
        upstream.unpipe(downstream);
        upstream.pause();
      }
      const deadline = Date.now() + 5_000;
      while (pairs.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(pairs).toHaveLength(1);
      await own.ready();
      const woken = listener.next();
      await notify(workspace);
      expect(await woken).toBe(true);
    } finally {
      await own.close();
      for (const [downstream, upstream] of pairs) (downstream.destroy(), upstream.destroy());
      proxy.close();
    }
  });

  it('stops waking a listener that stopped, and keeps the others', async () => {
    const workspace = randomUUID();
    const stopped = wakes(pubsub, workspace);
    const kept = wakes(pubsub, workspace);
    await Promise.all([stopped.registered, kept.registered]);
    expect(pubsub.listenerCount(workspace)).toBe(2);
    stopped.stop();
    expect(pubsub.listenerCount(workspace)).toBe(1);
    const woken = kept.next();
    await notify(workspace);
    expect(await woken).toBe(true);
    expect(stopped.count).toBe(0);
    kept.stop();
    expect(pubsub.listenerCount(workspace)).toBe(0);
  });

  it('refuses new listeners once closed', async () => {
    const own = await startDeliveryPubSub(databaseUrl);
    wakes(own, randomUUID());
    await own.close();
    expect(() => own.listen(randomUUID(), () => {})).toThrow(/closed/);
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
