import { namedStatement, runNamed, type Db } from '../../../db/prepared-statement.ts';
import type { ConnectionStatus } from '../../connections/connection.entity.ts';
import { planSelect, toPlan, type AttemptPlan, type PlanRow } from './attempt-plan.ts';
import { statusIn, UNFINISHED } from './delivery-states.ts';
import { claimableNow, inFlight, takeLease } from './lease.ts';
import { availableTokens } from './token-bucket.ts';
import { afterQuotaWait, quotaWaitColumns, quotaWaitRoom } from './quota-wait.ts';

/**
 * Failures in a row after which a connection's new deliveries wait while one of its retries is
 * scheduled: the retries probe the receiver, and the first success lets the backlog flow again.
 * A single failure among many successes holds nothing back.
 */
const PROBE_AFTER_FAILURES = 3;

export interface DueClaim {
  /** The connection as the claim found it; null once it is gone. */
  connection: {
    status: ConnectionStatus;
    /** Whether it delivers one at a time, in event order. */
    ordered: boolean;
    /** Its cap on calls in flight, the default applied; 1 when ordered. */
    maxConcurrency: number;
    /** Deliveries one call takes: the caller's `itemsPerCall`, or 1 when ordered. */
    itemsPerCall: number;
    /** Seconds until its rate limit has a token again, when it has none now. */
    rateLimitWaitSeconds: number | null;
    /** Calls the claim let the caller hold beyond the cap (see `claimAhead`): `maxConcurrency` or 0. */
    ahead: number;
  } | null;
  /**
   * The deliveries claimed, each leased for one attempt, with what the attempt needs. Those to go
   * in one call share their lease's token, in order.
   */
  plans: AttemptPlan[];
  /** When the pump should look again, as the claim saw it; null when nothing waits. */
  next: NextLook | null;
}

/** When the connection's pump should look again, and whether new deliveries wait until then. */
export interface NextLook {
  at: Date;
  /**
   * True when new deliveries could not go before then anyway: the connection fails and waits
   * for the retry that probes it, waits for its vendor's quota, or is ordered and waits for its
   * oldest delivery.
   */
  holdsNewDeliveries: boolean;
}

interface ClaimParams {
  connectionId: string;
  limit: number;
  itemsPerCall: number;
  recording: string[];
  own: string[];
  claimAhead: boolean;
  defaultMaxConcurrency: number;
  probeAfterFailures: number;
  leaseMarginSeconds: number;
}

/**
 * One statement for both kinds of connection, so that a connection switched between them is
 * claimed by the same rules whichever pump run sees the switch first. The connection row is
 * locked without blocking emits' key checks, and an update of its settings waits for (or is
 * waited for by) the claim: a claim sees the connection either before or after a switch.
 *
 * The cap and the rate limit count calls: for a kind that sends many deliveries in one call
 * (`:itemsPerCall` above 1), a claim takes up to that many per call it may start, and the token
 * bucket pays one token a call. The deliveries of one call share their lease's token, so the calls
 * in flight are counted from the leases themselves (a lease that ran out is abandoned, not in
 * flight): attempts started before a switch, or by a run that ended uncleanly, count; only the
 * caller's `:recording` (answered, their outcome being written) leave the cap's count, since their
 * requests are over. An ordered connection waits for those too: their outcome decides what goes
 * next.
 *
 * A caller that `:claimAhead`s may lease up to the cap's worth of calls more than it has room
 * for, to hold and start the moment a slot frees (the pump keeps its own requests in flight to
 * the cap): the cap then bounds leases at twice itself. Only where nothing else could have a
 * request in flight, and nothing asks for calls one at a time: an unordered connection of single
 * deliveries, with no rate limit (tokens are paid at the claim, so held calls would go in bursts),
 * not failing, not waiting for or probing its vendor's quota, and with no lease but the caller's
 * (`:own`, its calls in flight and held, and `:recording`): a lease of an earlier run, or of a
 * worker that died, may be a request in flight, so with one the cap counts every lease as today.
 * The claim says how much it let the caller hold (`ahead`).
 * - Unordered: abandoned claims first, then due retries, oldest due first, then new deliveries,
 *   oldest first, in as many calls as the cap leaves room for beside what is in flight and the
 *   token bucket allows. A delivery a batch call handed back (`unbatched`) takes a call of its
 *   own, before the others: it has waited once already.
 * - Ordered: the oldest unfinished delivery by event sequence, and only while nothing of the
 *   connection is in flight; a retry it waits for holds every later one back.
 * - Either way, nothing while the connection waits for its vendor's quota, and one call at a
 *   time while it probes it afterwards (quota-wait.ts); the pump looks again when the wait is over.
 */
const CLAIM_DUE = namedStatement<ClaimParams>('switchyard_claim_due', `with c as (
       select id, status, ordered, coalesce(max_concurrency, :defaultMaxConcurrency) as cap, rate_limit_per_second as rate,
              case when ordered then 1 else greatest(1, :itemsPerCall::int) end as per_call,
              ${availableTokens('connections')} as available, consecutive_failures >= :probeAfterFailures as failing,
              ${quotaWaitColumns('connections')}
       from connections where id = :connectionId for no key update),
     bucket as (select rate, available from c where rate is not null),
     leased as (
       select count(*)::int as n, count(distinct d.lease) filter (where d.id <> all(:recording::uuid[]))::int as calls,
              count(distinct d.lease) filter (where d.id <> all(:recording::uuid[]) and d.lease <> all(:own::uuid[]))::int as others,
              min(d.claimed_until) as until
       from deliveries d
       where d.connection_id = :connectionId and ${inFlight('d')}),
     ahead as (
       select case when :claimAhead and c.status = 'ACTIVE' and not c.ordered and c.per_call = 1 and c.rate is null and not c.failing
                        and not c.throttled and not c.probing and l.others = 0 then c.cap else 0 end as n
       from c cross join leased l),
     allowed as (
       select least(case when c.status <> 'ACTIVE' then 0
                   when c.ordered then case when l.n > 0 then 0 else least(1, coalesce(floor(b.available)::int, 1)) end
                   else greatest(0, least(c.cap + ahead.n - l.calls, coalesce(floor(b.available)::int, c.cap + ahead.n))) end,
                   ${quotaWaitRoom('c', 'l.n')}) as n
       from c cross join leased l cross join ahead left join bucket b on true),
     -- The ordered head is read without a lock (skipping a locked head would skip ahead of it);
     -- the update below re-checks it after waiting for whoever holds it.
     head as (
       select d.id, d.unbatched, d.status, d.next_attempt_at, d.claimed_until, ${claimableNow('d')} as due
       from deliveries d join events e on e.id = d.event_id
       where (select ordered from c) and d.connection_id = :connectionId
         and ${statusIn(UNFINISHED, 'd')} and d.parked_at is null
       order by e.sequence, d.id limit 1),
     -- Each unordered branch takes at most a limit known when the statement is planned, so the
     -- planner walks the index in order and stops; with the allowed count as the limit it could
     -- not know how far it had to read, and a backlog of ten thousand made each claim read it all.
     abandoned as (
       select d.id, d.unbatched from deliveries d
       where not (select ordered from c) and d.connection_id = :connectionId and d.status = 'DELIVERING'
         and d.claimed_until < now() and d.parked_at is null
       limit :limit for update of d skip locked),
     retries as (
       select d.id, d.unbatched from deliveries d
       where not (select ordered from c) and d.connection_id = :connectionId and d.status = 'RETRYING'
         and d.parked_at is null and d.next_attempt_at <= now()
       order by d.next_attempt_at limit :limit for update of d skip locked),
     fresh as (
       select d.id, d.unbatched from deliveries d
       where not (select ordered from c) and d.connection_id = :connectionId and d.status = 'PENDING' and d.parked_at is null
         and (not (select failing from c) or not exists (
           select 1 from deliveries r where r.connection_id = :connectionId and r.status = 'RETRYING' and r.parked_at is null))
       order by d.created_at limit :limit for update of d skip locked),
     due as (
       select id, unbatched, row_number() over () as position from (
         select id, unbatched from head where due
         union all select id, unbatched from abandoned union all select id, unbatched from retries union all select id, unbatched from fresh
         limit (select a.n * c.per_call from allowed a cross join c)) u),
     -- Calls numbered from 0: each delivery a batch call handed back alone, then the others
     -- per_call at a time; those past the calls allowed wait for the next claim.
     calls as (
       select id, case when unbatched then row_number() over w - 1
                       else (select count(*) from due where unbatched) + (row_number() over w - 1) / (select per_call from c) end as call
       from due window w as (partition by unbatched order by position)),
     -- A token for each call formed, not for each call allowed: a pump that may hold twice its cap
     -- mostly finds one delivery, and making 32 tokens for it was a fifth of such a claim.
     tokens as (select call, gen_random_uuid() as token from (select distinct call from calls where call < (select n from allowed)) formed),
     claimed as (
       update deliveries d set ${takeLease('d', 'tokens.token', ':leaseMarginSeconds')}
       from calls join tokens on tokens.call = calls.call
       where d.id = calls.id and ${claimableNow('d')}
       returning d.*),
     taken as (
       update connections set rate_tokens = (select available from bucket) - (select count(distinct lease) from claimed),
         rate_refilled_at = clock_timestamp()
       where id = (select id from c) and exists (select 1 from bucket) and exists (select 1 from claimed))
     select c.status as connection_status, c.ordered as connection_ordered, c.cap as connection_cap, c.per_call as connection_per_call,
            c.failing as connection_failing, c.throttled as connection_throttled, (select n from ahead) as connection_ahead,
            case when (select available from bucket) < 1 then (1 - (select available from bucket)) / c.rate end as rate_wait,
            ${afterQuotaWait('c', `case when not c.ordered then
                   (select min(next_attempt_at) from deliveries
                    where connection_id = c.id and status = 'RETRYING' and parked_at is null)
                 when l.n > 0 then l.until
                 else (select case h.status when 'RETRYING' then h.next_attempt_at when 'DELIVERING' then h.claimed_until end from head h)
            end`)} as next_look_at,
            p.*
     from c cross join leased l left join (${planSelect('claimed')}) p on true`);

type ClaimRow = Partial<PlanRow> & {
  connection_status: ConnectionStatus;
  connection_ordered: boolean;
  connection_cap: number;
  connection_per_call: number;
  connection_failing: boolean;
  connection_throttled: boolean;
  connection_ahead: number;
  rate_wait: number | null;
  next_look_at: Date | null;
};

/**
 * Takes a connection's due deliveries for one attempt each, in one statement: `limit` at most
 * (the room the caller expects beside its calls in flight, times `itemsPerCall`), fewer when the
 * cap, the rate limit or the connection's ordering allow fewer. `itemsPerCall` (Default: 1) is how
 * many deliveries the connection's kind sends in one call. Each is leased for the connection's timeout plus
 * `leaseMarginSeconds`, so a crashed worker's deliveries are taken over afterwards while a slow
 * request still running is never sent twice at once. Claims nothing unless the connection is
 * active and done waiting for its vendor's quota.
 */
export async function claimDue(
  db: Db,
  connectionId: string,
  options: {
    limit: number;
    itemsPerCall?: number;
    recording?: string[];
    /** With `claimAhead`: the leases of the caller's calls in flight (not `recording`) and held. */
    own?: string[];
    claimAhead?: boolean;
    defaultMaxConcurrency: number;
    leaseMarginSeconds: number;
  },
): Promise<DueClaim> {
  const rows = await runNamed<ClaimRow, ClaimParams>(db, CLAIM_DUE, {
    connectionId,
    limit: options.limit,
    itemsPerCall: options.itemsPerCall ?? 1,
    recording: options.recording ?? [],
    own: options.own ?? [],
    claimAhead: options.claimAhead ?? false,
    defaultMaxConcurrency: options.defaultMaxConcurrency,
    probeAfterFailures: PROBE_AFTER_FAILURES,
    leaseMarginSeconds: options.leaseMarginSeconds,
  });
  const [first] = rows;
  if (!first) return { connection: null, plans: [], next: null };
  return {
    connection: {
      status: first.connection_status,
      ordered: first.connection_ordered,
      maxConcurrency: first.connection_ordered ? 1 : first.connection_cap,
      itemsPerCall: first.connection_per_call,
      rateLimitWaitSeconds: first.rate_wait === null ? null : Number(first.rate_wait),
      ahead: first.connection_ahead,
    },
    plans: rows.filter((row) => row.delivery_id).map((row) => toPlan(row as PlanRow)),
    next: first.next_look_at
      ? { at: new Date(first.next_look_at), holdsNewDeliveries: first.connection_ordered || first.connection_failing || first.connection_throttled }
      : null,
  };
}
