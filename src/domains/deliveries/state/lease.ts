/**
 * The SQL of a claim's lease, shared by every statement that takes, holds or ends one, so that
 * "in flight", "abandoned" and "still held" mean the same thing everywhere. `d` is the alias of
 * a `deliveries` row.
 */

/** The delivery may be claimed now: due, or abandoned by a worker whose lease ran out; not parked. */
export const claimableNow = (d: string) => `(${d}.parked_at is null and (${d}.status = 'PENDING'
  or (${d}.status = 'RETRYING' and ${d}.next_attempt_at <= now())
  or (${d}.status = 'DELIVERING' and ${d}.claimed_until < now())))`;

/** An attempt is in flight: claimed, and its lease has not run out. */
export const inFlight = (d: string) => `(${d}.status = 'DELIVERING' and ${d}.claimed_until >= now())`;

/**
 * The SET list of a claim: the token `token` (an SQL expression, fresh for each call: the
 * deliveries sent in one call share it, so calls in flight are its distinct values), and an end
 * of the connection's timeout plus the margin (the SQL expression `margin`), so a crashed
 * worker's delivery is taken over afterwards while a slow request still running is never sent
 * twice at once.
 */
export const takeLease = (d: string, token: string, margin: string) => `status = 'DELIVERING', lease = ${token}, updated_at = now(),
  claimed_until = now() + make_interval(secs => (select timeout_seconds from connections where id = ${d}.connection_id) + ${margin})`;

/** The claim whose token is the SQL expression `token` still holds the delivery. */
export const holdsLease = (d: string, token: string) => `(${d}.status = 'DELIVERING' and ${d}.lease = ${token})`;

/** The part of a SET list that ends the lease, whatever the next state. */
export const END_LEASE = 'claimed_until = null, lease = null';
