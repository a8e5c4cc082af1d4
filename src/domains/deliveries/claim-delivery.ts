import type { EntityManager } from '@mikro-orm/postgresql';
import { preparedStatement, runPrepared } from '../../db/prepared-statement.ts';
import { takeRateToken } from './rate-limit.ts';
import { loadAttemptPlan, planSelect, toPlan, type AttemptPlan, type PlanRow } from './load-attempt.ts';

export type Claim =
  | { kind: 'claimed'; plan: AttemptPlan }
  /** Finished, in flight elsewhere, or gone: nothing to do. */
  | { kind: 'skip' }
  /** The connection is paused or disabled: the delivery waits for resumeConnection. */
  | { kind: 'parked' }
  /** The connection's rate limit is used up: try again at `retryAt`, without counting an attempt. */
  | { kind: 'rate-limited'; retryAt: Date };

/** Whether the delivery is due for an attempt: a lease that expired counts as abandoned. */
const CLAIMABLE = `(d.status = 'PENDING'
  -- a retry's job may outlive a replay of the same delivery: only the job due now counts
  or (d.status = 'RETRYING' and (d.next_attempt_at is null or d.next_attempt_at <= now() + interval '1 second'))
  or (d.status = 'DELIVERING' and d.claimed_until < now()))`;

/** Sets the lease: the connection's timeout plus the margin (the second parameter). */
const LEASE = `status = 'DELIVERING', updated_at = now(),
  claimed_until = now() + make_interval(secs => (select timeout_seconds from connections where id = d.connection_id) + ?)`;

/** The claim of the usual case: lease and plan in one statement, unless the connection is hindered. */
const CLAIM_UNHINDERED = preparedStatement('switchyard_claim_delivery', `with target as (
       select d.id, ${CLAIMABLE} as claimable, c.status = 'ACTIVE' and c.rate_limit_per_second is null as unhindered
       from deliveries d join connections c on c.id = d.connection_id
       where d.id = ? for update of d),
     claimed as (
       update deliveries d set ${LEASE}
       from target t where d.id = t.id and t.claimable and t.unhindered
       returning d.*)
     select t.claimable, t.unhindered, p.delivery_id is not null as claimed, p.*
     from target t left join (${planSelect('claimed')}) p on true`);

/**
 * Takes one delivery of an ordered connection for one attempt (its pump works one at a time)
 * and reads what the attempt needs. The claim is a lease on
 * the delivery row: it lasts the connection's timeout plus `leaseMarginSeconds`, so a crashed
 * worker's delivery is taken over afterwards, while a slow request still running can never be
 * sent twice at once (graphile-worker's job lock alone could be released before the request
 * deadline). The usual case, an active connection without a rate limit, is one statement.
 */
export async function claimDelivery(em: EntityManager, deliveryId: string, leaseMarginSeconds: number): Promise<Claim> {
  const [row] = await runPrepared<PlanRow & { claimable: boolean; unhindered: boolean; claimed: boolean }>(em, CLAIM_UNHINDERED, [
    deliveryId,
    leaseMarginSeconds,
  ]);
  if (!row?.claimable) return { kind: 'skip' };
  if (row.claimed) return { kind: 'claimed', plan: toPlan(row) };
  const claim = await claimHindered(em, deliveryId, leaseMarginSeconds);
  if (claim !== 'claimed') return claim;
  const plan = await loadAttemptPlan(em, deliveryId);
  return plan ? { kind: 'claimed', plan } : { kind: 'skip' };
}

/** The claim when the connection is not active or has a rate limit: parks, waits or leases. */
async function claimHindered(em: EntityManager, deliveryId: string, leaseMarginSeconds: number): Promise<Exclude<Claim, { kind: 'claimed' }> | 'claimed'> {
  return em.transactional(async (tx) => {
    const [state] = await tx.execute<{ connection_id: string; connection_status: string; claimable: boolean; rate: number | null }[]>(
      `select d.connection_id, c.status as connection_status, c.rate_limit_per_second as rate, ${CLAIMABLE} as claimable
       from deliveries d join connections c on c.id = d.connection_id
       where d.id = ? for update of d`,
      [deliveryId],
    );
    if (!state?.claimable) return { kind: 'skip' };
    if (state.connection_status !== 'ACTIVE') {
      await tx.execute(`update deliveries set parked_at = now(), status = case when status = 'DELIVERING' then 'RETRYING'::delivery_status else status end where id = ?`, [deliveryId]);
      return { kind: 'parked' };
    }
    if (state.rate !== null) {
      const wait = await takeRateToken(tx, state.connection_id);
      if (wait > 0) return { kind: 'rate-limited', retryAt: new Date(Date.now() + wait * 1000) };
    }
    await tx.execute(`update deliveries d set ${LEASE} where id = ?`, [leaseMarginSeconds, deliveryId]);
    return 'claimed';
  });
}
