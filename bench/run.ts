// npm run bench: throughput, latency, isolation and memory as ratios to baselines measured in
// the same run on the same machine and Postgres. Switchyard runs as its own API and worker
// processes, as in production; all traffic stays on 127.0.0.1 and every loop is bounded.
// `npm run bench -- ingest delivery` runs only the named measurements (and leaves RESULTS.md).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { measureBatchIngest } from './measurements/batch-ingest.ts';
import { measureConditions } from './measurements/conditions.ts';
import { measureDelivery } from './measurements/delivery.ts';
import { measureIngest } from './measurements/ingest.ts';
import { measureIsolation } from './measurements/isolation.ts';
import { measureLatency } from './measurements/latency.ts';
import { measureMemory } from './measurements/memory.ts';
import { measureSubscriptions } from './measurements/subscriptions.ts';
import type { BenchContext, Measurement } from './support/measurement.ts';
import { clusterPids } from './support/cpu-time.ts';
import { startReceiver } from './support/receiver.ts';
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
};
const chosen = process.argv.slice(2);
const unknown = chosen.filter((name) => !(name in measurements));
if (unknown.length) {
  console.error(`Unknown measurement(s): ${unknown.join(', ')}. Choose from: ${Object.keys(measurements).join(', ')}`);
  process.exit(1);
}

const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
const cluster = await startEmbeddedPostgres({
  dataDir,
  port: 54499,
  database: 'bench_template',
  ephemeral: true,
  settings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all', 'pg_stat_statements.track_planning': 'on' },
});
const receiver = await startReceiver();
const results: Measurement[] = [];
const used: string[] = [];
try {
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
    console.log(`measuring ${name} ...`);
    try {
      results.push(...[await measure(bench)].flat());
      // What a measurement leaves behind (autovacuum of its rows, dirty buffers) must not run
      // during the next one.
      await dropAndSettle(templateUrl, used.splice(0));
    } catch (error) {
      // A measurement that cannot finish is a result too; the others still run.
      console.error(error);
      results.push({ name, value: `failed: ${(error as Error).message.split('\n')[0]}`, baseline: '-', ratio: '-', target: '-', met: false, evidence: [] });
    }
  }
} finally {
  await receiver.close();
  await cluster.stop();
  rmSync(dataDir, { recursive: true, force: true });
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
const table = [
  '| measurement | Switchyard | baseline | ratio | target |',
  '| --- | --- | --- | --- | --- |',
  ...results.map((r) => `| ${r.name} | ${r.value} | ${r.baseline} | ${r.ratio} | ${r.target}${verdict(r.met)} |`),
].join('\n');
const missed = results.filter((r) => r.met === false);
const bottlenecks = missed.length
  ? `## Missed targets\n\n${missed.map((r) => `- ${r.name}: ${r.bottleneck ?? 'no reading yet'}`).join('\n')}\n\n`
  : '';
const evidence = results
  .flatMap((r) => r.evidence.map((e) => `### ${e.title}\n\n${e.lines.join('\n')}\n`))
  .join('\n');
console.log(`\n${table}\n\n${bottlenecks}${evidence}`);

if (!chosen.length) {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const machine = `${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, embedded PostgreSQL 18 (fsync off), ${new Date().toISOString()}`;
  writeFileSync(
    new URL('RESULTS.md', import.meta.url),
    `# Benchmark results\n\nWritten by \`npm run bench\`; bench/README.md explains the setup and reads the profiles.\n\nMachine: ${machine}\n\n${table}\n\n${bottlenecks}## Profiles\n\n${evidence}`,
  );
}
