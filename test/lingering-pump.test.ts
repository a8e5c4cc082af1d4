import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { endLingering } from '../src/db/graphile-worker.ts';
import { newId } from '../src/db/ids.ts';
import { connectionPumpJob } from '../src/domains/deliveries/delivery-jobs.ts';
import type { EventRow } from '../src/domains/events/event-record.ts';
import { writeEvents } from '../src/domains/events/emit.ts';
import { closeHttp } from '../src/domains/deliveries/http/send-webhook.ts';
import { pumpConnection, type Linger } from '../src/domains/deliveries/engine/pump-connection.ts';
import { decodeId } from '../src/domains/public-ids.ts';
import { emit, eventually, workspaceWithWebhook } from './helpers/fixtures.ts';
import type { GraphqlClient } from './helpers/graphql.ts';
import { startReceiver } from './helpers/receiver.ts';
import { startTestServer } from './helpers/server.ts';

// The API alone: no worker, so the pump runs only when the test makes it, lingering as the test says.
const server = await startTestServer({ role: 'api', allowPrivateTargets: true });
const { config, orm } = server.switchyard.services;
const db = new pg.Client(server.databaseUrl);
await db.connect();
const receiver = await startReceiver();
afterAll(async () => {
  await db.end();
  await receiver.close();
  await closeHttp();
});

const keyOf = (connectionId: string) => connectionPumpJob(connectionId).job_key!;

const pumpJobs = async (connectionId: string) =>
  (await db.query<{ id: string; key: string | null; locked: boolean }>(
    `select id, key, locked_at is not null as locked from graphile_worker._private_jobs where payload->>'connectionId' = $1 order by id`,
    [connectionId])).rows;

const lingering = async (connectionId: string) =>
  (await db.query('select 1 from lingering_pumps where job_key = $1', [keyOf(connectionId)])).rowCount;

/** A connection with one event delivered, and its pump job as a worker running it leaves it: locked. */
async function connectionWithRunningJob() {
  const { ws, hook } = await workspaceWithWebhook(server, receiver.url('/linger'));
  const connectionId = decodeId('Connection', hook.id);
  await emit(ws.secret, { type: 'user.created' });
  await db.query(`update graphile_worker._private_jobs set locked_at = now(), locked_by = 'a-worker' where payload->>'connectionId' = $1`, [connectionId]);
  return { ws, connectionId };
}

const pump = (connectionId: string, linger: Linger) =>
  pumpConnection(orm.em.fork(), config, connectionId, { stopping: new AbortController().signal, claims: orm.em.fork(), linger });

/**
 * A first linger in which, once the pump has said it lingers, `client` emits one event, then
 * `afterEmit` runs and the linger ends as `heard` says (false: as if the news were lost); every
 * later linger ends at once without news.
 */
function emitWhileLingering(connectionId: string, client: GraphqlClient, heard: boolean, afterEmit = async () => {}): Linger {
  let lingers = 0;
  return () => {
    if (++lingers > 1) return Promise.resolve(false);
    return (async () => {
      await eventually(async () => ((await lingering(connectionId)) ? true : undefined));
      await emit(client, { type: 'user.created' });
      await afterEmit();
      return heard;
    })();
  };
}

describe('a pump that lingers', () => {
  it('gets no job behind it from an emit meanwhile: the emit tells it, and it sends the delivery itself', async () => {
    const { ws, connectionId } = await connectionWithRunningJob();
    const before = receiver.requests.length;
    const jobs = await pumpJobs(connectionId);
    const end = await pump(connectionId, emitWhileLingering(connectionId, ws.secret, true, async () => {
      // Told, not queued behind: the running job stays the only one.
      expect(await pumpJobs(connectionId)).toEqual(jobs);
    }));

    expect(end).toEqual({ kind: 'idle', next: null });
    // The first event waited for the pump too, and went first; the one emitted while it lingered, second.
    expect(receiver.requests.length - before).toBe(2);
    expect(await lingering(connectionId)).toBe(0);
  });

  it('claims once more when it stops lingering, so an emit whose news never reached it is sent all the same', async () => {
    const { ws, connectionId } = await connectionWithRunningJob();
    const before = receiver.requests.length;
    // As if the notification were lost: the linger runs out without news.
    const end = await pump(connectionId, emitWhileLingering(connectionId, ws.secret, false));

    expect(end).toEqual({ kind: 'idle', next: null });
    expect(receiver.requests.length - before).toBe(2);
    expect(await lingering(connectionId)).toBe(0);
  });

  it('is waited for no longer than it said: once its word has run out, an emit queues a job again', async () => {
    const { ws, connectionId } = await connectionWithRunningJob();
    // A pump whose process died while it lingered leaves its word behind.
    await db.query(`insert into lingering_pumps (job_key, until) values ($1, now() - interval '1 second')`, [keyOf(connectionId)]);
    const [running] = await pumpJobs(connectionId);

    await emit(ws.secret, { type: 'user.created' });
    expect(await pumpJobs(connectionId)).toEqual([
      expect.objectContaining({ id: running!.id, locked: true, key: null }),
      expect.objectContaining({ locked: false, key: keyOf(connectionId) }),
    ]);
  });

  it('stops lingering only after every write that saw it linger has committed', async () => {
    const { ws, connectionId } = await connectionWithRunningJob();
    await db.query(`insert into lingering_pumps (job_key, until) values ($1, now() + interval '1 minute')`, [keyOf(connectionId)]);
    const jobs = await pumpJobs(connectionId);
    let ended = false;
    let ending: Promise<unknown> | undefined;
    // The emit's own write, held open before it commits: taking the word back waits for it.
    await orm.em.fork().transactional(async (tx) => {
      const event: EventRow = {
        id: newId(), workspace_id: decodeId('Workspace', ws.id), type: 'user.created', resource: null, resource_id: null,
        payload: {}, idempotency_key: null, sequence: null, created_at: new Date().toISOString(), operational: false,
      };
      await writeEvents(tx, config, [event]);
      ending = endLingering(orm.em.fork(), keyOf(connectionId)).then(() => (ended = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(ended).toBe(false);
    });
    await ending;
    expect(await lingering(connectionId)).toBe(0);
    // The write saw the pump linger: it queued no job, and left its delivery to the pump's last claim.
    expect(await pumpJobs(connectionId)).toEqual(jobs);
  });
});
