import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { createWorkspace, emitMany } from '../support/api.ts';
import { cpuPerOperation } from '../support/cpu-time.ts';
import { waitUntil } from '../support/load.ts';
import type { BenchContext, Evidence, Measurement } from '../support/measurement.ts';
import { median, rateVersusBaseline } from '../support/measurement.ts';
import { startProcess } from '../support/processes.ts';
import { resetStatements, topStatements } from '../support/profiles.ts';
import { startSwitchyardProcess } from '../support/switchyard.ts';

const NOOP_WORKER = fileURLToPath(new URL('../baselines/noop-worker.ts', import.meta.url));
const DELIVERIES = 5000;
const LIMIT_MS = 180_000;
/** Rounds of Switchyard and the baseline in turn, so that a drift of the machine hits both alike. */
const ROUNDS = 3;

/**
 * 3. End-to-end deliveries/s (claim, sign, POST to a keep-alive receiver, 200 recorded) of one
 * worker process with a queued backlog, vs graphile-worker running no-op jobs with the same
 * pool and concurrency settings, in alternating rounds; the ratio is the median of the rounds'.
 * The last round of each also counts CPU time, and Switchyard's takes a CPU profile and
 * Postgres's statements.
 */
export async function measureDelivery(bench: BenchContext): Promise<Measurement> {
  const rates: number[] = [];
  const noopRates: number[] = [];
  let evidence: Evidence[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const last = round === ROUNDS;
    const delivered = await deliveryRound(bench, round, last);
    const noop = await noopRound(bench, round, last);
    rates.push(delivered.rate);
    noopRates.push(noop.rate);
    evidence = [
      { title: 'CPU time per delivery (the receiver runs in the bench client)', lines: delivered.cpuTime },
      { title: 'CPU time per no-op job (the baseline; its jobs were queued before the worker started)', lines: noop.cpu },
      { title: 'Worker process CPU profile while delivering', lines: delivered.profile },
      { title: 'Postgres statements while delivering', lines: delivered.statements },
    ];
  }
  const ratios = rates.map((rate, round) => rate / noopRates[round]!);
  const rate = median(rates);
  bench.found.deliveryRate = rate;
  return rateVersusBaseline(`3. deliveries end to end, one worker process (deliveries/s; median of ${ROUNDS} rounds)`, rate, { rate: rate / median(ratios), what: 'graphile-worker no-op jobs' }, 0.5, {
    evidence: [
      { title: 'Deliveries and no-op jobs by round', lines: rates.map((r, k) => `- round ${k + 1}: ${r.toFixed(0)}/s vs ${noopRates[k]!.toFixed(0)}/s, ${(100 * ratios[k]!).toFixed(0)} %`) },
      ...evidence,
    ],
    bottleneck:
      'The attempt write, one statement and commit per delivery, and the pump\'s batched claim, which Postgres plans afresh on each call; graphile-worker\'s fetch and completion come once per pump run. Compare the CPU time per delivery with that per no-op job, and the statements.',
  });
}

const succeeded = async (db: pg.Pool) =>
  Number((await db.query<{ count: string }>("select count(*) from deliveries where status = 'SUCCEEDED'")).rows[0]!.count);

/** A backlog of DELIVERIES, then one worker process delivering it; `profiled` adds the evidence. */
async function deliveryRound(bench: BenchContext, round: number, profiled: boolean) {
  const { url, db } = await bench.freshDatabase(`bench_delivery_${round}`);
  try {
    const api = await startSwitchyardProcess(url, 'api');
    try {
      const sink = { name: 'sink', url: `${bench.receiver.url}/delivery`, eventTypes: ['order.*'], maxConcurrency: 50 };
      const { secretKey } = await createWorkspace(api.url, 'delivery', [sink]);
      await emitMany(api.url, secretKey, 'order.completed', DELIVERIES);
    } finally {
      await api.stop();
    }

    // Statistics as autovacuum keeps them: a table filled a moment ago still has an empty one's, and
    // plans made from those scan it whole, which no worker meets once a backlog has been there a while.
    await db.query('analyze');
    await resetStatements(db);
    // The receiver's count, not Postgres's, while the worker runs: counting rows would load the
    // database being measured.
    const received = bench.receiver.count('/delivery');
    const worker = await startSwitchyardProcess(url, 'worker');
    let profile: string[] = [];
    let cpuTime: string[] = [];
    try {
      if (profiled) await worker.startCpuProfile();
      let finished = false;
      cpuTime = await cpuPerOperation({ 'worker process': () => [worker.child.pid!], Postgres: bench.postgresPids }, async () => {
        finished = await waitUntil(() => bench.receiver.count('/delivery') - received >= DELIVERIES, LIMIT_MS)
          && await waitUntil(async () => (await succeeded(db)) >= DELIVERIES, 10_000);
        return DELIVERIES;
      });
      if (profiled) profile = await worker.stopCpuProfile();
      if (!finished) throw new Error(`only ${await succeeded(db)} of ${DELIVERIES} deliveries succeeded within ${LIMIT_MS} ms`);
    } finally {
      await worker.stop();
    }
    const { rows: [span] } = await db.query<{ seconds: number }>(
      `select extract(epoch from (select max(updated_at) from deliveries) - (select min(started_at) from attempts)) as seconds`,
    );
    return { rate: DELIVERIES / Number(span!.seconds), cpuTime, profile, statements: profiled ? await topStatements(db) : [] };
  } finally {
    await db.end();
  }
}

async function noopRound(bench: BenchContext, round: number, profiled: boolean): Promise<{ rate: number; cpu: string[] }> {
  const { url, db } = await bench.freshDatabase(`bench_noop_jobs_${round}`);
  try {
    await db.query(
      `select graphile_worker.add_jobs(array(
         select row('bench_noop', '{}'::json, null, null, 25, null, 0, null)::graphile_worker.job_spec from generate_series(1, $1)))`,
      [DELIVERIES],
    );
    const worker = await startProcess(NOOP_WORKER, { env: { DATABASE_URL: url, BENCH_JOBS: String(DELIVERIES) }, ready: /no-op worker running/ });
    try {
      let rate = 0;
      const measure = async () => {
        const done = await worker.waitForOutput(/done \d+ in ([\d.]+) ms/, LIMIT_MS);
        rate = DELIVERIES / (Number(done[1]) / 1000);
        return DELIVERIES;
      };
      const cpu = profiled ? await cpuPerOperation({ 'no-op worker': () => [worker.child.pid!], Postgres: bench.postgresPids }, measure) : (await measure(), []);
      return { rate, cpu };
    } finally {
      await worker.stop();
    }
  } finally {
    await db.end();
  }
}
