import type { EntityManager } from '@mikro-orm/postgresql';
import { namedStatement, runNamed } from '../../../db/prepared-statement.ts';
import type { AttemptPlan } from './attempt-plan.ts';
import { holdsLease } from './lease.ts';

/**
 * Locks the delivery under the claim's token, in the transaction that records a failure: what
 * the failure goes on to do (count against the connection's health, disable it, emit operational
 * events) happens only while the claim holds, and nobody can take the claim over before the
 * transaction ends.
 */
const LOCK_CLAIM = namedStatement<{ deliveryId: string; lease: string }>('switchyard_lock_claim', `
  select 1 from deliveries d where d.id = :deliveryId and ${holdsLease('d', ':lease')} for update`);

/** Whether `plan`'s claim still holds; if so the delivery stays locked until the transaction ends. */
export async function lockClaim(tx: EntityManager, plan: AttemptPlan): Promise<boolean> {
  return (await runNamed(tx, LOCK_CLAIM, { deliveryId: plan.deliveryId, lease: plan.lease })).length > 0;
}
