import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer } from './helpers/server.ts';
import { emit, eventually, workspaceWithWebhook } from './helpers/fixtures.ts';
import { decodeId } from '../src/domains/public-ids.ts';

// The API alone: no worker takes the jobs, so the test sees them as emits leave them.
const server = await startTestServer({ allowPrivateTargets: true, role: 'api' });
const db = new pg.Client(server.databaseUrl);
await db.connect();
afterAll(() => db.end());

const pumpJobs = (connectionId: string) =>
  db.query<{ id: string; key: string | null; revision: number; locked: boolean }>(
    `select id, key, revision, locked_at is not null as locked from graphile_worker._private_jobs
     where key = $1 or payload->>'connectionId' = $2 order by id`,
    [`conn_${connectionId.replaceAll('-', '')}`, connectionId],
  );

describe("a connection's pump job", () => {
  it('is shared by every emit while it waits, not rewritten by each', async () => {
    const { ws, hook } = await workspaceWithWebhook(server, 'http://127.0.0.1:9/');
    const connectionId = decodeId('Connection', hook.id);
    await emit(ws.secret, { type: 'user.created' });
    await Promise.all(Array.from({ length: 5 }, () => emit(ws.secret, { type: 'user.created' })));
    const { rows } = await pumpJobs(connectionId);
    expect(rows).toEqual([expect.objectContaining({ revision: 0, locked: false })]);
  });

  it('is brought forward to now when the connection switches between ordered and not', async () => {
    const { ws, hook } = await workspaceWithWebhook(server, 'http://127.0.0.1:9/', { ordered: true });
    const connectionId = decodeId('Connection', hook.id);
    await emit(ws.secret, { type: 'user.created' });
    // As a pump leaves it while its ordered head waits for a retry an hour away.
    await db.query(`update graphile_worker._private_jobs set run_at = now() + interval '1 hour' where key = $1`, [`conn_${connectionId.replaceAll('-', '')}`]);
    await ws.secret.request(`mutation ($input: UpdateConnectionInput!) { updateConnection(input: $input) { __typename } }`, { input: { id: hook.id, ordered: false } });
    const { rows } = await db.query<{ due: boolean }>(
      `select run_at <= now() as due from graphile_worker._private_jobs where key = $1`, [`conn_${connectionId.replaceAll('-', '')}`]);
    expect(rows).toEqual([{ due: true }]);
  });

  it('wakes a worker for an emit only while it is due, not while it waits for later', async () => {
    const listener = new pg.Client(server.databaseUrl);
    await listener.connect();
    try {
      const heard: string[] = [];
      listener.on('notification', (message) => heard.push(message.payload!));
      await listener.query('listen "jobs:insert"');
      const { ws, hook } = await workspaceWithWebhook(server, 'http://127.0.0.1:9/');
      const key = `conn_${decodeId('Connection', hook.id).replaceAll('-', '')}`;
      await emit(ws.secret, { type: 'user.created' });
      // As a pump leaves it while the connection waits for its rate limit or its vendor's quota.
      await db.query(`update graphile_worker._private_jobs set run_at = now() + interval '1 hour' where key = $1`, [key]);
      const settle = async () => {
        // Postgres delivers notifications in commit order: once this marker is heard, so is every earlier one.
        await db.query(`select pg_notify('jobs:insert', 'settled')`);
        await eventually(async () => (heard.at(-1) === 'settled' ? true : undefined), 5_000, 'notifications heard');
        return heard.splice(0).slice(0, -1);
      };
      await settle();
      await emit(ws.secret, { type: 'user.created' });
      expect(await settle()).toEqual([]);

      await db.query(`update graphile_worker._private_jobs set run_at = now() where key = $1`, [key]);
      await emit(ws.secret, { type: 'user.created' });
      expect(await settle()).toEqual(['{"count" : 1}']);
    } finally {
      await listener.end();
    }
  });

  it('is queued anew by an emit while it runs, so the new delivery is not left to a run that has looked already', async () => {
    const { ws, hook } = await workspaceWithWebhook(server, 'http://127.0.0.1:9/');
    const connectionId = decodeId('Connection', hook.id);
    await emit(ws.secret, { type: 'user.created' });
    const [running] = (await pumpJobs(connectionId)).rows;
    await db.query(`update graphile_worker._private_jobs set locked_at = now(), locked_by = 'a-worker' where id = $1`, [running!.id]);

    await emit(ws.secret, { type: 'user.created' });
    const { rows } = await pumpJobs(connectionId);
    expect(rows).toEqual([
      expect.objectContaining({ id: running!.id, locked: true, key: null }),
      expect.objectContaining({ locked: false, key: `conn_${connectionId.replaceAll('-', '')}` }),
    ]);
  });
});
