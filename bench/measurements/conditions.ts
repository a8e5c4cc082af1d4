import { createWorkspace, EMIT_ONE } from '../support/api.ts';
import { cpuPerOperation } from '../support/cpu-time.ts';
import { closedLoop, type PostTarget } from '../support/load.ts';
import type { BenchContext, Measurement } from '../support/measurement.ts';
import { median, rateVersusBaseline } from '../support/measurement.ts';
import { resetStatements, topStatements } from '../support/profiles.ts';
import { startSwitchyardProcess } from '../support/switchyard.ts';

const CLIENTS = 8;
const SECONDS = 3;
const ROUNDS = 3;

/**
 * 1b. emitEvent whose rule has a condition, vs the same emit whose rule has none, in alternating
 * rounds on one API process: a condition of paths and operators runs in place, one with a function
 * call in an expression worker process (a round trip per event). Each round starts with the next
 * kind, so that none always runs right after another. After the rounds, one more of the first
 * two counts CPU time per emit, and the one with the condition in place takes a CPU profile of the
 * API and Postgres's statements; those are not among the rates.
 */
export async function measureConditions(bench: BenchContext): Promise<Measurement[]> {
  const { url, db } = await bench.freshDatabase('bench_conditions');
  const api = await startSwitchyardProcess(url, 'api');
  try {
    const sink = `${bench.receiver.url}/conditions`;
    const workspaces = {
      none: await createWorkspace(api.url, 'no-condition', [{ name: 'sink', url: sink, eventTypes: ['order.*'] }]),
      inPlace: await createWorkspace(api.url, 'in-place', [{ name: 'sink', url: sink, eventTypes: ['order.*'], condition: 'payload.total > 10 and payload.currency = "EUR"' }]),
      worker: await createWorkspace(api.url, 'in-worker', [{ name: 'sink', url: sink, eventTypes: ['order.*'], condition: '$sum(payload.lines) > 10' }]),
    };
    let i = 0;
    const body = () =>
      JSON.stringify({ query: EMIT_ONE, variables: { input: { type: 'order.completed', resourceId: `order-${i++}`, payload: { total: 42, currency: 'EUR', lines: [20, 22] } } } });
    const target = (key: string): PostTarget => ({ origin: api.url, path: '/graphql', headers: { authorization: `Bearer ${key}` } });
    const rates: Record<keyof typeof workspaces, number[]> = { none: [], inPlace: [], worker: [] };
    const kinds = Object.keys(workspaces) as (keyof typeof workspaces)[];
    for (const kind of kinds) await closedLoop(target(workspaces[kind].secretKey), body, { clients: CLIENTS, seconds: 2 });
    // The events table's statistics, as autovacuum keeps them (see ingest.ts): without them the
    // write's checks of each event read more of the table every round, so later rounds ran slower.
    await db.query('analyze events');
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of [...kinds.slice(round % kinds.length), ...kinds.slice(0, round % kinds.length)]) {
        rates[kind].push(await closedLoop(target(workspaces[kind].secretKey), body, { clients: CLIENTS, seconds: SECONDS }));
      }
    }
    const counted = (kind: keyof typeof workspaces) => async () =>
      (await closedLoop(target(workspaces[kind].secretKey), body, { clients: CLIENTS, seconds: SECONDS })) * SECONDS;
    const processes = { 'API process': () => [api.child.pid!], Postgres: bench.postgresPids };
    const noneCpu = await cpuPerOperation(processes, counted('none'));
    await resetStatements(db);
    await api.startCpuProfile();
    const inPlaceCpu = await cpuPerOperation(processes, counted('inPlace'));
    const profile = await api.stopCpuProfile(['src/domains/expressions/rule-expressions.ts']);
    const statements = await topStatements(db, 8);
    const baseline = { rate: median(rates.none), what: 'emitEvent whose rule has no condition' };
    const evidence = [
      {
        title: 'emitEvent rates by round (no condition / in place / in a worker)',
        lines: rates.none.map((rate, k) => `- round ${k + 1}: ${rate.toFixed(0)}/s / ${rates.inPlace[k]!.toFixed(0)}/s / ${rates.worker[k]!.toFixed(0)}/s`),
      },
      { title: 'CPU time per emitEvent whose rule has no condition', lines: noneCpu },
      { title: 'CPU time per emitEvent with the condition in place', lines: inPlaceCpu },
      { title: 'API process CPU profile, emitEvent with the condition in place', lines: profile },
      { title: 'Postgres statements, emitEvent with the condition in place', lines: statements },
    ];
    return [
      rateVersusBaseline(`1b. emitEvent with a condition of paths and operators (run in place; req/s, median of ${ROUNDS})`, median(rates.inPlace), baseline, 0.9, { evidence }),
      rateVersusBaseline(`1c. emitEvent with a condition that calls a function (run in a worker process; req/s, median of ${ROUNDS})`, median(rates.worker), baseline, 0.5, {
        // The rates are listed once, with 1b.
        evidence: [],
        bottleneck: 'Each event costs a round trip to an expression worker process (structured clone of the event both ways) and the two workers share the machine with the API and Postgres.',
      }),
    ];
  } finally {
    await api.stop();
    await db.end();
  }
}
