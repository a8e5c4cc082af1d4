import type pg from 'pg';
import { createWorkspace, EMIT_MANY, gql } from '../support/api.ts';
import { waitUntil } from '../support/load.ts';
import type { BenchContext, Measurement } from '../support/measurement.ts';
import { median } from '../support/measurement.ts';
import { now } from '../support/receiver.ts';
import { startSwitchyardProcess, type SwitchyardProcess } from '../support/switchyard.ts';

/** Connections the deliveries go to: a connection's pump runs in one worker at a time, so several spread the work. */
const CONNECTIONS = 8;
const EVENTS = 1000;
const BATCH = 250;
const DELIVERIES = CONNECTIONS * EVENTS;
const ROUNDS = 3;
const LIMIT_MS = 180_000;

interface Layout {
  apis: number;
  workers: number;
}
const ONE_EACH: Layout = { apis: 1, workers: 1 };
const TWO_EACH: Layout = { apis: 2, workers: 2 };

/**
 * 10. Scale-out: 2 API + 2 worker processes on one durable Postgres against 1 + 1, end to end:
 * 8,000 deliveries (1,000 events, each to all 8 webhook connections, maxConcurrency 16), emitted in
 * batches of 250 shared out between the API processes at once, delivered to the keep-alive receiver.
 * The rate counts from the first emit to the last arrival. Rounds of each layout in turn; medians.
 * On a machine with few cores the extra processes share the cores the first ones had: the
 * figure says what running apart costs or gains there, not what more machines would give.
 */
export async function measureScaleOut(bench: BenchContext): Promise<Measurement> {
  const one: number[] = [];
  const two: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    one.push(await runLayout(bench, ONE_EACH, round));
    two.push(await runLayout(bench, TWO_EACH, round));
  }
  const rate = median(two);
  const baseline = median(one);
  return {
    name: `10. scale-out: 2 API + 2 worker processes vs 1 + 1 on one durable Postgres, ${DELIVERIES} deliveries to ${CONNECTIONS} connections (deliveries/s; median of ${ROUNDS} rounds)`,
    value: `${rate.toFixed(0)}/s`,
    baseline: `${baseline.toFixed(0)}/s with 1 API + 1 worker`,
    ratio: `${(rate / baseline).toFixed(2)}x`,
    target: 'recorded (on 2 cores the processes share the same cores)',
    met: null,
    evidence: [{
      title: 'Scale-out rates by round',
      lines: one.map((r, k) => `- round ${k + 1}: 2 + 2 ${two[k]!.toFixed(0)}/s vs 1 + 1 ${r.toFixed(0)}/s, ${(two[k]! / r).toFixed(2)}x`),
    }],
  };
}

async function runLayout(bench: BenchContext, layout: Layout, round: number): Promise<number> {
  const label = `${layout.apis}x${layout.workers}`;
  const { url, db } = await bench.freshDatabase(`bench_scale_out_${label}_${round}`);
  const started: SwitchyardProcess[] = [];
  try {
    for (let i = 0; i < layout.apis; i++) started.push(await startSwitchyardProcess(url, 'api'));
    for (let i = 0; i < layout.workers; i++) started.push(await startSwitchyardProcess(url, 'worker'));
    const apis = started.slice(0, layout.apis);
    const paths = Array.from({ length: CONNECTIONS }, (_, i) => `/scale-out/${label}/${round}/${i}`);
    const { secretKey } = await createWorkspace(apis[0]!.url, `scale-out-${label}`,
      paths.map((path, i) => ({ name: `sink-${i}`, url: `${bench.receiver.url}${path}`, eventTypes: ['order.*'], maxConcurrency: 16 })));
    const arrived = () => paths.reduce((sum, path) => sum + bench.receiver.count(path), 0);
    // Warm-up: V8 compiles the hot paths, pools open their connections, every pump runs once.
    await gql(apis[0]!.url, secretKey, EMIT_MANY, { input: { events: Array.from({ length: 50 }, (_, i) => ({ type: 'order.warm', payload: { i } })) } });
    if (!(await waitUntil(() => arrived() >= 50 * CONNECTIONS, LIMIT_MS))) throw new Error(`${label}: the warm-up did not arrive`);
    const before = arrived();

    const startedAt = now();
    // Each API process takes its share of the batches, all at once.
    const batches = Array.from({ length: EVENTS / BATCH }, (_, b) => b);
    await Promise.all(apis.map((api, a) => (async () => {
      for (const b of batches.filter((batch) => batch % apis.length === a)) {
        await gql(api.url, secretKey, EMIT_MANY, { input: { events: Array.from({ length: BATCH }, (_, i) => ({ type: 'order.completed', payload: { b, i } })) } });
      }
    })()));
    if (!(await waitUntil(() => arrived() - before >= DELIVERIES, LIMIT_MS))) {
      throw new Error(`${label}: only ${arrived() - before} of ${DELIVERIES} deliveries arrived within ${LIMIT_MS} ms`);
    }
    const seconds = (now() - startedAt) / 1000;
    await assertOnce(db, DELIVERIES + 50 * CONNECTIONS);
    return DELIVERIES / seconds;
  } finally {
    await Promise.all(started.map((process) => process.stop()));
    await db.end();
  }
}

/**
 * Every delivery succeeded with exactly one attempt: two workers never sent one twice. Read once
 * the last ones are recorded (a request arrives before its attempt is written).
 */
async function assertOnce(db: pg.Pool, expected: number): Promise<void> {
  const read = async () => (await db.query<{ deliveries: number; attempts: number }>(
    `select (select count(*) from deliveries where status = 'SUCCEEDED')::int as deliveries, (select count(*) from attempts)::int as attempts`)).rows[0]!;
  await waitUntil(async () => (await read()).deliveries >= expected, 15_000);
  const row = await read();
  if (row.deliveries !== expected || row.attempts !== expected) {
    throw new Error(`expected ${expected} deliveries with one attempt each, found ${row.deliveries} succeeded and ${row.attempts} attempts`);
  }
}
