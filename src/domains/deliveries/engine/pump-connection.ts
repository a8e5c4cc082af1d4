import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../../config.ts';
import type { Queryable } from '../../../db/prepared-statement.ts';
import { Connection } from '../../connections/connection.entity.ts';
import { callSizeFollowsSettings, itemsPerCall } from '../../destinations/perform-action.ts';
import { LruCache } from '../../lru-cache.ts';
import { sendAttempt } from './attempt-delivery.ts';
import { recordAttempt } from './record-outcome.ts';
import { KeysInFlight, sendCalls, type CallOutcome } from './send-calls.ts';
import { connectionPumpJob } from '../delivery-jobs.ts';
import type { AttemptPlan } from '../state/attempt-plan.ts';
import { claimDue, type NextLook } from '../state/claim-due.ts';
import { parkWaiting } from '../state/park-waiting.ts';
import { logger } from '../../../observability/logger.ts';

const log = logger.child({ component: 'worker' });

/**
 * How long one run of a pump takes new deliveries before it hands its worker slot on, so that
 * busy connections take turns and a stopping worker is not held by a long backlog. A run's last
 * attempts may take the connection's timeout beyond it; its worker's heartbeat, not the run's
 * length, is what keeps its job from being taken over.
 */
const RUN_MS = 10_000;

/**
 * Lets a pump with nothing to do wait in its job for news of its queue (`queue`): resolves true
 * when the queue got a job since `since` (a `performance.now()` time) or within `ms`, false
 * otherwise; null when it may not linger now (too many do already, or the worker stops).
 */
export type Linger = (queue: string, since: number, ms: number, stopping: AbortSignal) => Promise<boolean> | null;

/**
 * How long a pump with nothing to do lingers in its job for new work: long enough that events a
 * product emits one after another find it running, short enough that an idle connection gives
 * its worker slot back soon.
 */
const LINGER_MS = 2_000;

export interface PumpOptions {
  /** Aborted when the worker stops: the run takes no more deliveries. */
  stopping: AbortSignal;
  /**
   * Where claims run: a pool whose sessions commit without waiting for the disk (see
   * `startWorker`), or the entity manager.
   */
  claims: EntityManager | Queryable;
  /** Where it may linger when its work is done; without it, a run ends as soon as nothing is due. */
  linger?: Linger;
}

/** Deliveries one call of a connection takes where its kind alone decides, as a kind never changes: read once a process. */
const callSizes = new LruCache<string, number>(10_000);

async function callSizeOf(em: EntityManager, connectionId: string): Promise<number> {
  const cached = callSizes.get(connectionId);
  if (cached !== undefined) return cached;
  const connection = await em.fork().findOne(Connection, connectionId, { fields: ['kind', 'config'] });
  if (!connection) return 1;
  const size = itemsPerCall(connection.kind, connection.config);
  // Where the settings decide (HubSpot's action), they can change: read again at the next claim.
  if (!callSizeFollowsSettings(connection.kind)) callSizes.set(connectionId, size);
  return size;
}

/** Deliveries claimed together by call: those that share a lease go in one call. */
function callsOf(plans: readonly AttemptPlan[]): AttemptPlan[][] {
  const calls = new Map<string, AttemptPlan[]>();
  for (const plan of plans) calls.set(plan.lease, [...(calls.get(plan.lease) ?? []), plan]);
  return [...calls.values()];
}

/** How a run of a connection's pump ended, and so when the next one is due. */
export type PumpRunEnd =
  /** Nothing is due: the next run is at the next retry, if any. */
  | { kind: 'idle'; next: NextLook | null }
  /** The run's time is up, or the worker is stopping, with work left: run again now. */
  | { kind: 'more' }
  /** The rate limit is used up: run again when the next token is there. */
  | { kind: 'rate-limited'; at: Date }
  /** The connection is paused, disabled or gone: its deliveries wait for resumeConnection. */
  | { kind: 'stopped' };

/**
 * One run of a connection's pump. Unordered, it keeps up to `maxConcurrency` calls in flight,
 * claiming due deliveries in batches (a claim waits until half of the slots are free, so a busy
 * connection claims many at once); a call is one delivery, or for a kind that sends batches up
 * to its `maxItems` (see `sendCalls`); ordered, one at a time, oldest event first. Either way within
 * its rate limit, and as the connection is at each claim: a switch of `ordered` takes effect at
 * the next claim, which waits for what is in flight. A request answered 2xx frees its slot at
 * once, while its success is still being recorded (grouped with others, so one commit, and one
 * wait for the disk, serves many); a failure keeps its slot until it is counted, so the next claim
 * sees a failing streak, and an ordered connection waits for every record, which decides what
 * goes next. With nothing to do it lingers (see `Linger`) rather than end at once. It stops
 * taking deliveries when the run's time is up or the worker stops, and returns once every
 * attempt it started is recorded. One pump runs per connection at once, across every worker
 * process.
 */
export async function pumpConnection(em: EntityManager, config: Config, connectionId: string, options: PumpOptions): Promise<PumpRunEnd> {
  /** Calls that hold one of the connection's slots, by lease: not answered yet, or with a failure not recorded yet. */
  const sending = new Map<string, Promise<unknown>>();
  /** Successes being recorded, by delivery: leased still, but their requests are over. */
  const recording = new Map<string, Promise<unknown>>();
  /** The batch keys of the calls in flight. */
  const keys = new KeysInFlight();
  /** Records one delivery's outcome; resolves when it no longer holds its call's slot. */
  const record = (plan: AttemptPlan, sent: Promise<CallOutcome>): Promise<unknown> => {
    const recorded: Promise<unknown> = sent
      .then((outcome) => {
        if (outcome === 'released') return;
        if (outcome.ok) recording.set(plan.deliveryId, recorded);
        return recordAttempt(em.fork(), config, plan, outcome);
      })
      .catch((error: unknown) => {
        // Its lease runs out and the stalled-work sweep puts it back: at least once.
        log.error({ err: error, deliveryId: plan.deliveryId, connectionId }, 'an attempt could not be recorded; its lease runs out and it is retried');
      })
      .finally(() => recording.delete(plan.deliveryId));
    // A failure keeps its slot until it is counted: the next claim must see the streak.
    return sent.then((outcome) => (outcome !== 'released' && !outcome.ok ? recorded : undefined), () => recorded);
  };
  const start = (call: readonly AttemptPlan[], sent: readonly Promise<CallOutcome>[]) => {
    const { lease } = call[0]!;
    sending.set(lease, Promise.all(call.map((plan, index) => record(plan, sent[index]!))).finally(() => sending.delete(lease)));
  };
  const anyDone = () => Promise.race([...sending.values(), ...recording.values()]);
  const queue = connectionPumpJob(connectionId).queue_name!;
  const endsAt = Date.now() + RUN_MS;

  const run = async (): Promise<PumpRunEnd | 'inactive'> => {
    let cap = Infinity;
    for (;;) {
      if (options.stopping.aborted || Date.now() >= endsAt) return { kind: 'more' };
      if (sending.size > 0 && cap - sending.size < Math.max(1, Math.floor(cap / 2))) {
        await Promise.race(sending.values());
        continue;
      }
      const busy = sending.size + recording.size;
      const claimedAt = performance.now();
      const size = await callSizeOf(em, connectionId);
      const claim = await claimDue(options.claims, connectionId, {
        limit: Math.max(1, (cap === Infinity ? config.defaultMaxConcurrency : cap) - sending.size) * size,
        itemsPerCall: size,
        recording: [...recording.keys()],
        defaultMaxConcurrency: config.defaultMaxConcurrency,
        leaseMarginSeconds: config.staleJobSeconds,
      });
      const { connection } = claim;
      if (!connection) return { kind: 'stopped' };
      if (connection.status !== 'ACTIVE') return 'inactive';
      cap = connection.maxConcurrency;
      const calls = callsOf(claim.plans);
      if (connection.itemsPerCall > 1) {
        const sent = sendCalls(em, options.claims, config, calls, keys);
        calls.forEach((call, index) => start(call, sent.outcomes[index]!));
        // All went back, their keys in flight: a claim before a call is answered would take them back for nothing.
        if (!(await sent.progressed)) await keys.freed();
      } else calls.forEach((call) => start(call, call.map((plan) => sendAttempt(em, config, plan))));
      if (claim.plans.length > 0) continue;
      if (connection.rateLimitWaitSeconds !== null) {
        return { kind: 'rate-limited', at: new Date(Date.now() + connection.rateLimitWaitSeconds * 1000) };
      }
      // Only a claim made with nothing in flight or being recorded saw every retry those attempts scheduled.
      if (busy === 0) {
        const until = Math.min(endsAt, claim.next ? claim.next.at.getTime() : Infinity, Date.now() + LINGER_MS);
        const lingered = options.linger?.(queue, claimedAt, until - Date.now(), options.stopping);
        if (lingered && (await lingered)) continue;
        return { kind: 'idle', next: claim.next };
      }
      if (sending.size + recording.size > 0) await anyDone();
    }
  };

  let end: PumpRunEnd | 'inactive';
  try {
    end = await run();
  } finally {
    while (sending.size + recording.size > 0) await anyDone();
  }
  if (end !== 'inactive') return end;
  // After the attempts in flight are recorded, so none of their deliveries is left unparked.
  await parkWaiting(em, connectionId);
  return { kind: 'stopped' };
}
