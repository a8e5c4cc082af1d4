import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './helpers/database.ts';
import { wakeUps } from '../src/jobs/wake-ups.ts';

let pool: pg.Pool;
let listener: pg.Client;
const heard: { count: number }[] = [];

beforeAll(async () => {
  const databaseUrl = await createTestDatabase();
  pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  listener = new pg.Client(databaseUrl);
  await listener.connect();
  listener.on('notification', (message) => heard.push(JSON.parse(message.payload!) as { count: number }));
  await listener.query('listen "jobs:insert"');
});

afterAll(async () => {
  await listener?.end();
  await pool?.end();
});

const inMs = (ms: number) => new Date(Date.now() + ms);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('wake-ups for jobs scheduled soon', () => {
  it('send graphile-worker one notification for the jobs falling due together, none for jobs far off or due now', async () => {
    heard.length = 0;
    const wakes = wakeUps(pool, 1_000);
    const soon = inMs(150);
    wakes.at(soon);
    wakes.at(soon);
    wakes.at(inMs(300));
    wakes.at(inMs(5_000));
    wakes.at(inMs(-10));

    await pause(100);
    expect(heard).toEqual([]);
    await pause(400);
    expect(heard).toEqual([{ count: 2 }, { count: 1 }]);
    wakes.stop();
  });

  it('wake a worker for the job queued behind another once that one is complete, and only then', async () => {
    heard.length = 0;
    const wakes = wakeUps(pool, 1_000);
    const { rows: [running, behind] } = await pool.query<{ id: string; job_queue_id: number }>(
      `select id, job_queue_id from graphile_worker.add_jobs(array[
         row('deliver_connection', '{}'::json, 'hand_over', null, 25, null, 0, null)::graphile_worker.job_spec,
         row('deliver_connection', '{}'::json, 'hand_over', null, 25, null, 0, null)::graphile_worker.job_spec]) order by id`,
    );
    await pause(50);
    heard.length = 0; // add_jobs announces its own jobs
    await pool.query(`update graphile_worker._private_jobs set locked_at = now(), locked_by = 'test' where id = $1`, [running!.id]);

    wakes.afterCompletion(running!);
    await pause(60);
    expect(heard).toEqual([]);
    await pool.query('delete from graphile_worker._private_jobs where id = $1', [running!.id]);
    await pause(60);
    expect(heard).toEqual([{ count: 1 }]);

    heard.length = 0;
    await pool.query('delete from graphile_worker._private_jobs where id = $1', [behind!.id]);
    wakes.afterCompletion(behind!);
    await pause(60);
    // Nothing waits behind the last job of a queue: no wake-up.
    expect(heard).toEqual([]);
    wakes.stop();
  });

  it('send nothing once stopped', async () => {
    heard.length = 0;
    const wakes = wakeUps(pool, 1_000);
    wakes.at(inMs(50));
    wakes.stop();
    wakes.at(inMs(60));
    await pause(200);
    expect(heard).toEqual([]);
  });
});
