import { logger } from './logger.ts';
import { attemptDuration, deliveries, deliveryAttempts, deliveryLatency, workspaceLabel } from './metrics.ts';

const log = logger.child({ component: 'worker' });

/** One finished attempt, as the delivery path reports it. */
export interface ObservedAttempt {
  /** Storage id, for the `workspace` label where configured. */
  workspaceId: string;
  /** Public ids, for the log line. */
  workspace: string;
  delivery: string;
  connection: string;
  destinationKind: string;
  /** The attempt's number within its chain, from 1. */
  attempt: number;
  ok: boolean;
  statusCode?: number;
  errorClass?: string;
  /** One line for people; never the response body. */
  error?: string;
  durationMs: number;
  /** When the event was accepted, for the emit -> delivered latency. */
  emittedAt: Date;
  /** What became of the delivery: succeeded, retrying, dead or parked. */
  outcome: string;
}

/**
 * Reports a finished attempt: its metrics, and one info line when it failed (never the payload
 * or the body).
 */
export function observeAttempt(attempt: ObservedAttempt): void {
  const kind = attempt.destinationKind;
  const outcome = attempt.ok ? 'succeeded' : 'failed';
  deliveryAttempts.inc({ destination_kind: kind, outcome, error_class: attempt.errorClass ?? 'none' });
  attemptDuration.observe({ destination_kind: kind, outcome }, attempt.durationMs / 1000);
  deliveries.inc({ destination_kind: kind, outcome: attempt.outcome, workspace: workspaceLabel(attempt.workspaceId) });
  if (attempt.ok) deliveryLatency.observe({ destination_kind: kind }, Math.max(0, Date.now() - attempt.emittedAt.getTime()) / 1000);

  const { workspaceId: _storageId, emittedAt: _emittedAt, ...line } = attempt;
  if (attempt.ok) {
    if (log.isLevelEnabled('debug')) log.debug(line, 'attempt succeeded');
    return;
  }
  log.info(line, 'attempt failed');
}
