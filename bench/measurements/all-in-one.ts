import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createWorkspace, EMIT_MANY, EMIT_ONE, gql } from '../support/api.ts';
import { cpuPerOperation } from '../support/cpu-time.ts';
import { percentile, sleep, waitUntil } from '../support/load.ts';
import type { BenchContext, Evidence, Measurement } from '../support/measurement.ts';
import { median } from '../support/measurement.ts';
import { startProcess, type BenchProcess } from '../support/processes.ts';
import { resetStatements, topStatements } from '../support/profiles.ts';
import { now } from '../support/receiver.ts';
import { startReceiverProcess, type ReceiverProcess } from '../support/receiver-process.ts';
import { startSwitchyardProcess } from '../support/switchyard.ts';

const HAND_ROLLED = fileURLToPath(new URL('../baselines/hand-rolled-sender.ts', import.meta.url));
const BATCHES = 10;
const BATCH = 500;
const SINGLES = 200;
const ROUNDS = 3;
const LIMIT_MS = 120_000;
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/**
 * The hand-rolled emit: the events and their jobs in one statement, so one transaction, as
 * Switchyard's is. The bench runs it on its own connection: the hand-rolled sender has no API.
 */
const HAND_ROLLED_EMIT = `with inserted as (
    insert into hand_rolled_events (type, payload) select 'order.completed', p from json_array_elements($1::json) as p returning id)
  select count(*) from graphile_worker.add_jobs(array(
    select row('send_webhook', json_build_object('eventId', id::text), null, null, 25, null, 0, null)::graphile_worker.job_spec from inserted))`;

/** One of the two senders compared, as the round drives it. */
interface Sender {
  process: BenchProcess;
  /** Where its deliveries arrive. */
  path: string;
  /** The tables that its rows point at by foreign keys, comma-separated. */
  referencedTables: string;
  emit(payloads: object[]): Promise<void>;
  stop(): Promise<void>;
}

interface RoundResult {
  rate: number;
  latencies: number[];
  evidence: Evidence[];
}

/**
 * 8. The default `npm start` (API and worker in one process, durable Postgres, one webhook
 * connection with maxConcurrency 16) against a hand-rolled sender on the same stack (an events
 * table, one graphile-worker job per delivery, standardwebhooks and fetch, concurrency 16), both
 * posting to one receiver in a process of its own: 5,000 events in batches of 500, then 200
 * single emits one at a time. Throughput counts from the first emit to the last arrival, and
 * latency from before each emit call to its arrival. Rounds of each in turn; medians.
 */
export async function measureAllInOne(bench: BenchContext): Promise<Measurement[]> {
  const receiver = await startReceiverProcess();
  try {
    const switchyard: RoundResult[] = [];
    const handRolled: RoundResult[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const profiled = round === ROUNDS;
      switchyard.push(await runRound(bench, receiver, await switchyardSender(bench, receiver, round), profiled, 'Switchyard process'));
      handRolled.push(await runRound(bench, receiver, await handRolledSender(bench, receiver, round), profiled, 'hand-rolled sender'));
    }
    const rate = median(switchyard.map((r) => r.rate));
    const baseline = median(handRolled.map((r) => r.rate));
    const ours = switchyard.flatMap((r) => r.latencies);
    const theirs = handRolled.flatMap((r) => r.latencies);
    const [p50, p99] = [percentile(ours, 50), percentile(ours, 99)];
    const [base50, base99] = [percentile(theirs, 50), percentile(theirs, 99)];
    const rounds = switchyard.map((r, k) => `- round ${k + 1}: ${r.rate.toFixed(0)}/s vs ${handRolled[k]!.rate.toFixed(0)}/s, ${(r.rate / handRolled[k]!.rate).toFixed(2)}x; ` +
      `p50 ${percentile(r.latencies, 50).toFixed(1)} vs ${percentile(handRolled[k]!.latencies, 50).toFixed(1)} ms`);
    return [
      {
        name: `8. all-in-one npm start on durable Postgres vs a hand-rolled sender: ${BATCHES} x ${BATCH} events (deliveries/s; median of ${ROUNDS} rounds)`,
        value: `${rate.toFixed(0)}/s`,
        baseline: `${baseline.toFixed(0)}/s hand-rolled graphile-worker sender`,
        ratio: `${(rate / baseline).toFixed(2)}x`,
        target: '>= 3x',
        met: rate >= 3 * baseline,
        evidence: [
          { title: 'All-in-one and hand-rolled rates by round', lines: rounds },
          ...switchyard.at(-1)!.evidence,
          ...handRolled.at(-1)!.evidence,
        ],
        bottleneck: 'See the CPU time per delivery of each process and the Postgres statements under it.',
      },
      {
        name: `8. emit -> receiver latency, ${SINGLES} single emits one at a time, same setup (ms; all rounds)`,
        value: `p50 ${p50.toFixed(1)} / p99 ${p99.toFixed(1)}`,
        baseline: `p50 ${base50.toFixed(1)} / p99 ${base99.toFixed(1)} hand-rolled`,
        ratio: `+${(p50 - base50).toFixed(1)} / +${(p99 - base99).toFixed(1)}`,
        target: 'p50 and p99 within +3 ms',
        met: p50 <= base50 + 3 && p99 <= base99 + 3,
        evidence: [],
        bottleneck: "Switchyard's path has an HTTP request before the write, and a claim between the pump hearing of the event and the request (bench/README.md, section 8).",
      },
    ];
  } finally {
    await receiver.close();
  }
}

async function switchyardSender(bench: BenchContext, receiver: ReceiverProcess, round: number): Promise<Sender & { db: pg.Pool }> {
  const { url, db } = await bench.freshDatabase(`bench_all_in_one_${round}`);
  const process = await startSwitchyardProcess(url, 'all');
  const path = `/all-in-one/switchyard/${round}`;
  const { secretKey } = await createWorkspace(process.url, 'all-in-one', [{ name: 'sink', url: `${receiver.url}${path}`, eventTypes: ['order.*'], maxConcurrency: 16 }]);
  return {
    process,
    path,
    referencedTables: 'events, deliveries',
    db,
    async emit(payloads) {
      const events = payloads.map((payload) => ({ type: 'order.completed', payload }));
      if (events.length === 1) await gql(process.url, secretKey, EMIT_ONE, { input: events[0] });
      else await gql(process.url, secretKey, EMIT_MANY, { input: { events } });
    },
    async stop() {
      await process.stop();
      await db.end();
    },
  };
}

async function handRolledSender(bench: BenchContext, receiver: ReceiverProcess, round: number): Promise<Sender & { db: pg.Pool }> {
  const { url, db } = await bench.freshDatabase(`bench_hand_rolled_${round}`);
  const path = `/all-in-one/hand-rolled/${round}`;
  const process = await startProcess(HAND_ROLLED, {
    env: { DATABASE_URL: url, BENCH_TARGET: `${receiver.url}${path}`, BENCH_SECRET: SECRET },
    ready: /hand-rolled sender running/,
  });
  const client = new pg.Client(url);
  await client.connect();
  return {
    process,
    path,
    // It has no foreign keys; its events table is analyzed all the same, for the same start.
    referencedTables: 'hand_rolled_events',
    db,
    async emit(payloads) {
      await client.query(HAND_ROLLED_EMIT, [JSON.stringify(payloads)]);
    },
    async stop() {
      await client.end();
      await process.stop();
      await db.end();
    },
  };
}

async function runRound(bench: BenchContext, receiver: ReceiverProcess, sender: Sender & { db: pg.Pool }, profiled: boolean, name: string): Promise<RoundResult> {
  try {
    const arrived = (count: number) => waitUntil(async () => (await receiver.count(sender.path)) >= count, LIMIT_MS);
    // Warm-up: V8 compiles the hot paths, pools open their connections.
    await sender.emit(Array.from({ length: BATCH }, (_, i) => ({ i })));
    if (!(await arrived(BATCH))) throw new Error(`${name}: the warm-up did not arrive`);
    for (let i = 0; i < 20; i++) await sender.emit([{ i, sentAt: now() }]);
    if (!(await arrived(BATCH + 20))) throw new Error(`${name}: the warm-up singles did not arrive`);
    // Statistics of the tables that rows point at, as autovacuum keeps them in a database in use:
    // without them the foreign-key lookups planned while a table was empty stay cached on each
    // connection, and each new delivery's lookup of its event (each attempt's of its delivery)
    // reads every row of the workspace. Only those: graphile-worker's jobs table, analyzed now
    // that the warm-up drained it, would be planned as empty while it holds the backlog.
    await sender.db.query(`analyze ${sender.referencedTables}`);
    await sleep(500);

    const before = BATCH + 20;
    if (profiled) {
      await resetStatements(sender.db);
      await sender.process.startCpuProfile();
    }
    let seconds = 0;
    const work = async () => {
      const started = now();
      for (let b = 0; b < BATCHES; b++) await sender.emit(Array.from({ length: BATCH }, (_, i) => ({ b, i })));
      if (!(await waitUntil(async () => (await receiver.count(sender.path)) >= before + BATCHES * BATCH, LIMIT_MS))) {
        throw new Error(`${name}: only ${(await receiver.count(sender.path)) - before} of ${BATCHES * BATCH} deliveries arrived`);
      }
      seconds = (now() - started) / 1000;
      return BATCHES * BATCH;
    };
    // The API's listener for subscriptions hears every attempt, subscribers or not: its Postgres
    // backend is counted apart from the rest of Postgres.
    const { rows } = await sender.db.query<{ pid: number }>(
      `select pid from pg_stat_activity where application_name = 'switchyard-delivery-listener' and datname = current_database()`);
    const listeners = rows.map((row) => row.pid);
    const groups = {
      [name]: () => [sender.process.child.pid!],
      Postgres: () => bench.postgresPids().filter((pid) => !listeners.includes(pid)),
      receiver: () => [receiver.pid],
      ...(listeners.length ? { "Postgres: the delivery listener's backend": () => listeners } : {}),
    };
    const cpu = profiled ? await cpuPerOperation(groups, work) : (await work(), []);
    const profile = profiled ? await sender.process.stopCpuProfile(listeners.length ? ['src/server/pubsub.ts'] : []) : [];
    const statements = profiled ? await topStatements(sender.db) : [];

    await sleep(500);
    await receiver.clear();
    for (let i = 0; i < SINGLES; i++) {
      await sender.emit([{ i, sentAt: now() }]);
      if (!(await waitUntil(async () => (await receiver.latencies()).length > i, 5_000))) throw new Error(`${name}: a single emit took over 5 s`);
    }
    const latencies = await receiver.latencies();
    return {
      rate: (BATCHES * BATCH) / seconds,
      latencies,
      evidence: profiled
        ? [
            { title: `CPU time per delivery, ${name} (the receiver runs in its own process)`, lines: cpu },
            { title: `${name}: CPU profile while delivering`, lines: profile },
            { title: `${name}: Postgres statements while delivering`, lines: statements },
          ]
        : [],
    };
  } finally {
    await sender.stop();
  }
}
