/**
 * The default delay before each attempt, in seconds: the first counts from the emit, each later
 * one from the previous failure. Its length is the number of attempts.
 */
export const DEFAULT_RETRY_SCHEDULE_SECONDS: readonly number[] = [0, 5, 300, 1800, 7200, 18000, 36000, 36000];

/** The schedule the engine follows for a connection's own `retryScheduleSeconds`: it, or the default. */
export function effectiveRetrySchedule(own: readonly number[] | null | undefined): readonly number[] {
  return own?.length ? own : DEFAULT_RETRY_SCHEDULE_SECONDS;
}

/** Delays are spread by +/-20 % so a receiver's outage does not end in a thundering herd. */
const JITTER = 0.2;

export function jittered(seconds: number, random: () => number = Math.random): number {
  return seconds * (1 - JITTER + 2 * JITTER * random());
}

export interface NextAttempt {
  /** Delay before the next attempt, or null when the schedule is used up (the delivery dies). */
  delaySeconds: number | null;
}

/**
 * When to try again after failed attempt number `attempt` (1-based) of a chain. A receiver's
 * `Retry-After` (already capped) wins when it asks for more time than the schedule.
 */
export function nextAttempt(
  schedule: readonly number[],
  attempt: number,
  retryAfterSeconds?: number,
  random?: () => number,
): NextAttempt {
  const scheduled = schedule[attempt];
  if (scheduled === undefined) return { delaySeconds: null };
  const delay = jittered(scheduled, random);
  return { delaySeconds: Math.max(delay, retryAfterSeconds ?? 0) };
}
