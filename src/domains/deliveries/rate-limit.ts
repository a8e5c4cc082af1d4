import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * The tokens in a connection's bucket now, as SQL over a row of `connections` aliased `alias`.
 * The bucket is shared by every worker process and kept on the connection row: it refills at
 * `rateLimitPerSecond` and holds at most one second's worth (and at least one token).
 */
export const availableTokens = (alias: string) => `least(greatest(${alias}.rate_limit_per_second, 1),
  coalesce(${alias}.rate_tokens, greatest(${alias}.rate_limit_per_second, 1))
  + extract(epoch from clock_timestamp() - coalesce(${alias}.rate_refilled_at, clock_timestamp())) * ${alias}.rate_limit_per_second)`;

/** Takes one token from the connection's bucket: 0 when taken, else the seconds until there is one. */
export async function takeRateToken(em: EntityManager, connectionId: string): Promise<number> {
  const [bucket] = await em.execute<{ available: number; rate: number; granted: boolean }[]>(
    `with bucket as (
       select id, rate_limit_per_second as rate, ${availableTokens('connections')} as available
       from connections where id = ? for update),
     taken as (
       update connections c set rate_tokens = b.available - 1, rate_refilled_at = clock_timestamp()
       from bucket b where c.id = b.id and b.available >= 1 returning c.id)
     select b.available, b.rate, exists (select 1 from taken) as granted from bucket b`,
    [connectionId],
  );
  if (!bucket || bucket.rate === null || bucket.granted) return 0;
  return (1 - Number(bucket.available)) / Number(bucket.rate);
}
