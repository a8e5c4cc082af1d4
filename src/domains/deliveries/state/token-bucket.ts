/**
 * The tokens in a connection's bucket now, as SQL over a row of `connections` aliased `alias`.
 * The bucket is shared by every worker process and kept on the connection row: it refills at
 * `rateLimitPerSecond` and holds at most one second's worth (and at least one token).
 */
export const availableTokens = (alias: string) => `least(greatest(${alias}.rate_limit_per_second, 1),
  coalesce(${alias}.rate_tokens, greatest(${alias}.rate_limit_per_second, 1))
  + extract(epoch from clock_timestamp() - coalesce(${alias}.rate_refilled_at, clock_timestamp())) * ${alias}.rate_limit_per_second)`;
