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
