import { fileURLToPath } from 'node:url';
import { createWorkspace, EMIT_ONE } from '../support/api.ts';
import { cpuPerOperation } from '../support/cpu-time.ts';
import { closedLoop, type PostTarget } from '../support/load.ts';
import type { BenchContext, Measurement } from '../support/measurement.ts';
import { median, rateVersusBaseline } from '../support/measurement.ts';
import { startProcess } from '../support/processes.ts';
import { resetStatements, topStatements } from '../support/profiles.ts';
import { startSwitchyardProcess } from '../support/switchyard.ts';

const NOOP_API = fileURLToPath(new URL('../baselines/noop-api.ts', import.meta.url));
const CLIENTS = 8;
const SECONDS = 4;
const WARM_UP_SECONDS = 3;
/** Rounds of the baseline and Switchyard in turn, so that a drift of the machine hits both alike. */
const ROUNDS = 3;

/**
 * 1. emitEvent over HTTP (one event, one matching rule) vs a bare graphql-yoga no-op mutation,
 * measured in alternating rounds; the ratio is the median of the rounds'. The last round of each
 * also counts CPU time, and Switchyard's takes a CPU profile and Postgres's statements.
 */
export async function measureIngest(bench: BenchContext): Promise<Measurement> {
  const noop = await startProcess(NOOP_API, { env: {}, ready: /listening on (\S+)/ });
  const { url, db } = await bench.freshDatabase('bench_ingest');
  const api = await startSwitchyardProcess(url, 'api');
  try {
    const noopTarget: PostTarget = { origin: noop.ready[1]!, path: '/graphql' };
    const noopBody = JSON.stringify({ query: 'mutation ($input: String) { noop(input: $input) }', variables: { input: 'x' } });
    const { secretKey } = await createWorkspace(api.url, 'ingest', [{ name: 'sink', url: `${bench.receiver.url}/ingest`, eventTypes: ['order.*'] }]);
    const target: PostTarget = { origin: api.url, path: '/graphql', headers: { authorization: `Bearer ${secretKey}` } };
    let i = 0;
    const body = () => JSON.stringify({ query: EMIT_ONE, variables: { input: { type: 'order.completed', resourceId: `order-${i++}`, payload: { total: 42, currency: 'EUR' } } } });
    // Long enough for V8 to compile both servers' hot paths: with one second the rounds still rose.
    await closedLoop(noopTarget, () => noopBody, { clients: CLIENTS, seconds: WARM_UP_SECONDS });
    await closedLoop(target, body, { clients: CLIENTS, seconds: WARM_UP_SECONDS });
    // The events table's statistics, as autovacuum keeps them (see all-in-one.ts): without them
    // each delivery's lookup of its event reads every event of the workspace, longer each round.
    await db.query('analyze events');

    const noopRates: number[] = [];
    const rates: number[] = [];
    const noopRound = async () => {
      noopRates.push(await closedLoop(noopTarget, () => noopBody, { clients: CLIENTS, seconds: SECONDS }));
      return noopRates.at(-1)! * SECONDS;
    };
    const emitRound = async () => {
      rates.push(await closedLoop(target, body, { clients: CLIENTS, seconds: SECONDS }));
      return rates.at(-1)! * SECONDS;
    };
    for (let round = 1; round < ROUNDS; round++) {
      await noopRound();
      await emitRound();
    }
    const noopCpu = await cpuPerOperation({ 'no-op server': () => [noop.child.pid!] }, noopRound);
    await resetStatements(db);
    await api.startCpuProfile();
    const cpuTime = await cpuPerOperation({ 'API process': () => [api.child.pid!], Postgres: bench.postgresPids }, emitRound);
    const cpu = await api.stopCpuProfile();
    // Twice the clients: whether the rate is bound by CPU or by each request's round trips.
    const doubled = await closedLoop(target, body, { clients: 2 * CLIENTS, seconds: SECONDS });

    const ratios = rates.map((rate, round) => rate / noopRates[round]!);
    const rate = median(rates);
    bench.found.ingestRate = rate;
    // The median round's ratio, with the baseline rate that gives it.
    const ratio = median(ratios);
    return rateVersusBaseline(`1. emitEvent, ${CLIENTS} keep-alive clients (API process, req/s; median of ${ROUNDS} rounds)`, rate, { rate: rate / ratio, what: 'graphql-yoga no-op' }, bench.durable ? 0.5 : 0.3, {
      evidence: [
        {
          title: 'emitEvent and no-op rates by round',
          lines: [
            ...rates.map((r, k) => `- round ${k + 1}: ${r.toFixed(0)}/s vs ${noopRates[k]!.toFixed(0)}/s, ${(100 * ratios[k]!).toFixed(0)} %`),
            `- then with ${2 * CLIENTS} clients: ${doubled.toFixed(0)}/s, ${((100 * doubled) / median(noopRates)).toFixed(0)} % of the no-op's median`,
          ],
        },
        { title: 'CPU time per emitEvent', lines: cpuTime },
        { title: 'CPU time per no-op request (the baseline)', lines: noopCpu },
        { title: 'API process CPU profile during emitEvent load', lines: cpu },
        { title: 'Postgres statements during emitEvent load', lines: await topStatements(db) },
      ],
      bottleneck:
        `At this rate, each request's wait for the group write more than CPU: the write (the key check, events, deliveries and their pump jobs in one statement) waits for its flush of the log, and a request joins the next group once the write in flight is done. The target is beyond the CPU of two cores as well: an emit costs about 1.8 ms of CPU in all (bench client, API and Postgres: the CPU tables below) against a no-op's 0.5, so half the no-op's rate needs about a quarter less (bench/README.md, section 1).`,
    });
  } finally {
    await api.stop();
    await noop.stop();
    await db.end();
  }
}
