import { createWorkspace, emitMany } from '../support/api.ts';
import { sleep } from '../support/load.ts';
import type { BenchContext, Measurement } from '../support/measurement.ts';
import { startSwitchyardProcess } from '../support/switchyard.ts';

const CONNECTIONS = 10;
const EVENTS = 10_000;
const RUN_SECONDS = 15;
const MiB = 2 ** 20;

/** 6. Peak RSS of a worker process working through 100,000 queued deliveries. */
export async function measureMemory(bench: BenchContext): Promise<Measurement> {
  const { url, db } = await bench.freshDatabase('bench_memory');
  const api = await startSwitchyardProcess(url, 'api');
  try {
    // Ten connections with a rule each for `load.*`: every event makes ten deliveries.
    const sinks = Array.from({ length: CONNECTIONS }, (_, k) => ({ name: `sink-${k}`, url: `${bench.receiver.url}/memory/${k}`, eventTypes: ['load.*'] }));
    const { secretKey } = await createWorkspace(api.url, 'memory', sinks);
    await emitMany(api.url, secretKey, 'load.generated', EVENTS, (i) => ({ i, note: 'x'.repeat(200) }));
  } finally {
    await api.stop();
  }
  // Statistics as autovacuum keeps them: a table filled a moment ago still has an empty one's, and
  // plans made from those scan it whole, which no worker meets once a backlog has been there a while.
  await db.query('analyze');
  // Waiting deliveries are rows of their own; the jobs table holds one pump job per connection.
  const queued = Number((await db.query<{ count: string }>("select count(*) from deliveries where status = 'PENDING'")).rows[0]!.count);

  const worker = await startSwitchyardProcess(url, 'worker');
  let peak = 0;
  try {
    for (let elapsed = 0; elapsed < RUN_SECONDS * 1000; elapsed += 250) {
      peak = Math.max(peak, worker.peakRss() ?? 0);
      await sleep(250);
    }
    peak = Math.max(peak, worker.peakRss() ?? 0);
  } finally {
    await worker.stop();
  }
  const delivered = Number((await db.query<{ count: string }>("select count(*) from deliveries where status = 'SUCCEEDED'")).rows[0]!.count);
  await db.end();
  return {
    name: `6. worker peak RSS, ${queued.toLocaleString('en')} deliveries queued (${delivered.toLocaleString('en')} delivered in ${RUN_SECONDS} s)`,
    value: peak ? `${(peak / MiB).toFixed(0)} MB` : 'n/a (needs /proc)',
    baseline: '-',
    ratio: '-',
    target: '<= 300 MB',
    met: peak ? peak <= 300 * MiB : null,
    evidence: [],
    bottleneck: 'V8\'s young generation and the modules a worker loads; `npm start` caps the first with --max-semi-space-size.',
  };
}
