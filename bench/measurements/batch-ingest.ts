import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createWorkspace, EMIT_MANY } from '../support/api.ts';
import { cpuPerOperation } from '../support/cpu-time.ts';
import { closedLoop } from '../support/load.ts';
import type { BenchContext, Measurement } from '../support/measurement.ts';
import { rateVersusBaseline } from '../support/measurement.ts';
import { resetStatements, topStatements } from '../support/profiles.ts';
import { startSwitchyardProcess } from '../support/switchyard.ts';

const BATCH = 500;
const CLIENTS = 4;
const SECONDS = 5;

const payload = (i: number) => ({ orderId: `order-${i}`, total: 42, currency: 'EUR', lines: [{ sku: 'A-1', quantity: 2 }] });

/**
 * 2. emitEvents in batches of 500 vs raw SQL writing the same rows (event, delivery, job) in one
 * statement per batch, both from CLIENTS concurrent clients.
 */
export async function measureBatchIngest(bench: BenchContext): Promise<Measurement> {
  const { url, db } = await bench.freshDatabase('bench_batch');
  const api = await startSwitchyardProcess(url, 'api');
  try {
    const { secretKey } = await createWorkspace(api.url, 'batch', [{ name: 'sink', url: `${bench.receiver.url}/batch`, eventTypes: ['order.*'] }]);
    const target = { origin: api.url, path: '/graphql', headers: { authorization: `Bearer ${secretKey}` } };
    let n = 0;
    const body = () => JSON.stringify({ query: EMIT_MANY, variables: { input: { events: Array.from({ length: BATCH }, () => ({ type: 'order.completed', payload: payload(n++) })) } } });
    await closedLoop(target, body, { clients: CLIENTS, seconds: 1 });
    // The events table's statistics, as autovacuum keeps them (see all-in-one.ts).
    await db.query('analyze events');
    await resetStatements(db);
    await api.startCpuProfile();
    let rate = 0;
    const cpuTime = await cpuPerOperation({ 'API process': () => [api.child.pid!], Postgres: bench.postgresPids }, async () => {
      rate = BATCH * (await closedLoop(target, body, { clients: CLIENTS, seconds: SECONDS }));
      return rate * SECONDS;
    });
    const cpu = await api.stopCpuProfile();
    const statements = await topStatements(db);
    const sqlRate = await rawSqlRate(db);
    return rateVersusBaseline(`2. emitEvents, batches of ${BATCH}, ${CLIENTS} clients (events/s)`, rate, { rate: sqlRate, what: 'raw SQL, one statement per batch' }, 0.5, {
      evidence: [
        { title: 'CPU time per event in batches', lines: cpuTime },
        { title: 'API process CPU profile during emitEvents load', lines: cpu },
        { title: 'Postgres statements during emitEvents load', lines: statements },
      ],
      bottleneck:
        'The emit write in Postgres: its time per event in the statements, against the raw statement\'s.',
    });
  } finally {
    await api.stop();
    await db.end();
  }
}

/** Events per second that raw SQL writes: events, deliveries and add_jobs, one statement a batch. */
async function rawSqlRate(db: pg.Pool): Promise<number> {
  const { rows: [route] } = await db.query<{ workspace_id: string; connection_id: string; rule_id: string }>(
    'select r.workspace_id, r.connection_id, r.id as rule_id from rules r limit 1',
  );
  await db.query('create sequence if not exists bench_raw_sequence');
  const insert = `
    with new_events as (
      insert into events (id, workspace_id, type, payload, sequence, created_at, operational)
      select e.id, $2, 'order.completed', e.payload, nextval('bench_raw_sequence'), now(), false
      from json_to_recordset($1::json) as e(id uuid, payload jsonb)
      returning id),
    new_deliveries as (
      insert into deliveries (id, workspace_id, event_id, connection_id, rule_id, event_type, status, created_at, updated_at)
      select gen_random_uuid(), $2, id, $3, $4, 'order.completed', 'PENDING', now(), now() from new_events
      returning id)
    select graphile_worker.add_jobs(array(
      select row('bench_raw', json_build_object('deliveryId', id), 'bench_raw_' || (random() * 10)::int, null, 25, null, 0, null)::graphile_worker.job_spec
      from new_deliveries))`;
  let n = 0;
  const pool = new pg.Pool({ connectionString: (db.options as { connectionString: string }).connectionString, max: CLIENTS });
  const run = async (seconds: number) => {
    const deadline = Date.now() + seconds * 1000;
    let batches = 0;
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < deadline) {
        const events = Array.from({ length: BATCH }, () => ({ id: randomUUID(), payload: payload(n++) }));
        await pool.query(insert, [JSON.stringify(events), route!.workspace_id, route!.connection_id, route!.rule_id]);
        batches++;
      }
    }));
    return (batches * BATCH) / seconds;
  };
  try {
    await run(1);
    return await run(SECONDS);
  } finally {
    await pool.end();
  }
}
