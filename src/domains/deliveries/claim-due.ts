import type { EntityManager } from '@mikro-orm/postgresql';
import { preparedStatement, runPrepared } from '../../db/prepared-statement.ts';
import type { ConnectionStatus } from '../connections/connection.entity.ts';
import { planSelect, toPlan, type AttemptPlan, type PlanRow } from './load-attempt.ts';
import { availableTokens } from './rate-limit.ts';

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
    /** Its cap on attempts in flight, the default applied. */
    maxConcurrency: number;
    /** Seconds until its rate limit has a token again, when it has none now. */
    rateLimitWaitSeconds: number | null;
  } | null;
  /** The deliveries claimed, each leased for one attempt, with what the attempt needs. */
  plans: AttemptPlan[];
  /** The next retry scheduled, as the claim saw it; new deliveries wait for it when `holdsNewDeliveries`. */
  next: NextLook | null;
}

/** When the connection's pump should look again, and whether new deliveries wait until then. */
export interface NextLook {
  at: Date;
  /** True while the connection fails: new deliveries wait for the retry that probes it. */
  holdsNewDeliveries: boolean;
}

/**
 * Due retries first, oldest due first, then new deliveries, oldest first: as many as the
 * connection's cap leaves room for beside the attempts in flight, and its token bucket allows
 * (see `availableTokens`). The connection row is locked without blocking emits' key checks.
 */
const CLAIM_DUE = preparedStatement('switchyard_claim_due', `with c as (
       select id, status, coalesce(max_concurrency, ?) as cap, rate_limit_per_second as rate,
              ${availableTokens('connections')} as available, consecutive_failures >= ? as failing
       from connections where id = ? for no key update),
     bucket as (select rate, available from c where rate is not null),
     allowed as (
       select case when c.status <> 'ACTIVE' then 0
                   else greatest(0, least(c.cap - ?, coalesce(floor(b.available)::int, c.cap))) end as n
       from c left join bucket b on true),
     -- Each branch takes at most a limit known when the statement is planned, so the planner walks
     -- the index in order and stops; with the allowed count as the limit it could not know how far
     -- it had to read, and a backlog of ten thousand made each claim read it all; due trims to the count.
     retries as (
       select d.id from deliveries d
       where d.connection_id = ? and d.status = 'RETRYING' and d.parked_at is null and d.next_attempt_at <= now()
       order by d.next_attempt_at limit ? for update of d skip locked),
     fresh as (
       select d.id from deliveries d
       where d.connection_id = ? and d.status = 'PENDING' and d.parked_at is null
         and (not (select failing from c) or not exists (
           select 1 from deliveries r where r.connection_id = ? and r.status = 'RETRYING' and r.parked_at is null))
       order by d.created_at limit ? for update of d skip locked),
     due as (select id from retries union all select id from fresh limit (select n from allowed)),
     claimed as (
       update deliveries d set status = 'DELIVERING', updated_at = now(),
         claimed_until = now() + make_interval(secs => (select timeout_seconds from connections where id = d.connection_id) + ?)
       from due where d.id = due.id
       returning d.*),
     taken as (
       update connections set rate_tokens = (select available from bucket) - (select count(*) from claimed),
         rate_refilled_at = clock_timestamp()
       where id = (select id from c) and exists (select 1 from bucket) and exists (select 1 from claimed))
     select c.status as connection_status, c.cap as connection_cap, c.failing as connection_failing,
            case when (select available from bucket) < 1 then (1 - (select available from bucket)) / c.rate end as rate_wait,
            (select min(next_attempt_at) from deliveries
             where connection_id = c.id and status = 'RETRYING' and parked_at is null) as next_retry_at,
            p.*
     from c left join (${planSelect('claimed')}) p on true`);

type ClaimRow = Partial<PlanRow> & {
  connection_status: ConnectionStatus;
  connection_cap: number;
  connection_failing: boolean;
  rate_wait: number | null;
  next_retry_at: Date | null;
};

/**
 * Takes an unordered connection's due deliveries for one attempt each, in one statement, beside
 * the `inFlight` attempts already running, `limit` at most (the cap minus those in flight, as
 * far as the caller knows the cap). Each is leased for the connection's timeout plus
 * `leaseMarginSeconds`, so a crashed worker's deliveries are taken over afterwards while a slow
 * request still running is never sent twice at once. Claims nothing unless the connection is
 * active.
 */
export async function claimDue(
  em: EntityManager,
  connectionId: string,
  options: { inFlight: number; limit: number; defaultMaxConcurrency: number; leaseMarginSeconds: number },
): Promise<DueClaim> {
  const rows = await runPrepared<ClaimRow>(em, CLAIM_DUE, [
    options.defaultMaxConcurrency, PROBE_AFTER_FAILURES, connectionId, options.inFlight,
    connectionId, options.limit, connectionId, connectionId, options.limit, options.leaseMarginSeconds,
  ]);
  const [first] = rows;
  if (!first) return { connection: null, plans: [], next: null };
  return {
    connection: {
      status: first.connection_status,
      maxConcurrency: first.connection_cap,
      rateLimitWaitSeconds: first.rate_wait === null ? null : Number(first.rate_wait),
    },
    plans: rows.filter((row) => row.delivery_id).map((row) => toPlan(row as PlanRow)),
    next: first.next_retry_at ? { at: new Date(first.next_retry_at), holdsNewDeliveries: first.connection_failing } : null,
  };
}

/**
 * Parks the waiting deliveries of a connection that is not active; resumeConnection unparks
 * them. The connection row is share-locked, so a resume committing meanwhile is waited for and
 * seen, and never leaves deliveries parked behind it.
 */
export async function parkWaiting(em: EntityManager, connectionId: string): Promise<void> {
  await em.execute(
    `with inactive as (select id from connections where id = ? and status <> 'ACTIVE' for share)
     update deliveries set parked_at = now(), updated_at = now()
     where connection_id in (select id from inactive) and status in ('PENDING', 'RETRYING') and parked_at is null`,
    [connectionId],
  );
}
