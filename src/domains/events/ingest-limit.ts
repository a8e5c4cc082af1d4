/**
 * The per-workspace ingest limit (`SWITCHYARD_INGEST_RATE_LIMIT_PER_SECOND`), so that one tenant
 * emitting flat out cannot starve the others of an API process's time. A token bucket per
 * workspace, in this API process: it holds a second's worth of events, refills continuously, and
 * lets a batch larger than what it holds through when it is full, running into debt that later
 * emits wait out, so the rate over time stays at the limit whatever the batch size. Kept in
 * memory on purpose: a shared counter in Postgres would make every emit of a busy workspace
 * write the same row.
 */

/** Workspaces whose buckets are kept; the least recently used is forgotten first. */
const MAX_BUCKETS = 10_000;

interface Bucket {
  tokens: number;
  refilledAt: number;
}

const buckets = new Map<string, Bucket>();

/**
 * Takes `count` events from `workspaceId`'s bucket at `ratePerSecond`. Returns 0 when they may
 * be accepted, or the seconds to wait before trying again (nothing is taken then).
 */
export function takeIngestTokens(workspaceId: string, count: number, ratePerSecond: number, now = performance.now()): number {
  let bucket = buckets.get(workspaceId);
  if (bucket) {
    buckets.delete(workspaceId);
    bucket.tokens = Math.min(ratePerSecond, bucket.tokens + ((now - bucket.refilledAt) / 1000) * ratePerSecond);
    bucket.refilledAt = now;
  } else {
    bucket = { tokens: ratePerSecond, refilledAt: now };
    if (buckets.size >= MAX_BUCKETS) buckets.delete(buckets.keys().next().value!);
  }
  buckets.set(workspaceId, bucket);
  const needed = Math.min(count, ratePerSecond);
  if (bucket.tokens < needed) return (needed - bucket.tokens) / ratePerSecond;
  bucket.tokens -= count;
  return 0;
}
