import type { EntityManager } from '@mikro-orm/postgresql';

export interface RateTokens {
  /** Tokens taken, up to the number wanted. */
  granted: number;
  /** Seconds until the next token, when none was granted. */
  waitSeconds: number;
}

/**
 * Token bucket shared by every worker process, kept on the connection row: refills at
 * `rateLimitPerSecond` and holds at most one second's worth. Takes up to `wanted` tokens.
 */
export async function takeRateTokens(em: EntityManager, connectionId: string, wanted: number): Promise<RateTokens> {
  const [bucket] = await em.execute<{ available: number; rate: number; granted: number }[]>(
    `with bucket as (
       select id, rate_limit_per_second as rate,
              least(greatest(rate_limit_per_second, 1),
                    coalesce(rate_tokens, greatest(rate_limit_per_second, 1))
                    + extract(epoch from clock_timestamp() - coalesce(rate_refilled_at, clock_timestamp())) * rate_limit_per_second
              ) as available
       from connections where id = ? for update),
     offered as (select id, available, least(floor(available), ?)::int as granted from bucket),
     taken as (
       update connections c set rate_tokens = g.available - g.granted, rate_refilled_at = clock_timestamp()
       from offered g where c.id = g.id and g.granted >= 1 returning c.id)
     select b.available, b.rate, case when exists (select 1 from taken) then g.granted else 0 end as granted
     from bucket b join offered g on g.id = b.id`,
    [connectionId, wanted],
  );
  if (!bucket || bucket.rate === null) return { granted: wanted, waitSeconds: 0 };
  const granted = Number(bucket.granted);
  return { granted, waitSeconds: granted > 0 ? 0 : (1 - Number(bucket.available)) / Number(bucket.rate) };
}
