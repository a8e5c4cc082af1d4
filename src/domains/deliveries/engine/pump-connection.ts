import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../../config.ts';
import { attemptClaimed } from './attempt-delivery.ts';
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
 * One run of a connection's pump. Unordered, it keeps up to `maxConcurrency` attempts in flight,
 * claiming due deliveries in batches (a claim waits until half of the slots are free, so a busy
 * connection claims many at once); ordered, one at a time, oldest event first. Either way within
 * its rate limit, and as the connection is at each claim: a switch of `ordered` takes effect at
 * the next claim, which waits for what is in flight. It stops taking deliveries when the run's
 * time is up or the worker stops, and returns once every attempt it started is recorded. One
 * pump runs per connection at once, across every worker process.
 */
export async function pumpConnection(em: EntityManager, config: Config, connectionId: string, stopping: AbortSignal): Promise<PumpRunEnd> {
  const inFlight = new Set<Promise<unknown>>();
  const start = (plan: AttemptPlan) => {
    const attempt = attemptClaimed(em.fork(), config, plan)
      .catch((error: unknown) => {
        // Its lease runs out and the stalled-work sweep puts it back: at least once.
        log.error({ err: error, deliveryId: plan.deliveryId, connectionId }, 'an attempt could not be recorded; its lease runs out and it is retried');
      })
      .finally(() => inFlight.delete(attempt));
    inFlight.add(attempt);
  };
  const endsAt = Date.now() + RUN_MS;

  const run = async (): Promise<PumpRunEnd | 'inactive'> => {
    let cap = Infinity;
    for (;;) {
      if (stopping.aborted || Date.now() >= endsAt) return { kind: 'more' };
      if (inFlight.size > 0 && cap - inFlight.size < Math.max(1, Math.floor(cap / 2))) {
        await Promise.race(inFlight);
        continue;
      }
      const busy = inFlight.size;
      const claim = await claimDue(em, connectionId, {
        limit: Math.max(1, (cap === Infinity ? config.defaultMaxConcurrency : cap) - busy),
        defaultMaxConcurrency: config.defaultMaxConcurrency,
        leaseMarginSeconds: config.staleJobSeconds,
      });
      const { connection } = claim;
      if (!connection) return { kind: 'stopped' };
      if (connection.status !== 'ACTIVE') return 'inactive';
      cap = connection.maxConcurrency;
      claim.plans.forEach(start);
      if (claim.plans.length > 0) continue;
      if (connection.rateLimitWaitSeconds !== null) {
        return { kind: 'rate-limited', at: new Date(Date.now() + connection.rateLimitWaitSeconds * 1000) };
      }
      // Only a claim made with nothing in flight saw every retry those attempts scheduled.
      if (busy === 0) return { kind: 'idle', next: claim.next };
      if (inFlight.size > 0) await Promise.race(inFlight);
    }
  };

  let end: PumpRunEnd | 'inactive';
  try {
    end = await run();
  } finally {
    await Promise.all(inFlight);
  }
  if (end !== 'inactive') return end;
  // After the attempts in flight are recorded, so none of their deliveries is left unparked.
  await parkWaiting(em, connectionId);
  return { kind: 'stopped' };
}
