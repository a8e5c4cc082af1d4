import { scrapedGauge } from './metrics.ts';

/** What a pg pool says of itself (pg.Pool has these). */
export interface PoolLike {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/** The parts of this process whose state the gauges below read at scrape time. */
const pools = new Map<string, PoolLike>();
const workers = new Set<{ busy(): number; slots: number }>();
const subscriptionCounters = new Set<() => { sockets: number; subscriptions: number }>();

/** Reports `pool` as `switchyard_db_pool_connections{pool=name}` until the returned function is called. */
export function watchPool(name: string, pool: PoolLike): () => void {
  pools.set(name, pool);
  return () => void pools.delete(name);
}

/** Reports a worker's slots until the returned function is called. */
export function watchWorker(worker: { busy(): number; slots: number }): () => void {
  workers.add(worker);
  return () => void workers.delete(worker);
}

/** Reports the API's open subscriptions until the returned function is called. */
export function watchSubscriptions(count: () => { sockets: number; subscriptions: number }): () => void {
  subscriptionCounters.add(count);
  return () => void subscriptionCounters.delete(count);
}

scrapedGauge({
  name: 'switchyard_db_pool_connections',
  help: 'Connections of this process\'s Postgres pools: busy (running a query or held), idle, and waiting (callers queued for one).',
  labelNames: ['pool', 'state'] as const,
  read(gauge) {
    gauge.reset();
    for (const [name, pool] of pools) {
      gauge.set({ pool: name, state: 'busy' }, pool.totalCount - pool.idleCount);
      gauge.set({ pool: name, state: 'idle' }, pool.idleCount);
      gauge.set({ pool: name, state: 'waiting' }, pool.waitingCount);
    }
  },
});

scrapedGauge({
  name: 'switchyard_worker_slots_busy',
  help: 'graphile-worker slots of this process running a job (a connection\'s pump holds one with all its attempts in flight).',
  read(gauge) {
    gauge.set([...workers].reduce((sum, worker) => sum + worker.busy(), 0));
  },
});

scrapedGauge({
  name: 'switchyard_worker_slots',
  help: 'graphile-worker slots of this process (SWITCHYARD_WORKER_CONCURRENCY).',
  read(gauge) {
    gauge.set([...workers].reduce((sum, worker) => sum + worker.slots, 0));
  },
});

scrapedGauge({
  name: 'switchyard_subscriptions_open',
  help: 'GraphQL subscriptions open on this process\'s graphql-ws sockets.',
  read(gauge) {
    gauge.set([...subscriptionCounters].reduce((sum, count) => sum + count().subscriptions, 0));
  },
});

scrapedGauge({
  name: 'switchyard_subscription_sockets_open',
  help: 'graphql-ws sockets open on this process.',
  read(gauge) {
    gauge.set([...subscriptionCounters].reduce((sum, count) => sum + count().sockets, 0));
  },
});
