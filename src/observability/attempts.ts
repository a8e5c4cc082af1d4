import { logger } from './logger.ts';

const log = logger.child({ component: 'worker' });

/** One finished attempt, as the delivery path reports it (public ids). */
export interface ObservedAttempt {
  workspace: string;
  delivery: string;
  connection: string;
  /** The attempt's number within its chain, from 1. */
  attempt: number;
  ok: boolean;
  statusCode?: number;
  errorClass?: string;
  /** One line for people; never the response body. */
  error?: string;
  durationMs: number;
  /** What became of the delivery: succeeded, retrying, dead or parked. */
  outcome: string;
}

/** Reports a finished attempt: one info line when it failed (never the payload or the body). */
export function observeAttempt(attempt: ObservedAttempt): void {
  if (attempt.ok) {
    if (log.isLevelEnabled('debug')) log.debug(attempt, 'attempt succeeded');
    return;
  }
  log.info(attempt, 'attempt failed');
}
