import type pg from 'pg';
import { createWorkspace, emitMany, gql, EMIT_MANY } from '../support/api.ts';
import { waitUntil } from '../support/load.ts';
import type { BenchContext, Measurement } from '../support/measurement.ts';
import { median, rateVersusBaseline } from '../support/measurement.ts';
import { resetStatements, topStatements } from '../support/profiles.ts';
import { startSwitchyardProcess } from '../support/switchyard.ts';

const HEALTHY = 10_000;
const LIMIT_MS = 120_000;
/** Rounds of both phases, so that a drift of the machine hits both alike. */
const ROUNDS = 3;

/**
 * 5. A healthy connection's delivery rate while a second connection, with half the traffic,
 * hangs until its timeout, as a ratio to the healthy connection's rate alone: the median of
 * three rounds of both phases. The healthy rate is bound by its ten requests in flight rather
 * than by CPU, so single phases move with the machine's scheduling.
 */
export async function measureIsolation(bench: BenchContext): Promise<Measurement> {
  const rounds: { alone: number; shared: number }[] = [];
  let statements: { alone: string[]; shared: string[] } = { alone: [], shared: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    const { alone, shared } = await isolationRound(bench, round);
    rounds.push({ alone: alone.rate, shared: shared.rate });
    statements = { alone: alone.statements, shared: shared.statements };
  }
  const ratios = rounds.map((r) => r.shared / r.alone);
  const ratio = median(ratios);
  const shared = median(rounds.map((r) => r.shared));
  return rateVersusBaseline(`5. healthy connection beside one that hangs (deliveries/s; median of ${ROUNDS} rounds)`, shared, { rate: shared / ratio, what: 'healthy connection alone' }, 0.9, {
    evidence: [
      { title: 'Healthy connection beside the hanging one and alone, by round', lines: rounds.map((r, k) => `- round ${k + 1}: ${r.shared.toFixed(0)}/s vs ${r.alone.toFixed(0)}/s, ${(100 * ratios[k]!).toFixed(0)} %`) },
      { title: 'Postgres statements, healthy connection alone', lines: statements.alone },
      { title: 'Postgres statements, healthy connection beside the hanging one', lines: statements.shared },
    ],
    bottleneck:
      'The hanging connection costs one worker slot and no job fetches; what is left is the machine\'s two cores shared with its pump\'s claims and failure writes: compare the two statement tables.',
  });
}

/** One round: the healthy connection's backlog alone, then interleaved with the hanging one's. */
async function isolationRound(bench: BenchContext, round: number) {
  const { url, db } = await bench.freshDatabase(`bench_isolation_${round}`);
  try {
    const api = await startSwitchyardProcess(url, 'api');
    let secretKey: string;
    try {
      ({ secretKey } = await createWorkspace(api.url, 'isolation', [
        { name: 'healthy', url: `${bench.receiver.url}/healthy`, eventTypes: ['healthy.*'] },
        { name: 'hanging', url: `${bench.receiver.url}/hang`, eventTypes: ['hanging.*'], timeoutSeconds: 2 },
      ]));
      await emitMany(api.url, secretKey, 'healthy.alone', HEALTHY);
    } finally {
      await api.stop();
    }
    const alone = await healthyRate(bench, url, db, 'healthy.alone');

    const again = await startSwitchyardProcess(url, 'api');
    try {
      // Interleaved: every other event goes to the hanging connection.
      for (let start = 0; start < 2 * HEALTHY; start += 1000) {
        const events = Array.from({ length: 1000 }, (_, i) => ({ type: i % 2 ? 'hanging.shared' : 'healthy.shared', payload: { i: start + i } }));
        await gql(again.url, secretKey, EMIT_MANY, { input: { events } });
      }
    } finally {
      await again.stop();
    }
    return { alone, shared: await healthyRate(bench, url, db, 'healthy.shared') };
  } finally {
    await db.end();
  }
}

/**
 * Starts a worker on the queued backlog; the rate at which deliveries of `type` succeed. It
 * watches the receiver, not Postgres, while the worker runs: counting rows would load the
 * database being measured.
 */
async function healthyRate(bench: BenchContext, url: string, db: pg.Pool, type: string): Promise<{ rate: number; statements: string[] }> {
  // Statistics as autovacuum keeps them: a table filled a moment ago still has an empty one's, and
  // plans made from those scan it whole, which no worker meets once a backlog has been there a while.
  await db.query('analyze');
  await resetStatements(db);
  const received = bench.receiver.count('/healthy');
  const worker = await startSwitchyardProcess(url, 'worker');
  try {
    const done = async () =>
      Number((await db.query<{ count: string }>("select count(*) from deliveries where event_type = $1 and status = 'SUCCEEDED'", [type])).rows[0]!.count);
    const arrived = await waitUntil(() => bench.receiver.count('/healthy') - received >= HEALTHY, LIMIT_MS);
    if (!arrived || !(await waitUntil(async () => (await done()) >= HEALTHY, 10_000))) {
      throw new Error(`only ${await done()} of ${HEALTHY} ${type} deliveries succeeded`);
    }
  } finally {
    await worker.stop();
  }
  const { rows: [span] } = await db.query<{ seconds: number }>(
    `select extract(epoch from max(d.updated_at) - min(a.started_at)) as seconds
     from deliveries d join attempts a on a.delivery_id = d.id where d.event_type = $1`,
    [type],
  );
  return { rate: HEALTHY / Number(span!.seconds), statements: await topStatements(db, 6) };
}
