import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../../config.ts';
import { disableConnection, recordConnectionFailure, requireReauth } from '../../connections/connection-health.ts';
import { emitOperationalEvent } from '../../events/operational-events.ts';
import { encodeId } from '../../public-ids.ts';
import type { AttemptPlan } from '../state/attempt-plan.ts';
import { describeFailure, type AttemptResult } from '../state/attempt-result.ts';
import { lockClaim } from '../state/lock-claim.ts';
import { writeAttempt, type AttemptEnd } from '../state/write-attempt.ts';
import { writeSuccess } from '../state/write-successes.ts';
import { effectiveRetrySchedule, nextAttempt } from './retry-schedule.ts';
import { waitForQuota } from './wait-for-quota.ts';
import { observeAttempt } from '../../../observability/attempts.ts';

/**
 * Records an attempt and moves the delivery on, atomically: the attempt row, the delivery's new
 * state (with the time of its next attempt, which its connection's pump looks for), the
 * connection's health, operational events and the notification to subscribers all commit
 * together or not at all. A success shares one statement with the successes that finish with it
 * (which also ends its connection's failure streak); a failure takes a transaction.
 *
 * Only the holder of the claim moves the delivery: a writer whose lease ran out and whose
 * delivery was taken over (recovered, then attempted again, or replayed) adds its attempt to the
 * history and changes nothing else, neither the delivery nor its connection's health.
 */
export async function recordAttempt(em: EntityManager, config: Config, plan: AttemptPlan, result: AttemptResult): Promise<AttemptEnd> {
  const attempt = plan.chainAttempts + 1;
  const end = await writeOutcome(em, config, plan, result, attempt);
  // Once committed: the metrics and the log count what is recorded, not what was tried.
  observeAttempt({
    workspaceId: plan.workspaceId,
    workspace: encodeId('Workspace', plan.workspaceId),
    delivery: encodeId('Delivery', plan.deliveryId),
    connection: encodeId('Connection', plan.connection.id),
    destinationKind: plan.connection.kind,
    attempt,
    ok: result.ok,
    statusCode: result.statusCode,
    errorClass: result.errorClass,
    error: result.error,
    durationMs: result.durationMs,
    emittedAt: plan.event.createdAt,
    outcome: OUTCOME_LABELS[end.event],
  });
  return end;
}

async function writeOutcome(em: EntityManager, config: Config, plan: AttemptPlan, result: AttemptResult, attempt: number): Promise<AttemptEnd> {
  if (result.ok) {
    await writeSuccess(em, plan, result, attempt);
    return { event: 'succeed' };
  }
  return em.transactional(async (tx) => {
    const end = (await lockClaim(tx, plan)) ? await failureEnd(tx, config, plan, result, attempt) : { event: 'late' as const };
    await writeAttempt(tx, plan, result, attempt, end);
    return end;
  });
}

/** What an attempt left its delivery, as `switchyard_deliveries_total` labels it. */
const OUTCOME_LABELS: Record<AttemptEnd['event'], string> = {
  succeed: 'succeeded',
  retry: 'retrying',
  parkOnFailure: 'parked',
  die: 'dead',
  throttle: 'throttled',
  late: 'late',
};

/**
 * How a failed attempt ends its claim. A spent vendor quota makes the connection wait, and
 * counts neither against the delivery's attempts nor against the connection's health. Then what
 * the answer says about the connection:
 * refused credentials hold the connection (`NEEDS_REAUTH`) and the delivery waits with it; a
 * destination that is gone disables it. A rejection (the vendor refused this input for good, the
 * transform failed, its result did not fit) is dead at once, without pointless retries, and does
 * not count against the connection's health; anything else is retried on its schedule, counting.
 */
async function failureEnd(tx: EntityManager, config: Config, plan: AttemptPlan, result: AttemptResult, attempt: number): Promise<AttemptEnd> {
  const { connection, workspaceId } = plan;
  const reason = describeFailure(result);
  if (result.failure === 'throttle' && result.quota) {
    await waitForQuota(tx, config, workspaceId, connection.id, result.quota);
    return { event: 'throttle' };
  }
  if (result.connection?.kind === 'needs-reauth') {
    await requireReauth(tx, config, workspaceId, connection.id, result.connection.reason);
    return { event: 'parkOnFailure' };
  }
  if (result.connection?.kind === 'disable') await disableConnection(tx, config, workspaceId, connection.id, result.connection.reason);
  if (result.failure === 'rejected') {
    await emitExhausted(tx, config, plan, result, attempt);
    return { event: 'die' };
  }
  if (result.connection || result.failure === 'wait') return { event: 'parkOnFailure' };
  if (await recordConnectionFailure(tx, config, workspaceId, connection.id, reason)) return { event: 'parkOnFailure' };

  const schedule = effectiveRetrySchedule(connection.retryScheduleSeconds);
  const retryAfter = result.retryAfterSeconds === undefined ? undefined : Math.min(result.retryAfterSeconds, config.maxRetryAfterSeconds);
  const { delaySeconds } = nextAttempt(schedule, attempt, retryAfter);
  if (delaySeconds !== null) return { event: 'retry', at: new Date(Date.now() + delaySeconds * 1000) };
  await emitExhausted(tx, config, plan, result, attempt);
  return { event: 'die' };
}

async function emitExhausted(tx: EntityManager, config: Config, plan: AttemptPlan, result: AttemptResult, attempt: number) {
  await emitOperationalEvent(tx, config, plan.workspaceId, 'switchyard.delivery.exhausted', { connectionId: plan.connection.id }, {
    deliveryId: encodeId('Delivery', plan.deliveryId),
    eventId: encodeId('Event', plan.event.id),
    eventType: plan.event.type,
    connectionId: encodeId('Connection', plan.connection.id),
    connectionName: plan.connection.name,
    attempts: attempt,
    lastStatusCode: result.statusCode ?? null,
    lastError: describeFailure(result),
    // So an alert rule can leave test sends out: `condition: "not payload.test"`.
    test: plan.event.test,
  });
}
