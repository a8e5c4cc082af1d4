import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeId } from '../src/domains/public-ids.ts';
import { applyRetention, type RetentionBatch } from '../src/domains/retention/apply-retention.ts';
import { eraseResource, type ErasureCounts } from '../src/domains/retention/erase-resource.ts';
import { rowsHolding as rowsHoldingIn } from './helpers/database-dump.ts';
import { createRule, createWebhook, emit, eventually, workspaceWithWebhook } from './helpers/fixtures.ts';
import { startReceiver } from './helpers/receiver.ts';
import { startTestServer } from './helpers/server.ts';

const server = await startTestServer({ allowPrivateTargets: true });
const receiver = await startReceiver();
const db = new pg.Pool({ connectionString: server.databaseUrl, max: 2 });
// The worker's own retention runs every quarter of an hour by the clock: one that started while a
// test counts its own runs' batches took a share of them. graphile-worker schedules a cron item
// only for a time after its last execution, so none comes.
const paused = await db.query(`update graphile_worker._private_known_crontabs set last_execution = 'infinity' where identifier = 'apply_retention'`);
if (paused.rowCount !== 1) throw new Error('graphile-worker does not know the retention cron item yet');
afterAll(async () => {
  await db.end();
  await receiver.close();
});

/**
 * Writes `count` events of one workspace straight into Postgres, `ageDays` old, about
 * `resourceId`, each with `marker` in its payload; every hundredth has a succeeded delivery
 * whose attempt kept `marker` in its response body.
 */
async function seedEvents(workspaceId: string, connectionId: string, options: { count: number; ageDays: number; resourceId: string; marker: string }) {
  await db.query(
    `insert into events (id, workspace_id, type, resource, resource_id, payload, sequence, created_at, operational)
     select gen_random_uuid(), $1, 'customer.updated', 'customer', $2, jsonb_build_object('email', $3 || '-' || n), 1000000 + n,
            now() - make_interval(days => $4) + n * interval '1 ms', false
     from generate_series(1, $5) as n`,
    [workspaceId, options.resourceId, options.marker, options.ageDays, options.count],
  );
  await db.query(
    `with chosen as (
       select id, created_at from events where workspace_id = $1 and resource_id = $2 and sequence % 100 = 0),
     made as (
       insert into deliveries (id, workspace_id, event_id, connection_id, event_type, status, attempt_count, chain_attempts, created_at, updated_at)
       select gen_random_uuid(), $1, id, $3, 'customer.updated', 'SUCCEEDED', 1, 1, created_at, created_at from chosen
       returning id, created_at)
     insert into attempts (id, workspace_id, delivery_id, attempt, status, status_code, duration_ms, request_url, response_excerpt, started_at)
     select gen_random_uuid(), $1, id, 1, 'SUCCEEDED', 200, 5, 'http://127.0.0.1/hook', 'echo ' || $4, created_at from made`,
    [workspaceId, options.resourceId, connectionId, options.marker],
  );
}

const rowsHolding = (marker: string) => rowsHoldingIn(db, marker);

/**
 * Emits one event after another through the API to a live connection until `done` settles;
 * resolves with how many were emitted and how many the receiver got meanwhile.
 */
async function emitWhile(done: Promise<unknown>) {
  const { ws } = await workspaceWithWebhook(server, receiver.url('/live'));
  receiver.script({ '/live': { status: 200 } });
  const receivedBefore = receiver.requests.length;
  let finished = false;
  void done.finally(() => (finished = true));
  let emitted = 0;
  while (!finished) {
    await emit(ws.secret, { type: 'order.completed', payload: { n: emitted } });
    emitted++;
  }
  return { emitted, received: receiver.requests.length - receivedBefore };
}

describe('erasure', () => {
  it('erases 100,000 events about a resource in bounded batches while emits and deliveries flow, leaving none of its payload in the database', async () => {
    const ws = await server.seedWorkspace();
    const hook = await createWebhook(ws.secret, receiver.url('/erased'));
    const workspaceId = decodeId('Workspace', ws.id);
    const connectionId = decodeId('Connection', hook.id);
    await seedEvents(workspaceId, connectionId, { count: 100_000, ageDays: 1, resourceId: 'cus_erase', marker: 'erase-me-5e1f' });
    await seedEvents(workspaceId, connectionId, { count: 1000, ageDays: 1, resourceId: 'cus_keep', marker: 'keep-me-7a2b' });
    // A delivery still waiting for its retry is stopped, never sent with nothing.
    await db.query(
      `update deliveries set status = 'RETRYING', next_attempt_at = now() + interval '1 day'
       where id = (select d.id from deliveries d join events e on e.id = d.event_id where e.resource_id = 'cus_erase' limit 1)`,
    );

    const batches: ErasureCounts[] = [];
    const emitsDuring: number[] = [];
    let emitted = 0;
    const erasing = eraseResource(server.switchyard.services.orm.em.fork(), server.switchyard.services.config, workspaceId,
      { resource: 'customer', resourceId: 'cus_erase' },
      { onBatch: (batch) => void (batches.push(batch), emitsDuring.push(emitted)) });
    const flowing = emitWhile(erasing);
    const counts = await erasing;
    const flow = await flowing;
    emitted = flow.emitted;

    expect(counts).toEqual({ events: 100_000, payloads: 100_000, attemptBodies: 1000, deliveriesStopped: 1 });
    expect(batches.length).toBe(101);
    expect(Math.max(...batches.map((batch) => batch.events))).toBe(1000);
    expect(batches.at(-1)!.events).toBe(0);
    // Emits went on between the batches, and their deliveries reached the receiver.
    expect(flow.emitted).toBeGreaterThan(0);
    expect(flow.received).toBeGreaterThan(0);

    expect(await rowsHolding('erase-me-5e1f')).toEqual({});
    expect(Object.keys(await rowsHolding('keep-me-7a2b')).sort()).toEqual(['public.attempts', 'public.events']);
    const { rows: [skeleton] } = await db.query(
      `select count(*)::int as deliveries, count(*) filter (where d.status = 'DEAD')::int as dead
       from deliveries d join events e on e.id = d.event_id where e.resource_id = 'cus_erase'`,
    );
    expect(skeleton).toEqual({ deliveries: 1000, dead: 1 });
    const { rows: [announced] } = await db.query(
      `select payload from events where workspace_id = $1 and type = 'switchyard.resource.erased'`, [workspaceId],
    );
    expect(announced!.payload).toEqual({ resource: 'customer', resourceId: 'cus_erase', events: 100_000, payloads: 100_000, attemptBodies: 1000, deliveriesStopped: 1 });
  }, 300_000);

  it('is a mutation for the secret key that returns the counts and keeps the delivery skeleton', async () => {
    const ws = await server.seedWorkspace();
    const hook = await createWebhook(ws.secret, receiver.url('/small'));
    await createRule(ws.secret, hook.id, ['customer.*']);
    receiver.script({ '/small': { status: 200, body: 'thanks for small-marker-91c' } });
    const { event } = await emit(ws.secret, { type: 'customer.updated', resource: 'customer', resourceId: 'cus_9', payload: { note: 'small-marker-91c' } });
    await eventually(async () => (receiver.requests.some((request) => request.path === '/small') ? true : undefined));
    await eventually(async () => {
      const { rows } = await db.query(`select 1 from attempts where delivery_id = $1`, [decodeId('Delivery', event.deliveries[0]!.id)]);
      return rows.length ? true : undefined;
    });

    const refused = await ws.publishable.raw('mutation { eraseResource(input: { resource: "customer", resourceId: "cus_9" }) { __typename } }');
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const { eraseResource: erased } = await ws.secret.request(`mutation { eraseResource(input: { resource: "customer", resourceId: "cus_9" }) {
      ... on EraseResourcePayload { events payloads attemptBodies deliveriesStopped } } }`);
    expect(erased).toEqual({ events: 1, payloads: 1, attemptBodies: 1, deliveriesStopped: 0 });
    const { event: read } = await ws.secret.request(`query ($id: ID!) { event(id: $id) { ... on Event { payload payloadRemovedAt } } }`, { id: event.id });
    expect(read.payload).toBeNull();
    expect(read.payloadRemovedAt).toEqual(expect.any(String));
    const { delivery } = await ws.secret.request(`query ($id: ID!) { delivery(id: $id) { ... on Delivery { status attempts { statusCode responseExcerpt } } } }`, { id: event.deliveries[0]!.id });
    expect(delivery).toEqual({ status: 'SUCCEEDED', attempts: [{ statusCode: 200, responseExcerpt: null }] });
    // Another workspace's resource of the same name is untouched.
    const other = await server.seedWorkspace();
    await emit(other.secret, { type: 'customer.updated', resource: 'customer', resourceId: 'cus_9', payload: { note: 'other-workspace' } });
    await ws.secret.request('mutation { eraseResource(input: { resource: "customer", resourceId: "cus_9" }) { __typename } }');
    expect(await rowsHolding('other-workspace')).toEqual({ 'public.events': 1 });
  }, 60_000);
});

describe('retention', () => {
  it('removes payloads past their age and deletes records past theirs, in bounded batches, keeping what unfinished deliveries need', async () => {
    const ws = await server.seedWorkspace();
    const hook = await createWebhook(ws.secret, receiver.url('/retained'));
    const workspaceId = decodeId('Workspace', ws.id);
    const connectionId = decodeId('Connection', hook.id);
    await db.query('update workspaces set payload_retention_days = 30, delivery_retention_days = 90 where id = $1', [workspaceId]);
    await seedEvents(workspaceId, connectionId, { count: 100_000, ageDays: 40, resourceId: 'cus_old', marker: 'stale-payload-3d' });
    await seedEvents(workspaceId, connectionId, { count: 2000, ageDays: 100, resourceId: 'cus_ancient', marker: 'ancient-4c' });
    await seedEvents(workspaceId, connectionId, { count: 500, ageDays: 2, resourceId: 'cus_fresh', marker: 'fresh-payload-8e' });
    // An old event whose delivery still waits keeps everything.
    await db.query(
      `update deliveries set status = 'RETRYING', next_attempt_at = now() + interval '1 day'
       where id = (select d.id from deliveries d join events e on e.id = d.event_id where e.resource_id = 'cus_ancient' limit 1)`,
    );

    const batches: RetentionBatch[] = [];
    const running = (async () => {
      let after: string | null = null;
      const totals = { payloads: 0, bodies: 0, events: 0 };
      do {
        const run = await applyRetention(server.switchyard.services.orm.em.fork(), {
          payloadBatch: 1000, deleteBatch: 500, afterWorkspaceId: after,
          onBatch: (batch) => void (batch.workspaceId === workspaceId && batches.push(batch)),
        });
        totals.payloads += run.payloads;
        totals.bodies += run.bodies;
        totals.events += run.events;
        after = run.continueAfter;
      } while (after !== null);
      return totals;
    })();
    const flow = await emitWhile(running);
    await running;

    const payloadBatches = batches.filter((batch) => batch.kind === 'payloads');
    const recordBatches = batches.filter((batch) => batch.kind === 'records');
    // The 100,000 past the payload age, and the records past theirs (but the one still waiting) before they go.
    expect(payloadBatches.reduce((sum, batch) => sum + batch.counts.payloads!, 0)).toBe(101_999);
    expect(Math.max(...payloadBatches.map((batch) => batch.counts.payloads!))).toBeLessThanOrEqual(1000);
    expect(payloadBatches.length).toBeGreaterThanOrEqual(100);
    expect(recordBatches.reduce((sum, batch) => sum + batch.counts.events!, 0)).toBe(1999);
    expect(Math.max(...recordBatches.map((batch) => batch.counts.events!))).toBeLessThanOrEqual(500);
    expect(flow.emitted).toBeGreaterThan(0);
    expect(flow.received).toBeGreaterThan(0);

    expect(await rowsHolding('stale-payload-3d')).toEqual({});
    expect(await rowsHolding('ancient-4c')).toEqual({ 'public.events': 1, 'public.attempts': 1 });
    expect(Object.keys(await rowsHolding('fresh-payload-8e')).sort()).toEqual(['public.attempts', 'public.events']);
    const { rows: [left] } = await db.query(
      `select count(*) filter (where resource_id = 'cus_old')::int as old, count(*) filter (where resource_id = 'cus_ancient')::int as ancient
       from events where workspace_id = $1`, [workspaceId],
    );
    expect(left).toEqual({ old: 100_000, ancient: 1 });

    // A second run finds nothing left to do, however much it looks at.
    const again = await applyRetention(server.switchyard.services.orm.em.fork());
    expect([again.payloads, again.events]).toEqual([0, 0]);
  }, 300_000);

  it('prunes the delivery change log past the record age, oldest first, and keeps what streams may still resume from', async () => {
    const ws = await server.seedWorkspace();
    const workspaceId = decodeId('Workspace', ws.id);
    const hook = await createWebhook(ws.secret, receiver.url('/changes'));
    await createRule(ws.secret, hook.id, ['order.*']);
    for (let i = 0; i < 3; i++) {
      const { event } = await emit(ws.secret, { type: 'order.completed', payload: { i } });
      await eventually(async () => {
        const { rows } = await db.query(`select 1 from delivery_changes c join deliveries d on d.id = c.delivery_id where d.event_id = $1 and c.attempt_id is not null`, [decodeId('Event', event.id)]);
        return rows.length > 0 ? true : undefined;
      }, 15_000, 'the attempt to be in the change log');
    }
    // Each delivery has two changes, its creation and its attempt. The two oldest (the first
    // delivery's) were written 91 days ago, past the 90 days records are kept.
    await db.query(
      `update delivery_changes set created_at = now() - interval '91 days'
       where (workspace_id, txid, position) in (select workspace_id, txid, position from delivery_changes where workspace_id = $1 order by txid, position limit 2)`,
      [workspaceId],
    );
    const batches: RetentionBatch[] = [];
    const run = await applyRetention(server.switchyard.services.orm.em.fork(), { deleteBatch: 1, onBatch: (batch) => void (batch.workspaceId === workspaceId && batches.push(batch)) });
    expect(run.changes).toBeGreaterThanOrEqual(2);
    expect(batches.filter((batch) => batch.kind === 'changes').map((batch) => batch.counts.changes)).toEqual([1, 1, 0]);
    const { rows } = await db.query(`select count(*)::int as left, min(created_at) > now() - interval '1 day' as fresh from delivery_changes where workspace_id = $1`, [workspaceId]);
    expect(rows[0]).toEqual({ left: 4, fresh: true });
  }, 60_000);

  it('says where to go on when it runs out of time in its first workspace', async () => {
    await server.seedWorkspace();
    const run = await applyRetention(server.switchyard.services.orm.em.fork(), { budgetMs: -1 });
    expect(run.continueAfter).toBe('00000000-0000-0000-0000-000000000000');
    const resumed = await applyRetention(server.switchyard.services.orm.em.fork(), { afterWorkspaceId: run.continueAfter });
    expect(resumed.continueAfter).toBeNull();
  });

  it('runs as a graphile-worker task', async () => {
    const ws = await server.seedWorkspace();
    const hook = await createWebhook(ws.secret, receiver.url('/task'));
    const workspaceId = decodeId('Workspace', ws.id);
    await seedEvents(workspaceId, decodeId('Connection', hook.id), { count: 50, ageDays: 45, resourceId: 'cus_task', marker: 'task-marker-2f' });
    await db.query(`select graphile_worker.add_job('apply_retention', '{}'::json)`);
    await eventually(async () => (Object.keys(await rowsHolding('task-marker-2f')).length === 0 ? true : undefined), 30_000, 'the task to run');
  }, 60_000);
});
