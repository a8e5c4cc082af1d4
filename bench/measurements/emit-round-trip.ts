import { Pool } from 'undici';
import { createWorkspace, EMIT_ONE } from '../support/api.ts';
import { percentile } from '../support/load.ts';
import type { BenchContext, Measurement } from '../support/measurement.ts';
import { startSwitchyardProcess } from '../support/switchyard.ts';

const SAMPLES = 1000;
const WARM_UP = 300;
const TYPENAME = JSON.stringify({ query: '{ __typename }' });

/**
 * 9. One keep-alive client, one request at a time, against the all-in-one process on durable
 * Postgres: `emitEvent` of an event no rule routes, against `{ __typename }` on the same server
 * with the same key, in alternating blocks. The difference is what an emit costs beyond
 * answering a request: checking the key, the payload and the write that commits the event.
 */
export async function measureEmitRoundTrip(bench: BenchContext): Promise<Measurement> {
  const { url, db } = await bench.freshDatabase('bench_emit_round_trip');
  const switchyard = await startSwitchyardProcess(url, 'all');
  const pool = new Pool(switchyard.url, { connections: 1 });
  try {
    const { secretKey } = await createWorkspace(switchyard.url, 'round-trip', []);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${secretKey}` };
    let i = 0;
    const emitBody = () => JSON.stringify({ query: EMIT_ONE, variables: { input: { type: 'order.completed', payload: { i: i++ } } } });
    const timed = async (body: () => string, count: number) => {
      const times: number[] = [];
      for (let k = 0; k < count; k++) {
        const started = performance.now();
        const response = await pool.request({ method: 'POST', path: '/graphql', headers, body: body() });
        const text = await response.body.text();
        times.push(performance.now() - started);
        if (response.statusCode !== 200 || text.includes('"errors"')) throw new Error(`HTTP ${response.statusCode}: ${text.slice(0, 300)}`);
      }
      return times;
    };
    await timed(() => TYPENAME, WARM_UP);
    await timed(emitBody, WARM_UP);
    const typename: number[] = [];
    const emits: number[] = [];
    for (let block = 0; block < 5; block++) {
      typename.push(...(await timed(() => TYPENAME, SAMPLES / 5)));
      emits.push(...(await timed(emitBody, SAMPLES / 5)));
    }
    const [emit50, type50] = [percentile(emits, 50), percentile(typename, 50)];
    return {
      name: '9. emitEvent round trip, unloaded, one keep-alive client, all-in-one on durable Postgres (ms)',
      value: `p50 ${emit50.toFixed(2)} / p99 ${percentile(emits, 99).toFixed(2)}`,
      baseline: `p50 ${type50.toFixed(2)} / p99 ${percentile(typename, 99).toFixed(2)} { __typename }`,
      ratio: `${(emit50 / type50).toFixed(2)}x`,
      target: 'p50 <= 1.5x',
      met: emit50 <= 1.5 * type50,
      evidence: [],
      bottleneck: "The commit of the event, which waits for Postgres to flush its log to disk, and the emit's work before it.",
    };
  } finally {
    await pool.close();
    await switchyard.stop();
    await db.end();
  }
}
