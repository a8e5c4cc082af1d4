import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer } from './helpers/server.ts';
import { createRule, createWebhook, emit } from './helpers/fixtures.ts';
import { decodeId } from '../src/domains/public-ids.ts';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../src/domains/deliveries/delivery.entity.ts';
import { TRANSITIONS, initialState, type DeliveryEvent } from '../src/domains/deliveries/state/delivery-states.ts';
import { claimDue } from '../src/domains/deliveries/state/claim-due.ts';
import type { AttemptPlan } from '../src/domains/deliveries/state/attempt-plan.ts';
import { parkWaiting } from '../src/domains/deliveries/state/park-waiting.ts';
import { unparkDeliveries } from '../src/domains/deliveries/state/unpark.ts';
import { recordAttempt } from '../src/domains/deliveries/engine/record-outcome.ts';
import { recoverStalled } from '../src/domains/deliveries/engine/recover-stalled.ts';
import { releaseClaims } from '../src/domains/deliveries/state/release.ts';
import { replayDelivery } from '../src/domains/deliveries/replay/replay.ts';
import { eraseResource } from '../src/domains/retention/erase-resource.ts';

// The API alone: no worker, so each transition happens only when the test makes it.
const server = await startTestServer({ role: 'api', allowPrivateTargets: true });
const { config, orm } = server.switchyard.services;
const db = new pg.Client(server.databaseUrl);
await db.connect();
afterAll(() => db.end());
const ws = await server.seedWorkspace();
const workspaceId = decodeId('Workspace', ws.id);

interface Case {
  /** Its event's type, also the id of the resource the event is about. */
  type: string;
  deliveryId: string;
  connectionId: string;
  /** The claim that put the delivery in flight before it was set to the state under test. */
  plan: AttemptPlan;
}

let cases = 0;
/**
 * A delivery in `status`: emitted, claimed (so a claim's token is on it), then set to `status`.
 * RETRYING is due; DELIVERING holds its lease unless `leaseRanOut`; `parked` sets the flag.
 */
async function deliveryIn(status: DeliveryStatus, options: { retryScheduleSeconds: number[]; leaseRanOut?: boolean; parked?: boolean }): Promise<Case> {
  const type = `state.case${++cases}`;
  const hook = await createWebhook(ws.secret, 'http://127.0.0.1:9/', { retryScheduleSeconds: options.retryScheduleSeconds });
  await createRule(ws.secret, hook.id, [type]);
  const { event } = await emit(ws.secret, { type, resource: 'customer', resourceId: type });
  const deliveryId = decodeId('Delivery', event.deliveries[0]!.id);
  const connectionId = decodeId('Connection', hook.id);
  const { plans: [plan] } = await claimDue(orm.em.fork(), connectionId, { limit: 1, defaultMaxConcurrency: 10, leaseMarginSeconds: 60 });
  await db.query(
    `update deliveries set status = $2::delivery_status, next_attempt_at = case when $2::delivery_status = 'RETRYING' then now() - interval '1 second' end,
       claimed_until = case when $2::delivery_status <> 'DELIVERING' then null when $3 then now() - interval '1 second' else now() + interval '1 minute' end,
       parked_at = case when $4 then now() end
     where id = $1`,
    [deliveryId, status, options.leaseRanOut ?? false, options.parked ?? false],
  );
  return { type, deliveryId, connectionId, plan: plan! };
}

const answered = (statusCode: number) => ({
  ok: statusCode < 300, url: 'http://127.0.0.1:9/', startedAt: new Date(), durationMs: 3, statusCode,
  ...(statusCode >= 300 ? { errorClass: 'HTTP' as const, error: `the receiver answered HTTP ${statusCode}`, failure: 'retry' as const } : {}),
});

/** What the webhook kind reports of a 410 Gone: the delivery waits, and the connection is disabled. */
const gone = () => ({
  ...answered(410),
  failure: 'wait' as const,
  connection: { kind: 'disable' as const, reason: 'the receiver answered 410 Gone at http://127.0.0.1:9/' },
});

/** What a kind reports of an answer that says the vendor's quota is spent: the connection waits. */
const quotaSpent = (seconds = 60) => ({
  ...answered(429),
  failure: 'throttle' as const,
  errorClass: 'RATE_LIMITED' as const,
  quota: { reason: "the vendor's quota is spent", seconds, daily: false },
});

/** How the test makes each change happen, through the code that makes it in Switchyard. */
const events: Record<Exclude<DeliveryEvent, 'create' | 'createDead'>, {
  setUp: { retryScheduleSeconds: number[]; leaseRanOut?: boolean; parked?: boolean };
  make(subject: Case): Promise<unknown>;
}> = {
  claim: {
    setUp: { retryScheduleSeconds: [0], leaseRanOut: true },
    make: (subject) => claimDue(orm.em.fork(), subject.connectionId, { limit: 1, defaultMaxConcurrency: 10, leaseMarginSeconds: 60 }),
  },
  succeed: { setUp: { retryScheduleSeconds: [0] }, make: (subject) => recordAttempt(orm.em.fork(), config, subject.plan, answered(200)) },
  retry: { setUp: { retryScheduleSeconds: [0, 60] }, make: (subject) => recordAttempt(orm.em.fork(), config, subject.plan, answered(500)) },
  parkOnFailure: { setUp: { retryScheduleSeconds: [0, 60] }, make: (subject) => recordAttempt(orm.em.fork(), config, subject.plan, gone()) },
  die: { setUp: { retryScheduleSeconds: [0] }, make: (subject) => recordAttempt(orm.em.fork(), config, subject.plan, answered(500)) },
  release: { setUp: { retryScheduleSeconds: [0] }, make: (subject) => releaseClaims(orm.em.fork(), [{ plan: subject.plan, alone: false }]) },
  // One attempt in the schedule: counted, it would die.
  throttle: { setUp: { retryScheduleSeconds: [0] }, make: (subject) => recordAttempt(orm.em.fork(), config, subject.plan, quotaSpent()) },
  recover: { setUp: { retryScheduleSeconds: [0], leaseRanOut: true }, make: () => recoverStalled(orm.em.fork(), config) },
  replay: {
    setUp: { retryScheduleSeconds: [0] },
    make: (subject) => replayDelivery(orm.em.fork(), workspaceId, subject.deliveryId).catch((error: Error) => error),
  },
  park: {
    setUp: { retryScheduleSeconds: [0] },
    async make(subject) {
      await db.query(`update connections set status = 'PAUSED' where id = $1`, [subject.connectionId]);
      await parkWaiting(orm.em.fork(), subject.connectionId);
    },
  },
  unpark: {
    setUp: { retryScheduleSeconds: [0], parked: true },
    make: (subject) => orm.em.fork().transactional((tx) => unparkDeliveries(tx, subject.connectionId)),
  },
  erase: {
    setUp: { retryScheduleSeconds: [0] },
    make: (subject) => eraseResource(orm.em.fork(), config, workspaceId, { resource: 'customer', resourceId: subject.type }),
  },
};

/** Emits one more event to the connection of a case; the delivery's id. */
async function emitTo(connectionId: string): Promise<string> {
  const { rows: [rule] } = await db.query<{ event_types: string[] }>('select event_types from rules where connection_id = $1', [connectionId]);
  const { event } = await emit(ws.secret, { type: rule!.event_types[0]!, resource: 'customer', resourceId: `more-${++cases}` });
  return decodeId('Delivery', event.deliveries[0]!.id);
}

const rowOf = async (deliveryId: string) =>
  (await db.query<{ status: DeliveryStatus; parked: boolean; attempt_count: number; lease: string | null }>(
    'select status, parked_at is not null as parked, attempt_count, lease from deliveries where id = $1', [deliveryId])).rows[0]!;

describe('the delivery state machine', () => {
  for (const [name, event] of Object.entries(events) as [keyof typeof events, (typeof events)[keyof typeof events]][]) {
    const transition = TRANSITIONS[name];
    for (const from of DELIVERY_STATUSES) {
      const legal = (transition.from as readonly DeliveryStatus[]).includes(from);
      it(`${legal ? 'makes' : 'refuses'} ${name} from ${from}`, async () => {
        const subject = await deliveryIn(from, event.setUp);
        const before = await rowOf(subject.deliveryId);
        await event.make(subject);
        const after = await rowOf(subject.deliveryId);
        if (!legal) {
          expect(after).toEqual(before);
          return;
        }
        // Every case's chain has no attempt yet, so a delivery released goes back to PENDING.
        expect(after.status).toBe(transition.to === 'same' ? from : transition.to === 'unclaimed' ? 'PENDING' : transition.to);
        if (name === 'park' || name === 'parkOnFailure') expect(after.parked).toBe(true);
        if (name === 'unpark') expect(after.parked).toBe(false);
        if (name === 'throttle') expect(after.attempt_count).toBe(before.attempt_count);
      });
    }
  }

  it('releases a delivery whose chain has attempts to RETRYING, due, without counting an attempt, and marks one handed back to go alone', async () => {
    const subject = await deliveryIn('DELIVERING', { retryScheduleSeconds: [0, 60] });
    await db.query(`update deliveries set chain_attempts = 1, attempt_count = 1, next_attempt_at = now() - interval '5 seconds' where id = $1`, [subject.deliveryId]);
    expect(await releaseClaims(orm.em.fork(), [{ plan: subject.plan, alone: true }])).toBe(1);
    const { rows: [row] } = await db.query<{ status: string; attempt_count: number; lease: string | null; due: boolean; unbatched: boolean }>(
      'select status, attempt_count, lease, next_attempt_at <= now() as due, unbatched from deliveries where id = $1', [subject.deliveryId]);
    expect(row).toEqual({ status: 'RETRYING', attempt_count: 1, lease: null, due: true, unbatched: true });
    // Its claim's token no longer holds: a second release changes nothing.
    expect(await releaseClaims(orm.em.fork(), [{ plan: subject.plan, alone: false }])).toBe(0);
  });

  it('refuses to claim a delivery whose lease still runs: it is in flight', async () => {
    const subject = await deliveryIn('DELIVERING', { retryScheduleSeconds: [0] });
    const before = await rowOf(subject.deliveryId);
    const { plans } = await events.claim.make(subject) as Awaited<ReturnType<typeof claimDue>>;
    expect(plans).toEqual([]);
    expect(await rowOf(subject.deliveryId)).toEqual(before);
  });

  it('claims nothing of a connection waiting for its quota, then one delivery at a time until a success ends the wait', async () => {
    const subject = await deliveryIn('DELIVERING', { retryScheduleSeconds: [0] });
    const [second, third] = [await emitTo(subject.connectionId), await emitTo(subject.connectionId)];
    await recordAttempt(orm.em.fork(), config, subject.plan, quotaSpent(60));
    const claim = () => claimDue(orm.em.fork(), subject.connectionId, { limit: 10, defaultMaxConcurrency: 10, leaseMarginSeconds: 60 });
    const waiting = await claim();
    expect(waiting.plans).toEqual([]);
    const { rows: [wait] } = await db.query<{ throttled_until: Date }>('select throttled_until from connections where id = $1', [subject.connectionId]);
    // The pump looks again when the wait is over, and new deliveries wait with it.
    expect(waiting.next).toEqual({ at: wait!.throttled_until, holdsNewDeliveries: true });

    await db.query(`update connections set throttled_until = now() - interval '1 second' where id = $1`, [subject.connectionId]);
    const probe = await claim();
    expect(probe.plans.map((plan) => plan.deliveryId)).toEqual([subject.deliveryId]);
    expect((await claim()).plans).toEqual([]);
    await recordAttempt(orm.em.fork(), config, probe.plans[0]!, answered(200));
    expect((await db.query('select throttled_until, throttle_reason from connections where id = $1', [subject.connectionId])).rows[0]).toEqual({ throttled_until: null, throttle_reason: null });
    expect((await claim()).plans.map((plan) => plan.deliveryId).sort()).toEqual([second, third].sort());
  });

  it('keeps the wait when an attempt started before its end succeeds: it says nothing of the quota', async () => {
    const subject = await deliveryIn('DELIVERING', { retryScheduleSeconds: [0] });
    const earlier = { ...answered(200), startedAt: new Date(Date.now() - 5000) };
    await db.query(`update connections set throttled_until = now() - interval '1 second', throttle_reason = 'spent' where id = $1`, [subject.connectionId]);
    await recordAttempt(orm.em.fork(), config, subject.plan, earlier);
    expect(await rowOf(subject.deliveryId)).toMatchObject({ status: 'SUCCEEDED' });
    expect((await db.query('select throttle_reason from connections where id = $1', [subject.connectionId])).rows[0]).toEqual({ throttle_reason: 'spent' });
  });

  it('creates a delivery PENDING, parked while its connection is not active, or DEAD when its condition fails', async () => {
    expect(initialState({ connectionActive: true })).toEqual({ status: TRANSITIONS.create.to, parked: false, lastError: null });
    expect(initialState({ connectionActive: false })).toEqual({ status: TRANSITIONS.create.to, parked: true, lastError: null });
    expect(initialState({ connectionActive: true, conditionError: 'no' })).toEqual({ status: TRANSITIONS.createDead.to, parked: false, lastError: 'no' });
    const hook = await createWebhook(ws.secret, 'http://127.0.0.1:9/');
    await createRule(ws.secret, hook.id, ['state.created'], { condition: '$error("cannot tell")' });
    const { event } = await emit(ws.secret, { type: 'state.created' });
    expect(await rowOf(decodeId('Delivery', event.deliveries[0]!.id))).toMatchObject({ status: 'DEAD', parked: false });
  });
});
