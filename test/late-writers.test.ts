import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer } from './helpers/server.ts';
import { emit, getDelivery, workspaceWithWebhook } from './helpers/fixtures.ts';
import { decodeId } from '../src/domains/public-ids.ts';
import { claimDue } from '../src/domains/deliveries/state/claim-due.ts';
import { recordAttempt } from '../src/domains/deliveries/engine/record-outcome.ts';
import type { AttemptResult } from '../src/domains/deliveries/state/attempt-result.ts';
import { recoverStalled } from '../src/domains/deliveries/engine/recover-stalled.ts';

// The API alone: no worker, so the test plays every worker itself, one step at a time.
const server = await startTestServer({ role: 'api', allowPrivateTargets: true });
const { config, orm } = server.switchyard.services;
const db = new pg.Client(server.databaseUrl);
await db.connect();
afterAll(() => db.end());

const answered = (statusCode: number): AttemptResult => ({
  ok: statusCode < 300,
  url: 'http://127.0.0.1:9/',
  startedAt: new Date(),
  durationMs: 5,
  statusCode,
  ...(statusCode >= 300 ? { errorClass: 'HTTP' as const, error: `the receiver answered HTTP ${statusCode}` } : {}),
});

/** A worker's claim of the connection's due deliveries. */
const claim = async (connectionId: string) => {
  const { plans } = await claimDue(orm.em.fork(), connectionId, {
    limit: 10, defaultMaxConcurrency: 10, leaseMarginSeconds: config.staleJobSeconds,
  });
  return plans;
};

/**
 * One delivery claimed twice: by a first worker whose lease then runs out (its process stalled)
 * and which the sweep takes the delivery back from, and by the worker that claims it next.
 */
const claimedTwice = async (retryScheduleSeconds: number[]) => {
  const { ws, hook } = await workspaceWithWebhook(server, 'http://127.0.0.1:9/', { retryScheduleSeconds });
  const connectionId = decodeId('Connection', hook.id);
  const { event } = await emit(ws.secret, { type: 'user.created' });
  const [late] = await claim(connectionId);
  await db.query(`update deliveries set claimed_until = now() - interval '1 second' where id = $1`, [late!.deliveryId]);
  await recoverStalled(orm.em.fork(), config);
  const [current] = await claim(connectionId);
  expect(current!.deliveryId).toBe(late!.deliveryId);
  return { ws, hook, id: event.deliveries[0]!.id, late: late!, current: current! };
};

describe('a writer whose claim was taken over', () => {
  it('records its failure as an attempt and leaves the newer success alone', async () => {
    const { ws, hook, id, late, current } = await claimedTwice([0, 60]);
    await recordAttempt(orm.em.fork(), config, current, answered(200));
    await recordAttempt(orm.em.fork(), config, late, answered(500));

    const delivery = await getDelivery(ws.secret, id);
    expect(delivery.status).toBe('SUCCEEDED');
    expect(delivery.lastError).toBeNull();
    expect(delivery.attempts.map((attempt) => attempt.statusCode).sort()).toEqual([200, 500]);
    const { connection } = await ws.secret.request(
      `query ($id: ID!) { connection(id: $id) { ... on Connection { consecutiveFailures } } }`, { id: hook.id });
    expect(connection.consecutiveFailures).toBe(0);
  });

  it('records its success as an attempt and leaves the newer dead letter alone', async () => {
    const { ws, id, late, current } = await claimedTwice([0]);
    await recordAttempt(orm.em.fork(), config, current, answered(500));
    expect((await getDelivery(ws.secret, id)).status).toBe('DEAD');
    await recordAttempt(orm.em.fork(), config, late, answered(200));

    const delivery = await getDelivery(ws.secret, id);
    expect(delivery.status).toBe('DEAD');
    expect(delivery.attempts.map((attempt) => attempt.statusCode).sort()).toEqual([200, 500]);
  });
});
