import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config.ts';
import { newId } from '../../db/ids.ts';
import { namedStatement, runNamed } from '../../db/prepared-statement.ts';
import { disableConnection, recordConnectionFailure } from '../connections/connection-health.ts';
import { emitOperationalEvent } from '../events/operational-events.ts';
import { encodeId } from '../public-ids.ts';
import type { AttemptErrorClass } from './attempt.entity.ts';
import type { DeliveryStatus } from './delivery.entity.ts';
import { DELIVERY_CHANNEL } from './delivery-notifications.ts';
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
  /** The request's headers as recorded (credentials masked); absent when no request was made. */
  requestHeaders?: Record<string, string>;
  /** The body a transform produced; absent for the default body, which is rebuilt from the event. */
  requestBody?: string;
}

export type AttemptOutcome =
  | { kind: 'succeeded' }
  | { kind: 'retrying'; retryAt: Date }
  | { kind: 'dead' }
  | { kind: 'parked' }
  /** The claim had been taken over: the attempt joined the history, the delivery stayed as it was. */
  | { kind: 'late' };

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
export async function recordAttempt(em: EntityManager, config: Config, plan: AttemptPlan, result: AttemptResult): Promise<AttemptOutcome> {
  const attempt = plan.chainAttempts + 1;
  if (result.ok) {
    await recordSuccess(em, plan, result, attempt);
    return { kind: 'succeeded' };
  }
  return em.transactional(async (tx) => {
    const next = (await holdsClaim(tx, plan)) ? await nextState(tx, config, plan, result, attempt) : { kind: 'late' as const };
    await writeAttempt(tx, plan, result, attempt, next);
    return next;
  });
}

/** Whether `plan`'s claim still holds, locking the delivery until the transaction ends if so. */
async function holdsClaim(tx: EntityManager, plan: AttemptPlan): Promise<boolean> {
  const rows = await tx.execute(`select 1 from deliveries where id = ? and lease = ? and status = 'DELIVERING' for update`, [plan.deliveryId, plan.lease]);
  return rows.length > 0;
}

interface WriteAttemptParams {
  attemptId: string;
  workspaceId: string;
  deliveryId: string;
  lease: string;
  attempt: number;
  chain: number;
  attemptStatus: 'SUCCEEDED' | 'FAILED';
  statusCode: number | null;
  durationMs: number;
  url: string;
  responseExcerpt: string | null;
  errorClass: string | null;
  error: string | null;
  lastError: string | null;
  startedAt: Date;
  requestHeaders: string | null;
  requestBody: string | null;
  status: DeliveryStatus;
  nextAttemptAt: Date | null;
  parked: boolean;
  channel: string;
}

/**
 * The attempt row, the delivery's new state and the notification, in one statement. The delivery
 * moves only under the claim's lease; the notification carries the state it is left in either way.
 */
const WRITE_ATTEMPT = namedStatement<WriteAttemptParams>('switchyard_write_attempt', `with inserted as (
       insert into attempts (id, workspace_id, delivery_id, attempt, chain, status, status_code, duration_ms, request_url,
                             response_excerpt, error_class, error, started_at, request_headers, request_body)
       values (:attemptId, :workspaceId, :deliveryId, :attempt, :chain, :attemptStatus, :statusCode, :durationMs, :url,
               :responseExcerpt, :errorClass, :error, :startedAt, :requestHeaders::jsonb, :requestBody)
       returning id),
     moved as (
       update deliveries set status = :status, next_attempt_at = :nextAttemptAt,
         parked_at = case when :parked then now() end, attempt_count = attempt_count + 1, chain_attempts = :attempt,
         last_attempt_at = :startedAt, last_status_code = :statusCode, last_error = :lastError, claimed_until = null,
         lease = null, updated_at = now()
       where id = :deliveryId and lease = :lease and status = 'DELIVERING'
       returning status)
     select pg_notify(:channel, json_build_object('workspaceId', d.workspace_id, 'deliveryId', d.id,
              'status', coalesce((select status from moved), d.status), 'attemptId', (select id from inserted))::text)
     from deliveries d where d.id = :deliveryId`);

async function writeAttempt(em: EntityManager, plan: AttemptPlan, result: AttemptResult, attempt: number, outcome: AttemptOutcome): Promise<void> {
  const [status, nextAttemptAt, parked]: [DeliveryStatus, Date | null, boolean] =
    outcome.kind === 'succeeded' ? ['SUCCEEDED', null, false]
    : outcome.kind === 'dead' ? ['DEAD', null, false]
    : outcome.kind === 'retrying' ? ['RETRYING', outcome.retryAt, false]
    : outcome.kind === 'parked' ? ['RETRYING', null, true]
    : ['DELIVERING', null, false];
  await runNamed(em, WRITE_ATTEMPT, {
    attemptId: newId(),
    workspaceId: plan.workspaceId,
    deliveryId: plan.deliveryId,
    lease: plan.lease,
    attempt,
    chain: plan.chain,
    attemptStatus: result.ok ? 'SUCCEEDED' : 'FAILED',
    statusCode: result.statusCode ?? null,
    durationMs: Math.round(result.durationMs),
    url: result.url,
    responseExcerpt: result.responseExcerpt ?? null,
    errorClass: result.errorClass ?? null,
    error: result.error ?? null,
    lastError: result.ok ? null : describeFailure(result),
    startedAt: result.startedAt,
    requestHeaders: result.requestHeaders ? JSON.stringify(result.requestHeaders) : null,
    requestBody: result.requestBody ?? null,
    status,
    nextAttemptAt,
    parked,
    channel: DELIVERY_CHANNEL,
  });
}

/** Where a failed attempt leaves the delivery, counting it against the connection's health. */
async function nextState(tx: EntityManager, config: Config, plan: AttemptPlan, result: AttemptResult, attempt: number): Promise<AttemptOutcome> {
  const { connection, workspaceId } = plan;
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
