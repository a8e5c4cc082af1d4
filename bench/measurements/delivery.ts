import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { createWorkspace, emitMany } from '../support/api.ts';
import { cpuPerOperation } from '../support/cpu-time.ts';
import { waitUntil } from '../support/load.ts';
import type { BenchContext, Measurement } from '../support/measurement.ts';
import { rateVersusBaseline } from '../support/measurement.ts';
import { startProcess } from '../support/processes.ts';
import { resetStatements, topStatements } from '../support/profiles.ts';
import { startSwitchyardProcess } from '../support/switchyard.ts';

const NOOP_WORKER = fileURLToPath(new URL('../baselines/noop-worker.ts', import.meta.url));
const DELIVERIES = 5000;
const LIMIT_MS = 180_000;

/**
 * 3. End-to-end deliveries/s (claim, sign, POST to a keep-alive receiver, 200 recorded) of one
 * worker process with a queued backlog, vs graphile-worker running no-op jobs with the same
 * pool and concurrency settings.
 */
export async function measureDelivery(bench: BenchContext): Promise<Measurement> {
  const { url, db } = await bench.freshDatabase('bench_delivery');
  const api = await startSwitchyardProcess(url, 'api');
  try {
    const sink = { name: 'sink', url: `${bench.receiver.url}/delivery`, eventTypes: ['order.*'], maxConcurrency: 50 };
    const { secretKey } = await createWorkspace(api.url, 'delivery', [sink]);
    await emitMany(api.url, secretKey, 'order.completed', DELIVERIES);
  } finally {
    await api.stop();
  }

  await resetStatements(db);
  const worker = await startSwitchyardProcess(url, 'worker');
  let cpu: string[];
  let cpuTime: string[];
  try {
    await worker.startCpuProfile();
    let finished = false;
    cpuTime = await cpuPerOperation({ 'worker process': () => [worker.child.pid!], Postgres: bench.postgresPids }, async () => {
      const before = await succeeded(db);
      finished = await waitUntil(async () => (await succeeded(db)) >= DELIVERIES, LIMIT_MS);
      return (await succeeded(db)) - before;
    });
    cpu = await worker.stopCpuProfile();
    if (!finished) throw new Error(`only ${await succeeded(db)} of ${DELIVERIES} deliveries succeeded within ${LIMIT_MS} ms`);
  } finally {
    await worker.stop();
  }
  const { rows: [span] } = await db.query<{ seconds: number }>(
    `select extract(epoch from (select max(updated_at) from deliveries) - (select min(started_at) from attempts)) as seconds`,
  );
  const rate = DELIVERIES / Number(span!.seconds);
  bench.found.deliveryRate = rate;
  const statements = await topStatements(db);
  await db.end();

  const noop = await noopJobRate(bench);
  return rateVersusBaseline('3. deliveries end to end, one worker process (deliveries/s)', rate, { rate: noop.rate, what: 'graphile-worker no-op jobs' }, 0.5, {
    evidence: [
      { title: 'CPU time per delivery (the receiver runs in the bench client)', lines: cpuTime },
      { title: 'CPU time per no-op job (the baseline; its jobs were queued before the worker started)', lines: noop.cpu },
      { title: 'Worker process CPU profile while delivering', lines: cpu },
      { title: 'Postgres statements while delivering', lines: statements },
    ],
    bottleneck:
      'Four statements per delivery (graphile-worker\'s fetch and completion, the claim, the attempt write), each with its commit, where a no-op job is two: compare the CPU time per delivery with that per no-op job, and the statements.',
  });
}

const succeeded = async (db: pg.Pool) =>
  Number((await db.query<{ count: string }>("select count(*) from deliveries where status = 'SUCCEEDED'")).rows[0]!.count);

async function noopJobRate(bench: BenchContext): Promise<{ rate: number; cpu: string[] }> {
  const { url, db } = await bench.freshDatabase('bench_noop_jobs');
  try {
    await db.query(
      `select graphile_worker.add_jobs(array(
         select row('bench_noop', '{}'::json, null, null, 25, null, 0, null)::graphile_worker.job_spec from generate_series(1, $1)))`,
      [DELIVERIES],
    );
    const worker = await startProcess(NOOP_WORKER, { env: { DATABASE_URL: url, BENCH_JOBS: String(DELIVERIES) }, ready: /no-op worker running/ });
    try {
      let rate = 0;
      const cpu = await cpuPerOperation({ 'no-op worker': () => [worker.child.pid!], Postgres: bench.postgresPids }, async () => {
        const done = await worker.waitForOutput(/done \d+ in ([\d.]+) ms/, LIMIT_MS);
        rate = DELIVERIES / (Number(done[1]) / 1000);
        return DELIVERIES;
      });
      return { rate, cpu };
    } finally {
      await worker.stop();
    }
  } finally {
    await db.end();
  }
}
