/**
 * The tokens in a connection's bucket now, as SQL over a row of `connections` aliased `alias`.
 * The bucket is shared by every worker process and kept on the connection row: it refills at
 * `rateLimitPerSecond` and holds at most one second's worth (and at least one token). A bucket
 * never refilled is full, to the token: it counts no time as passed rather than reading the clock
 * twice, which came out a microsecond short now and then, a whole token once rounded down. A
 * clock set back takes no tokens away.
 */
export const availableTokens = (alias: string) => `least(greatest(${alias}.rate_limit_per_second, 1),
  coalesce(${alias}.rate_tokens, greatest(${alias}.rate_limit_per_second, 1))
  + greatest(0, coalesce(extract(epoch from clock_timestamp() - ${alias}.rate_refilled_at), 0)) * ${alias}.rate_limit_per_second)`;
