import { namedStatement, runNamed, type Db } from '../../../db/prepared-statement.ts';
import type { AttemptPlan } from './attempt-plan.ts';
import { END_LEASE, holdsLease } from './lease.ts';

interface ReleaseParams {
  ids: string[];
  leases: string[];
  alone: boolean[];
}

/**
 * `release`: deliveries claimed and not sent go back to wait, untried, under their claim's token:
 * PENDING before their chain's first attempt, RETRYING after (still due, keeping their place),
 * with no attempt counted: a batching kind's whose key was in a call in flight, or one claimed
 * ahead of the free slots that the pump let go of. A delivery `alone` was handed back by a batch
 * call: from now on its claims send it in a call of its own, or it would be batched, and handed
 * back, forever.
 */
const RELEASE = namedStatement<ReleaseParams>('switchyard_release', `
  update deliveries d set status = (case when d.chain_attempts = 0 then 'PENDING' else 'RETRYING' end)::delivery_status,
    next_attempt_at = case when d.chain_attempts = 0 then null else coalesce(d.next_attempt_at, now()) end,
    unbatched = d.unbatched or r.alone, ${END_LEASE}, updated_at = now()
  from unnest(:ids::uuid[], :leases::uuid[], :alone::boolean[]) as r(id, lease, alone)
  where d.id = r.id and ${holdsLease('d', 'r.lease')}
  returning d.id`);

/** A claimed delivery to give back, and whether it must go alone from now on. */
export interface Release {
  plan: AttemptPlan;
  alone: boolean;
}

/** Gives claimed deliveries back untried, in one statement; returns how many were still held. */
export async function releaseClaims(db: Db, releases: readonly Release[]): Promise<number> {
  if (releases.length === 0) return 0;
  const rows = await runNamed(db, RELEASE, {
    ids: releases.map(({ plan }) => plan.deliveryId),
    leases: releases.map(({ plan }) => plan.lease),
    alone: releases.map(({ alone }) => alone),
  });
  return rows.length;
}
