import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config.ts';
import { newId } from '../../db/ids.ts';
import { preparedStatement, runPrepared } from '../../db/prepared-statement.ts';
import { disableConnection, recordConnectionFailure, recordConnectionSuccess } from '../connections/connection-health.ts';
import { emitOperationalEvent } from '../events/operational-events.ts';
import { encodeId } from '../public-ids.ts';
import type { AttemptErrorClass } from './attempt.entity.ts';
import type { DeliveryStatus } from './delivery.entity.ts';
import { notificationArgs } from './delivery-notifications.ts';
import { recordSuccess } from './record-successes.ts';
import type { AttemptPlan } from './load-attempt.ts';
import { DEFAULT_RETRY_SCHEDULE_SECONDS, nextAttempt } from './retry-schedule.ts';

/** What one try produced, from the HTTP layer or from evaluating the rule's transform. */
export interface AttemptResult {
  ok: boolean;
  url: string;
  startedAt: Date;
  durationMs: number;
  statusCode?: number;
  responseExcerpt?: string;
  retryAfterSeconds?: number;
  errorClass?: AttemptErrorClass;
  error?: string;
}

export type AttemptOutcome =
  | { kind: 'succeeded' }
  | { kind: 'retrying'; retryAt: Date }
  | { kind: 'dead' }
  | { kind: 'parked' };

/**
 * Records an attempt and moves the delivery on, atomically: the attempt row, the delivery's new
 * state (with the time of its next attempt, which its connection's pump looks for), the
 * connection's health, operational events and the notification to subscribers all commit
 * together or not at all. A success on a healthy connection touches nothing else and shares one
 * statement with the successes that finish with it; anything else takes a transaction.
 */
export async function recordAttempt(em: EntityManager, config: Config, plan: AttemptPlan, result: AttemptResult): Promise<AttemptOutcome> {
  const attempt = plan.chainAttempts + 1;
  if (result.ok && plan.connection.consecutiveFailures === 0) {
    await recordSuccess(em, plan, result, attempt);
    return { kind: 'succeeded' };
  }
  return em.transactional(async (tx) => {
    const next = await nextState(tx, config, plan, result, attempt);
    await writeAttempt(tx, plan, result, attempt, next);
    return next;
  });
}

const WRITE_ATTEMPT = preparedStatement('switchyard_write_attempt', `with inserted as (
       insert into attempts (id, workspace_id, delivery_id, attempt, chain, status, status_code, duration_ms, request_url,
                             response_excerpt, error_class, error, started_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       returning id),
     moved as (
       update deliveries set status = ?, next_attempt_at = ?, parked_at = case when ? then now() else null end,
         attempt_count = attempt_count + 1, chain_attempts = ?, last_attempt_at = ?, last_status_code = ?,
         last_error = ?, claimed_until = null, updated_at = now()
       where id = ?
       returning id)
     select pg_notify(?, ?) from inserted, moved`);

/** The attempt row, the delivery's new state and the notification: one statement. */
async function writeAttempt(em: EntityManager, plan: AttemptPlan, result: AttemptResult, attempt: number, outcome: AttemptOutcome): Promise<void> {
  const attemptId = newId();
  const [status, nextAttemptAt, parked]: [DeliveryStatus, Date | null, boolean] =
    outcome.kind === 'succeeded' ? ['SUCCEEDED', null, false]
    : outcome.kind === 'dead' ? ['DEAD', null, false]
    : outcome.kind === 'retrying' ? ['RETRYING', outcome.retryAt, false]
    : ['RETRYING', null, true];
  const notification = notificationArgs({ workspaceId: plan.workspaceId, deliveryId: plan.deliveryId, status, attemptId });
  await runPrepared(em, WRITE_ATTEMPT, [
    attemptId, plan.workspaceId, plan.deliveryId, attempt, plan.chain, result.ok ? 'SUCCEEDED' : 'FAILED',
    result.statusCode ?? null, Math.round(result.durationMs), result.url, result.responseExcerpt ?? null,
    result.errorClass ?? null, result.error ?? null, result.startedAt,
    status, nextAttemptAt, parked, attempt, result.startedAt, result.statusCode ?? null,
    result.ok ? null : describeFailure(result), plan.deliveryId,
    ...notification,
  ]);
}

async function nextState(tx: EntityManager, config: Config, plan: AttemptPlan, result: AttemptResult, attempt: number): Promise<AttemptOutcome> {
  const { connection, workspaceId } = plan;
  if (result.ok) {
    if (connection.consecutiveFailures > 0) await recordConnectionSuccess(tx, connection.id);
    return { kind: 'succeeded' };
  }
  const reason = describeFailure(result);
  if (result.errorClass === 'EXPRESSION') {
    // The rule's transform failed on this event: the receiver is not at fault and retrying the
    // same event cannot help. Dead-letter it; replay once the rule is fixed.
    await emitExhausted(tx, config, plan, result, attempt);
    return { kind: 'dead' };
  }
  if (result.statusCode === 410) {
    // 410 Gone: the receiver says the endpoint is gone for good. Park rather than burn retries.
    await disableConnection(tx, config, workspaceId, connection.id, `the receiver answered 410 Gone at ${result.url}`);
    return { kind: 'parked' };
  }
  if (await recordConnectionFailure(tx, config, workspaceId, connection.id, reason)) return { kind: 'parked' };

  const schedule = connection.retryScheduleSeconds ?? DEFAULT_RETRY_SCHEDULE_SECONDS;
  const retryAfter = result.retryAfterSeconds === undefined ? undefined : Math.min(result.retryAfterSeconds, config.maxRetryAfterSeconds);
  const { delaySeconds } = nextAttempt(schedule, attempt, retryAfter);
  if (delaySeconds !== null) return { kind: 'retrying', retryAt: new Date(Date.now() + delaySeconds * 1000) };
  await emitExhausted(tx, config, plan, result, attempt);
  return { kind: 'dead' };
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

/** One line for people: the error, or the status code the receiver answered. */
export function describeFailure(result: AttemptResult): string {
  if (result.error) return result.error;
  return `the receiver answered HTTP ${result.statusCode ?? '?'}`;
}
