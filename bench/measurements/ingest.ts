import { fileURLToPath } from 'node:url';
import { createWorkspace, EMIT_ONE } from '../support/api.ts';
import { cpuPerOperation } from '../support/cpu-time.ts';
import { closedLoop } from '../support/load.ts';
import type { BenchContext, Measurement } from '../support/measurement.ts';
import { rateVersusBaseline } from '../support/measurement.ts';
import { startProcess } from '../support/processes.ts';
import { resetStatements, topStatements } from '../support/profiles.ts';
import { startSwitchyardProcess } from '../support/switchyard.ts';

const NOOP_API = fileURLToPath(new URL('../baselines/noop-api.ts', import.meta.url));
const CLIENTS = 8;
const SECONDS = 5;

/** 1. emitEvent over HTTP (one event, one matching rule) vs a bare graphql-yoga no-op mutation. */
export async function measureIngest(bench: BenchContext): Promise<Measurement> {
  const noop = await startProcess(NOOP_API, { env: {}, ready: /listening on (\S+)/ });
  const noopBody = JSON.stringify({ query: 'mutation ($input: String) { noop(input: $input) }', variables: { input: 'x' } });
  await closedLoop({ origin: noop.ready[1]!, path: '/graphql' }, () => noopBody, { clients: CLIENTS, seconds: 1 });
  let noopRate = 0;
  const noopCpu = await cpuPerOperation({ 'no-op server': () => [noop.child.pid!] }, async () => {
    noopRate = await closedLoop({ origin: noop.ready[1]!, path: '/graphql' }, () => noopBody, { clients: CLIENTS, seconds: SECONDS });
    return noopRate * SECONDS;
  });
  await noop.stop();

  const { url, db } = await bench.freshDatabase('bench_ingest');
  const api = await startSwitchyardProcess(url, 'api');
  try {
    const { secretKey } = await createWorkspace(api.url, 'ingest', [{ name: 'sink', url: `${bench.receiver.url}/ingest`, eventTypes: ['order.*'] }]);
    const target = { origin: api.url, path: '/graphql', headers: { authorization: `Bearer ${secretKey}` } };
    let i = 0;
    const body = () => JSON.stringify({ query: EMIT_ONE, variables: { input: { type: 'order.completed', resourceId: `order-${i++}`, payload: { total: 42, currency: 'EUR' } } } });
    await closedLoop(target, body, { clients: CLIENTS, seconds: 1 });
    await resetStatements(db);
    await api.startCpuProfile();
    let rate = 0;
    const cpuTime = await cpuPerOperation({ 'API process': () => [api.child.pid!], Postgres: bench.postgresPids }, async () => {
      rate = await closedLoop(target, body, { clients: CLIENTS, seconds: SECONDS });
      return rate * SECONDS;
    });
    const cpu = await api.stopCpuProfile();
    bench.found.ingestRate = rate;
    return rateVersusBaseline(`1. emitEvent, ${CLIENTS} keep-alive clients (API process, req/s)`, rate, { rate: noopRate, what: 'graphql-yoga no-op' }, 0.3, {
      evidence: [
        { title: 'CPU time per emitEvent', lines: cpuTime },
        { title: 'CPU time per no-op request (the baseline)', lines: noopCpu },
        { title: 'API process CPU profile during emitEvent load', lines: cpu },
        { title: 'Postgres statements during emitEvent load', lines: await topStatements(db) },
      ],
      bottleneck:
        'Two round trips per emit (the key lookup, the write) and, inside the write, graphile-worker\'s add_jobs, whose `update ... set key = null` is the largest statement it runs; the API\'s GraphQL stack costs about what the no-op\'s does. See the CPU time per emitEvent and the statements.',
    });
  } finally {
    await api.stop();
    await db.end();
  }
}
