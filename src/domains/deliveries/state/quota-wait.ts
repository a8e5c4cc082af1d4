/**
 * The SQL of a connection's wait for its vendor's quota, shared by the statements that start it,
 * respect it and end it, so that "waits" and "probes" mean the same thing everywhere. `c` is the
 * alias of a `connections` row, or of a claim's CTE with the columns of `quotaWaitColumns`.
 *
 * A quota answer (HubSpot's 429s, Salesforce's `REQUEST_LIMIT_EXCEEDED`) sets `throttled_until`
 * and `throttle_reason` (see throttle-connection.ts). Until `throttled_until` no claim takes
 * anything of the connection. After it, the connection probes: one call at a time goes, since
 * no answer says the quota is back for sure (a daily limit resets at a time nobody knows), and the
 * first success of an attempt started after the wait ends it (write-successes.ts), so the backlog
 * flows again. A resume ends it at once.
 */

/** The columns a claim reads of the connection row: the end of its wait, whether it waits now, and whether it probes. */
export const quotaWaitColumns = (c: string) =>
  `${c}.throttled_until, coalesce(${c}.throttled_until > now(), false) as throttled, ${c}.throttle_reason is not null as probing`;

/**
 * The most calls a claim may start beside `inFlight` attempts of the connection: none while it
 * waits, one with nothing in flight while it probes, null (no bound of its own) otherwise.
 */
export const quotaWaitRoom = (c: string, inFlight: string) =>
  `case when ${c}.throttled then 0 when ${c}.probing then case when ${inFlight} > 0 then 0 else 1 end end`;

/** When the pump should look again: `next`, but not before the wait is over. */
export const afterQuotaWait = (c: string, next: string) => `case when ${c}.throttled then greatest(${next}, ${c}.throttled_until) else ${next} end`;

/**
 * The part of a SET list of `connections` (aliased `c`) that ends the wait on a success of an
 * attempt started at `startedAt` (an SQL expression): only one started once the wait was over,
 * since an attempt in flight when the quota ran out may still succeed and says nothing of it.
 */
export const endQuotaWaitOnSuccess = (c: string, startedAt: string) => {
  const over = `${startedAt} >= ${c}.throttled_until`;
  return `throttled_until = case when ${over} then null else ${c}.throttled_until end,
    throttle_reason = case when ${over} then null else ${c}.throttle_reason end`;
};

/** Whether the connection row `c` waits for its quota or probes it, so a success has a wait to end. */
export const hasQuotaWait = (c: string) => `${c}.throttle_reason is not null`;
