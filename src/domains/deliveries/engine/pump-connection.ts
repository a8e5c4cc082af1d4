import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../../config.ts';
import type { Queryable } from '../../../db/prepared-statement.ts';
import { Connection } from '../../connections/connection.entity.ts';
import { callSizeFollowsSettings, itemsPerCall } from '../../destinations/perform-action.ts';
import { LruCache } from '../../lru-cache.ts';
import { sendAttempt } from './attempt-delivery.ts';
import { recordAttempt } from './record-outcome.ts';
import { HeldDeliveries } from './held-deliveries.ts';
import { KeysInFlight, sendCalls, type CallOutcome } from './send-calls.ts';
import { connectionPumpJob } from '../delivery-jobs.ts';
import { beginLingering, endLingering } from '../../../db/graphile-worker.ts';
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
 * Calls `onChange` whenever the connection of the queue `queue` changes its status, ordering, cap,
 * rate limit or what its requests are made of, or is removed, as announced to this process, until
 * the function it returns is called.
 */
export type ConnectionChanges = (queue: string, onChange: () => void) => () => void;

/**
 * How long a pump with nothing to do lingers in its job for new work: long enough that events a
 * product emits one after another find it running, short enough that an idle connection gives
 * its worker slot back soon.
 */
const LINGER_MS = 2_000;

/** How long past the run's end a pump's word that it lingers holds, should its process die before it takes it back. */
const LINGER_MARGIN_SECONDS = 5;

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
  /**
   * Where it hears of changes of its connection: a change gives back what the run holds (it may
   * be paused, or ordered now), and what the claim under way took, and the next claim looks
   * again. Without it, only the next claim sees a change.
   */
  watchChanges?: ConnectionChanges;
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
 * claiming due deliveries in batches (a claim waits until half of the slots' worth is free, so a
 * busy connection claims many at once); a call is one delivery, or for a kind that sends batches up
 * to its `maxItems` (see `sendCalls`); ordered, one at a time, oldest event first. Either way within
 * its rate limit, and as the connection is at each claim: a switch of `ordered` takes effect at
 * the next claim, which waits for what is in flight. A request answered 2xx frees its slot at
 * once, while its success is still being recorded (grouped with others, so one commit, and one
 * wait for the disk, serves many); a failure keeps its slot until it is counted, so the next claim
 * sees a failing streak, and an ordered connection waits for every record, which decides what
 * goes next. With nothing to do it lingers (see `Linger`) rather than end at once; while it does,
 * emits tell it rather than queue a job behind it (`beginLingering`), so when it stops lingering it
 * claims once more before the run ends. It stops
 * taking deliveries when the run's time is up or the worker stops, and returns once every
 * attempt it started is recorded. One pump runs per connection at once, across every worker
 * process.
 *
 * Where the claim lets it (single deliveries, unordered, no rate limit, not failing: see
 * `claimAhead` in claim-due.ts), a claim also takes up to `maxConcurrency` deliveries more than
 * the free slots, held in memory (`HeldDeliveries`), so that a slot that frees starts its next
 * request at once instead of waiting for a claim's round trip; the requests in flight stay within
 * `maxConcurrency`, which the pump keeps itself. What it holds goes back untried (`release`) at
 * the first failure of the run (which claims no more ahead from then on, so the breaker holds the
 * next claim back as before), as soon as it hears that its connection changed (`watchChanges`:
 * paused, disabled, removed, ordered, its cap or rate limit, or its URL, settings, headers,
 * timeout, retry schedule or signing secrets, which held plans carry as claimed), at a claim that
 * lets it hold nothing (the same, or failing), when the worker stops and when the run ends; one
 * that waited too long for a slot goes back rather than outlive its lease (`HeldDeliveries`).
 */
export async function pumpConnection(em: EntityManager, config: Config, connectionId: string, options: PumpOptions): Promise<PumpRunEnd> {
  /** Calls that hold one of the connection's slots, by lease: not answered yet, or with a failure not recorded yet. */
  const sending = new Map<string, Promise<unknown>>();
  /** Successes being recorded, by delivery: leased still, but their requests are over. */
  const recording = new Map<string, Promise<unknown>>();
  /** The batch keys of the calls in flight. */
  const keys = new KeysInFlight();
  /** Claimed ahead of the free slots, waiting for one. */
  const held = new HeldDeliveries(options.claims, (config.staleJobSeconds * 1000) / 2);
  /** The connection's cap as the last claim saw it (none before the first). */
  let cap = Infinity;
  /** Whether the run has seen a failure: from then on it claims only what it has slots for. */
  let failed = false;
  /** What the last claim let the run hold beyond the cap (none after a failure). */
  let ahead = 0;
  const endsAt = Date.now() + RUN_MS;
  const queue = connectionPumpJob(connectionId).queue_name!;
  /** When the last claim started (a `performance.now()` time). */
  let claimedAt = -Infinity;
  /** Whether the connection changed since the last claim started: what it took must not go. */
  let changed = false;
  /** Starts held deliveries in the free slots; gives them back once the run may start none. */
  const fill = () => {
    if (changed || options.stopping.aborted || Date.now() >= endsAt) return held.releaseAll();
    while (sending.size < cap && held.size > 0) {
      const plan = held.next();
      if (plan) start([plan], [sendAttempt(em, config, plan)]);
    }
    // Claimed ahead by a claim that was under way when the failure came: they must not go.
    if (failed) held.releaseAll();
  };
  /** Records one delivery's outcome; resolves when it no longer holds its call's slot. */
  const record = (plan: AttemptPlan, sent: Promise<CallOutcome>): Promise<unknown> => {
    const recorded: Promise<unknown> = sent
      .then((outcome) => {
        if (outcome === 'released') return;
        if (outcome.ok) recording.set(plan.deliveryId, recorded);
        else {
          failed = true;
          ahead = 0;
          held.releaseAll();
        }
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
    sending.set(lease, Promise.all(call.map((plan, index) => record(plan, sent[index]!))).finally(() => {
      sending.delete(lease);
      fill();
    }));
  };
  const anyDone = () => Promise.race([...sending.values(), ...recording.values()]);
  // A worker that stops gives back what it holds at once, for another to take.
  const releaseOnStop = () => held.releaseAll();
  options.stopping.addEventListener('abort', releaseOnStop, { once: true });
  const unwatch = options.watchChanges?.(queue, () => {
    changed = true;
    held.releaseAll();
  });

  const jobKey = connectionPumpJob(connectionId).job_key!;
  /** Whether the run has said it lingers (`beginLingering`), and whether it has stopped lingering for good. */
  let announced = false;
  let lingeredOut = false;
  const stopLingering = async () => {
    announced = false;
    await endLingering(em, jobKey);
  };

  const run = async (): Promise<PumpRunEnd | 'inactive'> => {
    for (;;) {
      if (options.stopping.aborted || Date.now() >= endsAt) return { kind: 'more' };
      if (sending.size > 0 && cap + ahead - sending.size - held.size < Math.max(1, Math.floor(cap / 2))) {
        await Promise.race(sending.values());
        continue;
      }
      // A claim counts what went back as free only once it is written back.
      await held.settled();
      const busy = sending.size + recording.size + held.size;
      claimedAt = performance.now();
      changed = false;
      const size = await callSizeOf(em, connectionId);
      const claimAhead = size === 1 && !failed;
      const room = cap === Infinity ? config.defaultMaxConcurrency : cap;
      const claim = await claimDue(options.claims, connectionId, {
        limit: Math.max(1, room + (claimAhead ? room : 0) - sending.size - held.size) * size,
        itemsPerCall: size,
        recording: [...recording.keys()],
        own: [...sending.keys(), ...held.leases()],
        claimAhead,
        defaultMaxConcurrency: config.defaultMaxConcurrency,
        leaseMarginSeconds: config.staleJobSeconds,
      });
      const { connection } = claim;
      // Held only while claims let the run hold: paused, gone, ordered now, rate-limited or failing, they go back.
      if (!connection?.ahead) held.releaseAll();
      if (!connection) return { kind: 'stopped' };
      if (connection.status !== 'ACTIVE') return 'inactive';
      cap = connection.maxConcurrency;
      ahead = connection.ahead;
      const calls = callsOf(claim.plans);
      if (connection.itemsPerCall > 1) {
        const sent = sendCalls(em, options.claims, config, calls, keys);
        calls.forEach((call, index) => start(call, sent.outcomes[index]!));
        // All went back, their keys in flight: a claim before a call is answered would take them back for nothing.
        if (!(await sent.progressed)) await keys.freed();
      } else {
        held.hold(claim.plans, claimedAt);
        fill();
      }
      if (claim.plans.length > 0) continue;
      if (connection.rateLimitWaitSeconds !== null) {
        return { kind: 'rate-limited', at: new Date(Date.now() + connection.rateLimitWaitSeconds * 1000) };
      }
      // Only a claim made with nothing in flight or being recorded saw every retry those attempts scheduled.
      if (busy === 0) {
        const until = Math.min(endsAt, claim.next ? claim.next.at.getTime() : Infinity, Date.now() + LINGER_MS);
        if (!lingeredOut) {
          const lingered = options.linger?.(queue, claimedAt, until - Date.now(), options.stopping);
          if (lingered && !announced) {
            // Said once a run, and committed as writes are (not as claims): writes from now on tell this pump instead of adding a job behind it.
            await beginLingering(em, jobKey, (endsAt - Date.now()) / 1000 + LINGER_MARGIN_SECONDS);
            announced = true;
          }
          if (lingered && (await lingered)) continue;
        }
        // Writes that saw this pump linger added no job, and their news may not have come: one more claim once none can.
        if (announced) {
          await stopLingering();
          lingeredOut = true;
          continue;
        }
        return { kind: 'idle', next: claim.next };
      }
      if (sending.size + recording.size > 0) await anyDone();
    }
  };

  let end: PumpRunEnd | 'inactive';
  try {
    end = await run();
  } finally {
    // Whatever the run's end, the job that follows it (or the next write's) claims what writes left to it.
    // Taking the word back may fail (Postgres gone): it runs out by itself, and the rest of the cleanup must still run.
    if (announced) {
      await stopLingering().catch((error: unknown) =>
        log.warn({ err: error, connectionId }, 'a lingering pump could not take back its word; it runs out with the run'));
    }
    options.stopping.removeEventListener('abort', releaseOnStop);
    unwatch?.();
    held.releaseAll();
    while (sending.size + recording.size > 0) await anyDone();
    await held.settled();
  }
  if (end !== 'inactive') return end;
  // After the attempts in flight are recorded, so none of their deliveries is left unparked.
  await parkWaiting(em, connectionId);
  return { kind: 'stopped' };
}
