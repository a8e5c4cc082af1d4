// npm run bench: throughput, latency, isolation and memory as ratios to baselines measured in
// the same run on the same machine and Postgres, on durable Postgres (what `npm start` runs)
// and again with fsync off for the measurements that were first taken so. All traffic stays on
// 127.0.0.1 and every loop is bounded. `npm run bench -- ingest delivery` runs only the named
// measurements (and leaves RESULTS.md alone); `--durable` skips the fsync-off pass.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded-postgres.ts';
import { measureAllInOne } from './measurements/all-in-one.ts';
import { measureBatchIngest } from './measurements/batch-ingest.ts';
import { measureConditions } from './measurements/conditions.ts';
import { measureDelivery } from './measurements/delivery.ts';
import { measureEmitRoundTrip } from './measurements/emit-round-trip.ts';
import { measureIngest } from './measurements/ingest.ts';
import { measureIsolation } from './measurements/isolation.ts';
import { measureLatency } from './measurements/latency.ts';
import { measureScaleOut } from './measurements/scale-out.ts';
import { measureMemory } from './measurements/memory.ts';
import { measureSubscriptions } from './measurements/subscriptions.ts';
import type { BenchContext, Measurement } from './support/measurement.ts';
import { clusterPids } from './support/cpu-time.ts';
import { startReceiver, type BenchReceiver } from './support/receiver.ts';
import { startSwitchyardProcess } from './support/switchyard.ts';

const measurements: Record<string, (bench: BenchContext) => Promise<Measurement | Measurement[]>> = {
  ingest: measureIngest,
  conditions: measureConditions,
  batch: measureBatchIngest,
  delivery: measureDelivery,
  latency: measureLatency,
  isolation: measureIsolation,
  memory: measureMemory,
  subscriptions: measureSubscriptions,
  'all-in-one': measureAllInOne,
  'round-trip': measureEmitRoundTrip,
  'scale-out': measureScaleOut,
};
/** Measurements of the durable configuration only: they compare it with what users would build instead. */
const DURABLE_ONLY = new Set(['all-in-one', 'round-trip', 'scale-out']);
const args = process.argv.slice(2);
const durableOnly = args.includes('--durable');
const chosen = args.filter((arg) => !arg.startsWith('--'));
const unknown = chosen.filter((name) => !(name in measurements));
if (unknown.length) {
  console.error(`Unknown measurement(s): ${unknown.join(', ')}. Choose from: ${Object.keys(measurements).join(', ')}`);
  process.exit(1);
}

interface Pass {
  label: string;
  durable: boolean;
  port: number;
}
const passes: Pass[] = [
  { label: 'durable', durable: true, port: 54499 },
  ...(durableOnly ? [] : [{ label: 'fsync off', durable: false, port: 54498 }]),
];
const loadBefore = loadavg();
const receiver = await startReceiver();
/** Each measurement's results by pass, in the order the measurements ran. */
const results = new Map<string, Map<string, Measurement[]>>();
try {
  for (const pass of passes) {
    for (const [name, rows] of await runPass(pass, receiver)) {
      if (!results.has(name)) results.set(name, new Map());
      results.get(name)!.set(pass.label, rows);
    }
  }
} finally {
  await receiver.close();
}

async function runPass(pass: Pass, receiver: BenchReceiver): Promise<Map<string, Measurement[]>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const cluster = await startEmbeddedPostgres({
    dataDir,
    port: pass.port,
    database: 'bench_template',
    ephemeral: !pass.durable,
    settings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all', 'pg_stat_statements.track_planning': 'on' },
  });
  const found = new Map<string, Measurement[]>();
  try {
    await measureAll(pass, cluster, dataDir, receiver, found);
  } finally {
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return found;
}

async function measureAll(pass: Pass, cluster: EmbeddedDatabase, dataDir: string, receiver: BenchReceiver, found: Map<string, Measurement[]>) {
  const used: string[] = [];
  // One migrated template; each measurement gets a fresh copy of it.
  const templateUrl = cluster.urlFor('bench_template');
  await (await startSwitchyardProcess(templateUrl, 'api')).stop();
  const admin = new pg.Client(templateUrl);
  await admin.connect();
  await admin.query('create extension if not exists pg_stat_statements');
  await admin.end();

  const bench: BenchContext = {
    cluster,
    receiver,
    postgresPids: () => clusterPids(join(dataDir, 'pg')),
    found: {},
    durable: pass.durable,
    async freshDatabase(name) {
      await cluster.createDatabase(name, 'bench_template');
      used.push(name);
      const url = cluster.urlFor(name);
      const db = new pg.Pool({ connectionString: url, max: 4 });
      // Dropping the database afterwards ends any connection a failed measurement left open.
      db.on('error', () => {});
      return { url, db };
    },
  };
  for (const [name, measure] of Object.entries(measurements)) {
    if (chosen.length && !chosen.includes(name)) continue;
    if (!pass.durable && DURABLE_ONLY.has(name)) continue;
    console.log(`measuring ${name} (${pass.label}) ...`);
    try {
      found.set(name, [await measure(bench)].flat());
      // What a measurement leaves behind (autovacuum of its rows, dirty buffers) must not run
      // during the next one.
      await dropAndSettle(templateUrl, used.splice(0));
    } catch (error) {
      // A measurement that cannot finish is a result too; the others still run.
      console.error(error);
      found.set(name, [{ name, value: `failed: ${(error as Error).message.split('\n')[0]}`, baseline: '-', ratio: '-', target: '-', met: false, evidence: [] }]);
    }
  }
}

async function dropAndSettle(templateUrl: string, databases: string[]) {
  const admin = new pg.Client(templateUrl);
  await admin.connect();
  try {
    for (const name of databases) await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.query('checkpoint');
  } finally {
    await admin.end();
  }
}

const verdict = (met: boolean | null) => (met === null ? '' : met ? ' ✓' : ' ✗');
/** Rows of the durable pass, each with the same row of the fsync-off pass beside it where there is one. */
const rows = [...results.values()].flatMap((byPass) =>
  (byPass.get('durable') ?? byPass.get('fsync off') ?? []).map((row, index) => ({ row, second: byPass.get('durable') ? byPass.get('fsync off')?.[index] : undefined })));
const table = [
  '| measurement | Switchyard | baseline | ratio | target | fsync off: ratio (Switchyard) |',
  '| --- | --- | --- | --- | --- | --- |',
  ...rows.map(({ row, second }) =>
    `| ${row.name} | ${row.value} | ${row.baseline} | ${row.ratio} | ${row.target}${verdict(row.met)} | ${second ? `${second.ratio}${verdict(second.met)} (${second.value})` : '-'} |`),
].join('\n');
const all = [...results.values()].flatMap((byPass) => [...byPass].flatMap(([label, found]) => found.map((row) => ({ label, row }))));
const missed = all.filter(({ row }) => row.met === false);
const bottlenecks = missed.length
  ? `## Missed targets\n\n${missed.map(({ label, row }) => `- ${row.name} (${label}): ${row.bottleneck ?? 'no reading yet'}`).join('\n')}\n\n`
  : '';
const evidence = all
  .flatMap(({ label, row }) => row.evidence.map((e) => `### ${e.title} (${label})\n\n${e.lines.join('\n')}\n`))
  .join('\n');
console.log(`\n${table}\n\n${bottlenecks}${evidence}`);

if (!chosen.length) {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const load = (values: number[]) => values.map((value) => value.toFixed(2)).join(', ');
  const machine = `${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, embedded PostgreSQL 18 (durable; ` +
    `${durableOnly ? 'no fsync-off pass' : 'and a second pass with fsync off'}), ${new Date().toISOString()}\n\n` +
    `Load average (1, 5, 15 min) when the run began: ${load(loadBefore)}; when it ended: ${load(loadavg())} (the machine has ${cpus().length} cores).`;
  writeFileSync(
    new URL('RESULTS.md', import.meta.url),
    `# Benchmark results\n\nWritten by \`npm run bench\`; bench/README.md explains the setup and reads the profiles.\n\nMachine: ${machine}\n\n${table}\n\n${bottlenecks}## Profiles\n\n${evidence}`,
  );
}
