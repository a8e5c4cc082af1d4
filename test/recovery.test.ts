import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startTestServer } from './helpers/server.ts';
import { startReceiver } from './helpers/receiver.ts';
import { workspaceWithWebhook } from './helpers/fixtures.ts';
import { recoverStalled } from '../src/domains/deliveries/engine/recover-stalled.ts';

// Work counts as abandoned after 2 s, far less than one request to the slow receiver below takes.
const server = await startTestServer({ allowPrivateTargets: true, staleJobSeconds: 2 });

describe('recovering stalled work', () => {
  it('leaves a live worker whose pump is merely slow alone: no second pump, maxConcurrency kept', async () => {
    const receiver = await startReceiver();
    receiver.script(() => ({ status: 200, delayMs: 6000 }));
    const { ws } = await workspaceWithWebhook(server, receiver.url('/'), { maxConcurrency: 2, timeoutSeconds: 10 });
    await ws.secret.request(
      `mutation ($input: EmitEventsInput!) { emitEvents(input: $input) { __typename } }`,
      { input: { events: Array.from({ length: 4 }, (_, i) => ({ type: 'order.completed', payload: { i } })) } },
    );
    await receiver.waitForRequests(2, 10_000);
    // Long past the stale time, while the first two requests are still being answered.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(receiver.maxInFlight).toBe(2);
    expect(receiver.requests).toHaveLength(2);
    await receiver.close();
  }, 30_000);
});

// The API alone, so that no sweep but the test's runs and no heartbeat but the test's is written.
const quiet = await startTestServer({ role: 'api', staleJobSeconds: 2 });

describe('the stalled-work sweep', () => {
  it("releases the jobs of a worker whose heartbeat stopped, and only that worker's", async () => {
    const db = new pg.Client(quiet.databaseUrl);
    await db.connect();
    try {
      const job = async (queue: string, worker: string, lockedSecondsAgo: number) => {
        const { rows: [added] } = await db.query<{ id: string }>(
          `select id from graphile_worker.add_jobs(array[row('deliver_connection', '{}'::json, $1, null, 25, null, 0, null)::graphile_worker.job_spec])`,
          [queue]);
        const lockedAt = `now() - make_interval(secs => ${lockedSecondsAgo})`;
        await db.query(`update graphile_worker._private_jobs set locked_by = $2, locked_at = ${lockedAt} where id = $1`, [added!.id, worker]);
        await db.query(`update graphile_worker._private_job_queues set locked_by = $2, locked_at = ${lockedAt} where queue_name = $1`, [queue, worker]);
        return added!.id;
      };
      // A slow job of a live worker, a job of a worker that stopped beating, and one of a worker that never beat.
      await db.query(`insert into worker_heartbeats (worker_id, beat_at) values ('pool-alive', now()), ('pool-dead', now() - interval '3 seconds')`);
      const slow = await job('q_slow', 'pool-alive', 600);
      const orphaned = await job('q_orphaned', 'pool-dead', 1);
      const unknown = await job('q_unknown', 'pool-unknown', 600);
      const fresh = await job('q_fresh', 'pool-starting', 0);

      const { workers } = await recoverStalled(quiet.switchyard.services.orm.em.fork(), quiet.switchyard.services.config);
      expect(workers).toBe(2);
      const { rows } = await db.query<{ id: string; locked_by: string | null }>(
        'select id::text, locked_by from graphile_worker._private_jobs where id = any($1::bigint[]) order by id', [[slow, orphaned, unknown, fresh]]);
      expect(rows).toEqual([
        { id: slow, locked_by: 'pool-alive' },
        { id: orphaned, locked_by: null },
        { id: unknown, locked_by: null },
        { id: fresh, locked_by: 'pool-starting' },
      ]);
      const queues = await db.query(`select queue_name, locked_by from graphile_worker._private_job_queues where queue_name like 'q\\_%' order by queue_name`);
      expect(queues.rows).toEqual([
        { queue_name: 'q_fresh', locked_by: 'pool-starting' },
        { queue_name: 'q_orphaned', locked_by: null },
        { queue_name: 'q_slow', locked_by: 'pool-alive' },
        { queue_name: 'q_unknown', locked_by: null },
      ]);
      const beats = await db.query(`select worker_id from worker_heartbeats order by worker_id`);
      expect(beats.rows).toEqual([{ worker_id: 'pool-alive' }]);
    } finally {
      await db.end();
    }
  });
});
