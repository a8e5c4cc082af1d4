import { createWorkspace, EMIT_ONE, gql } from '../support/api.ts';
import { openLoop, percentile } from '../support/load.ts';
import type { BenchContext, Measurement } from '../support/measurement.ts';
import { now } from '../support/receiver.ts';
import { startSwitchyardProcess } from '../support/switchyard.ts';

const UNLOADED_SAMPLES = 200;
const LOADED_SECONDS = 5;

const summary = (latencies: number[]) =>
  `p50 ${percentile(latencies, 50).toFixed(1)} / p95 ${percentile(latencies, 95).toFixed(1)} / p99 ${percentile(latencies, 99).toFixed(1)}`;

/**
 * 4. Emit -> receiver latency with an API and a worker process: one event at a time, then an
 * open-loop load at half the end-to-end maximum the ingest and delivery rates imply.
 */
export async function measureLatency(bench: BenchContext): Promise<Measurement[]> {
  const { url, db } = await bench.freshDatabase('bench_latency');
  const api = await startSwitchyardProcess(url, 'api');
  const worker = await startSwitchyardProcess(url, 'worker');
  try {
    const { secretKey } = await createWorkspace(api.url, 'latency', [{ name: 'sink', url: `${bench.receiver.url}/latency`, eventTypes: ['ping.*'], maxConcurrency: 50 }]);
    const emitBody = () => JSON.stringify({ query: EMIT_ONE, variables: { input: { type: 'ping.sent', payload: { sentAt: now() } } } });
    const latencies = bench.receiver.latencies;

    const unloaded = async (samples: number) => {
      latencies.length = 0;
      for (let i = 0; i < samples; i++) {
        await gql(api.url, secretKey, EMIT_ONE, JSON.parse(emitBody()).variables);
        if (!(await bench.receiver.latencyCount(i + 1, 5_000))) throw new Error('a delivery took over 5 s unloaded');
      }
      return [...latencies];
    };
    await unloaded(20);
    const quiet = await unloaded(UNLOADED_SAMPLES);

    // The API and the worker share the machine and each event costs both an emit and a delivery:
    // the most they sustain together combines the rates measured alone like resistors in parallel.
    const maximum = 1 / (1 / (bench.found.ingestRate ?? 100) + 1 / (bench.found.deliveryRate ?? 100));
    const rate = Math.max(1, maximum / 2);
    latencies.length = 0;
    await openLoop({ origin: api.url, path: '/graphql', headers: { authorization: `Bearer ${secretKey}` } }, emitBody, { rate, seconds: LOADED_SECONDS });
    const expected = Math.round(rate * LOADED_SECONDS);
    if (!(await bench.receiver.latencyCount(expected, 60_000))) throw new Error(`only ${latencies.length} of ${expected} deliveries arrived`);
    const loaded = [...latencies];

    return [
      {
        name: `4. emit -> receiver latency, unloaded (ms, ${UNLOADED_SAMPLES} events one at a time)`,
        value: summary(quiet),
        baseline: '-',
        ratio: '-',
        target: 'p50 <= 10, p99 <= 30',
        met: percentile(quiet, 50) <= 10 && percentile(quiet, 99) <= 30,
        evidence: [],
        bottleneck: 'Round trips in series (the emit\'s write, graphile-worker\'s fetch, the pump\'s claim, the request), and, one event at a time, the hand-over: the next event arrives while the previous pump run is finishing, so its run waits until graphile-worker has completed that job.',
      },
      {
        name: `4. emit -> receiver latency at ${rate.toFixed(0)} events/s, half the maximum (ms)`,
        value: summary(loaded),
        baseline: '-',
        ratio: '-',
        target: '-',
        met: null,
        evidence: [],
      },
    ];
  } finally {
    await worker.stop();
    await api.stop();
    await db.end();
  }
}
