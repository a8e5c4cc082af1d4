import { createClient, type Client } from 'graphql-ws';
import { createWorkspace, EMIT_ONE } from '../support/api.ts';
import { cpuPerOperation } from '../support/cpu-time.ts';
import { openLoop, percentile, sleep, waitUntil } from '../support/load.ts';
import type { BenchContext, Measurement } from '../support/measurement.ts';
import { now } from '../support/receiver.ts';
import { startSwitchyardProcess } from '../support/switchyard.ts';

const SUBSCRIBERS = 1000;
const EVENTS = 50;
const RATE = 10;
const QUERY = 'subscription { deliveryAttempts { id attempt status statusCode delivery { id status } event { id type } } }';

/**
 * 7. 1,000 graphql-ws subscribers (one socket each) watching one workspace's attempts: time from
 * the receiver's answer to each subscriber's message, with an API and a worker process.
 */
export async function measureSubscriptions(bench: BenchContext): Promise<Measurement> {
  const { url, db } = await bench.freshDatabase('bench_subscriptions');
  const api = await startSwitchyardProcess(url, 'api');
  const worker = await startSwitchyardProcess(url, 'worker');
  const clients: Client[] = [];
  try {
    const { secretKey } = await createWorkspace(api.url, 'subscriptions', [{ name: 'sink', url: `${bench.receiver.url}/subscriptions`, eventTypes: ['tick.*'], maxConcurrency: 50 }]);
    const received = new Array<number>(SUBSCRIBERS).fill(0);
    const latencies: number[] = [];
    let failures = 0;
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const client = createClient({ url: `${api.url.replace('http', 'ws')}/graphql`, connectionParams: { authorization: `Bearer ${secretKey}` }, retryAttempts: 0 });
      clients.push(client);
      client.subscribe<{ deliveryAttempts: { delivery: { id: string } } }>({ query: QUERY }, {
        next: ({ data }) => {
          const answered = bench.receiver.answeredAt.get(data!.deliveryAttempts.delivery.id);
          if (answered !== undefined) latencies.push(now() - answered);
          received[i]!++;
        },
        error: () => failures++,
        complete: () => {},
      });
      // Sockets open a few at a time, the way dashboards connect, not all in one tick.
      if (i % 50 === 49) await sleep(20);
    }
    const emit = { origin: api.url, path: '/graphql', headers: { authorization: `Bearer ${secretKey}` } };
    const body = () => JSON.stringify({ query: EMIT_ONE, variables: { input: { type: 'tick.happened', payload: {} } } });
    // Every subscriber sees a first event before the measured ones: all are subscribed then.
    const allSubscribed = async () => received.every((count) => count > 0);
    for (let tries = 0; tries < 10 && !(await waitUntil(allSubscribed, 3_000)); tries++) await openLoop(emit, body, { rate: 1, seconds: 1 });
    if (!(await allSubscribed())) throw new Error(`only ${received.filter((count) => count > 0).length} of ${SUBSCRIBERS} subscribers are live (${failures} failed)`);
    await sleep(500);
    latencies.length = 0;
    const base = received.map((count) => count);
    let complete = false;
    await api.startCpuProfile();
    const cpuTime = await cpuPerOperation({ 'API process': () => [api.child.pid!], 'worker process': () => [worker.child.pid!], Postgres: bench.postgresPids }, async () => {
      await openLoop(emit, body, { rate: RATE, seconds: EVENTS / RATE });
      complete = await waitUntil(() => received.every((count, i) => count - base[i]! >= EVENTS), 60_000);
      return received.reduce((sum, count, i) => sum + count - base[i]!, 0);
    });
    const cpu = await api.stopCpuProfile();
    const messages = received.reduce((sum, count, i) => sum + count - base[i]!, 0);
    if (!complete) throw new Error(`subscribers got ${messages} of ${EVENTS * SUBSCRIBERS} messages (${failures} failed)`);
    const p99 = percentile(latencies, 99);
    return {
      name: `7. attempt -> subscriber, ${SUBSCRIBERS.toLocaleString('en')} graphql-ws subscribers, ${RATE} attempts/s (ms)`,
      value: `p50 ${percentile(latencies, 50).toFixed(0)} / p99 ${p99.toFixed(0)}`,
      baseline: '-',
      ratio: '-',
      target: 'p99 <= 200',
      met: p99 <= 200,
      evidence: [
        { title: 'CPU time per subscriber message (the subscribers run in the bench client)', lines: cpuTime },
        { title: 'API process CPU profile while streaming', lines: cpu },
      ],
      bottleneck: 'The API sends every message to every socket, one after another: see the CPU time per subscriber message and the profile.',
    };
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    await worker.stop();
    await api.stop();
    await db.end();
  }
}
