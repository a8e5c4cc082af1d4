import { afterAll, describe, expect, it } from 'vitest';
import { createClient, type StreamedAttempt } from '../sdk/src/index.ts';
import { logLines, spawnSwitchyard, type SwitchyardProcess } from './helpers/child-process.ts';
import { createTestDatabase } from './helpers/database.ts';
import { createRule, createWebhook, eventually } from './helpers/fixtures.ts';
import { graphqlClient } from './helpers/graphql.ts';
import { startReceiver } from './helpers/receiver.ts';
import { ADMIN_KEY } from './helpers/server.ts';

// Two API and two worker processes on one Postgres, as "Running API and worker apart" runs them.
const databaseUrl = await createTestDatabase();
const env = { DATABASE_URL: databaseUrl, SWITCHYARD_ADMIN_KEY: ADMIN_KEY, SWITCHYARD_ALLOW_PRIVATE_TARGETS: 'true' };
const processes: SwitchyardProcess[] = [];
afterAll(async () => {
  await Promise.all(processes.map((started) => started.stop()));
});
const [apiA, apiB] = await Promise.all([0, 1].map(() => spawnSwitchyard({ ...env, SWITCHYARD_ROLE: 'api' }, 60_000)));
processes.push(apiA!, apiB!);
// Workers log a line per successful attempt at debug: "the log" the deliveries are counted in.
// Four slots each: a worker holds at most four of the eight connections' pumps, so both take part.
const workers = await Promise.all([0, 1].map(() => spawnSwitchyard({ ...env, SWITCHYARD_ROLE: 'worker', SWITCHYARD_LOG_LEVEL: 'debug', SWITCHYARD_WORKER_CONCURRENCY: '4' }, 60_000)));
processes.push(...workers);
const receiver = await startReceiver();
const capped = await startReceiver();
afterAll(async () => {
  await receiver.close();
  await capped.close();
});

const SPREAD_CONNECTIONS = 6;
const SPREAD_EVENTS = 15;
const CAPPED_EVENTS = 20;
const LIMITED_EVENTS = 20;
const RATE = 5;

describe('two API and two worker processes on one Postgres', () => {
  it('deliver every delivery exactly once, hold caps and rate limits across processes, and stream attempts to any API process', async () => {
    const admin = graphqlClient(`${apiA!.url}/graphql`, ADMIN_KEY);
    const { createWorkspace } = await admin.request(`mutation { createWorkspace(input: { name: "scale-out", environment: "test" }) {
      ... on CreateWorkspacePayload { secretKey } } }`);
    const onA = graphqlClient(`${apiA!.url}/graphql`, createWorkspace.secretKey);
    receiver.script(() => ({ status: 200 }));
    // Slow enough that a cap of 2 would be exceeded at once if two workers each kept their own.
    capped.script(() => ({ status: 200, delayMs: 150 }));
    for (let i = 0; i < SPREAD_CONNECTIONS; i++) {
      const hook = await createWebhook(onA, receiver.url(`/spread/${i}`));
      await createRule(onA, hook.id, ['spread.*']);
    }
    const cappedHook = await createWebhook(onA, capped.url('/capped'), { maxConcurrency: 2 });
    await createRule(onA, cappedHook.id, ['capped.*']);
    const limitedHook = await createWebhook(onA, receiver.url('/limited'), { rateLimitPerSecond: RATE });
    await createRule(onA, limitedHook.id, ['limited.*']);
    const expected = SPREAD_CONNECTIONS * SPREAD_EVENTS + CAPPED_EVENTS + LIMITED_EVENTS;

    // Subscribed on API A; every event is emitted through API B; the workers make the attempts.
    const watcher = createClient({ url: apiA!.url!, apiKey: createWorkspace.secretKey });
    const attempts = await watcher.deliveries.subscribe({});
    const seen: StreamedAttempt[] = [];
    const streaming = (async () => {
      for await (const attempt of attempts) {
        seen.push(attempt);
        if (seen.length === expected) break;
      }
    })();
    const emitter = createClient({ url: apiB!.url!, apiKey: createWorkspace.secretKey });
    try {
      const batch = (type: string, count: number) => Array.from({ length: count }, (_, i) => ({ type, payload: { i } }));
      await emitter.emitBatch([...batch('spread.one', SPREAD_EVENTS), ...batch('capped.one', CAPPED_EVENTS), ...batch('limited.one', LIMITED_EVENTS)]);
      await eventually(async () => (seen.length >= expected ? true : undefined), 90_000, `${expected} attempts streamed on API A`);
      await streaming;
    } finally {
      await watcher.close();
      await emitter.close();
    }

    // Exactly once: in the receivers (one request per webhook-id), in the stream, and in the workers' log.
    const requests = [...receiver.requests, ...capped.requests];
    expect(requests).toHaveLength(expected);
    expect(new Set(requests.map((request) => request.headers['webhook-id'])).size).toBe(expected);
    expect(new Set(seen.map((attempt) => attempt.delivery.id)).size).toBe(expected);
    expect(seen.every((attempt) => attempt.status === 'SUCCEEDED' && attempt.attempt === 1)).toBe(true);
    const logged = await eventually(async () => {
      const lines = workers.flatMap((worker) => logLines(worker.output()).filter((line) => line.msg === 'attempt succeeded'));
      return lines.length >= expected ? lines : undefined;
    }, 10_000, 'every attempt in the log');
    expect(logged).toHaveLength(expected);
    expect(new Set(logged.map((line) => line.delivery)).size).toBe(expected);
    // Both workers took part.
    expect(new Set(logged.map((line) => line.pid)).size).toBe(2);

    // The cap held across both workers, and the rate limit too: at 5 a second, with at most one
    // second's worth at once, 20 deliveries span at least 3 s from the first claim. Counted from
    // the first arrival, less the first requests' lateness (new connections, a busy machine):
    // half a second. A bucket twice the size (2 s) or refilling twice as fast (1.5 s) falls short.
    expect(capped.maxInFlight).toBeLessThanOrEqual(2);
    const limited = receiver.requests.filter((request) => request.path === '/limited').map((request) => request.receivedAt);
    expect(limited).toHaveLength(LIMITED_EVENTS);
    expect(Math.max(...limited) - Math.min(...limited)).toBeGreaterThanOrEqual(((LIMITED_EVENTS - RATE) / RATE) * 1000 - 500);
  }, 180_000);
});
