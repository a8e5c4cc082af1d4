import type { Db } from '../../../db/prepared-statement.ts';
import type { AttemptPlan } from '../state/attempt-plan.ts';
import { releaseClaims } from '../state/release.ts';
import { logger } from '../../../observability/logger.ts';

const log = logger.child({ component: 'worker' });

/**
 * The deliveries a pump claimed ahead of its free slots (see `claimAhead` in claim-due.ts), in
 * claim order, each to start the moment a slot frees. Each is leased for its connection's
 * timeout plus the lease margin from its claim on, so one is started only within half the
 * margin of its claim (`maxWaitMs`): its request and its record then end well inside the lease.
 * One that waited longer goes back untried, as everything held goes back when the pump lets go
 * of it (`releaseAll`), with no attempt counted and its place in the queue kept.
 */
export class HeldDeliveries {
  #held: { plan: AttemptPlan; claimedAt: number }[] = [];
  #releases = new Set<Promise<unknown>>();
  readonly #db: Db;
  readonly #maxWaitMs: number;

  constructor(db: Db, maxWaitMs: number) {
    this.#db = db;
    this.#maxWaitMs = maxWaitMs;
  }

  get size(): number {
    return this.#held.length;
  }

  /** Holds `plans`, claimed by a claim that started at `claimedAt` (a `performance.now()` time). */
  hold(plans: readonly AttemptPlan[], claimedAt: number): void {
    for (const plan of plans) this.#held.push({ plan, claimedAt });
  }

  /** The leases held, for the next claim's count. */
  leases(): string[] {
    return this.#held.map(({ plan }) => plan.lease);
  }

  /** The oldest delivery held whose lease leaves room for its attempt; those that waited too long go back. */
  next(): AttemptPlan | undefined {
    const now = performance.now();
    // Held in claim order: those that waited too long are first.
    const firstFresh = this.#held.findIndex(({ claimedAt }) => now - claimedAt < this.#maxWaitMs);
    this.#release(this.#held.splice(0, firstFresh === -1 ? this.#held.length : firstFresh).map(({ plan }) => plan));
    return this.#held.shift()?.plan;
  }

  /** Gives every delivery held back untried. */
  releaseAll(): void {
    this.#release(this.#held.splice(0).map(({ plan }) => plan));
  }

  /** Resolves once every delivery given back is written back, so a claim after it counts them free. */
  async settled(): Promise<void> {
    while (this.#releases.size > 0) await Promise.all(this.#releases);
  }

  #release(plans: AttemptPlan[]): void {
    if (plans.length === 0) return;
    const released: Promise<unknown> = releaseClaims(this.#db, plans.map((plan) => ({ plan, alone: false })))
      .catch((error: unknown) => {
        // Their leases run out and the next claim, or the stalled-work sweep, takes them: at least once.
        log.error({ err: error, deliveries: plans.map((plan) => plan.deliveryId) }, 'held deliveries could not be given back; their leases run out');
      })
      .finally(() => this.#releases.delete(released));
    this.#releases.add(released);
  }
}
