import type { EntityManager } from '@mikro-orm/postgresql';
import { newId } from '../../../db/ids.ts';
import { namedStatement, runNamed } from '../../../db/prepared-statement.ts';
import type { DeliveryStatus } from '../delivery.entity.ts';
import { DELIVERY_CHANNEL, listenedTo } from '../delivery-notifications.ts';
import type { AttemptPlan } from './attempt-plan.ts';
import { describeFailure, type AttemptResult } from './attempt-result.ts';
import { END_LEASE, holdsLease } from './lease.ts';

/** How an attempt ends its claim: one of the machine's events, or `late` when the claim was lost. */
export type AttemptEnd =
  | { event: 'succeed' }
  | { event: 'retry'; at: Date }
  | { event: 'parkOnFailure' }
  | { event: 'die' }
  /** The vendor's quota is spent: due again once its connection's wait is over, the attempt not counted. */
  | { event: 'throttle' }
  /** The claim had been taken over: the attempt joins the history, the delivery stays as it is. */
  | { event: 'late' };

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
  method: string;
  url: string;
  responseExcerpt: string | null;
  errorClass: string | null;
  vendorCode: string | null;
  error: string | null;
  lastError: string | null;
  startedAt: Date;
  requestHeaders: string | null;
  requestBody: string | null;
  status: DeliveryStatus;
  nextAttemptAt: Date | null;
  parked: boolean;
  counted: boolean;
  channel: string;
}

/**
 * `succeed`, `retry`, `parkOnFailure`, `die`, `throttle`: the attempt row, the delivery's next
 * state and the notification, in one statement. A throttled attempt joins the history but is not
 * counted: the next one has its number again, and the schedule is where it was. The delivery moves only under the claim's token, so a writer
 * whose claim was taken over adds its attempt and nothing else; the notification, sent only
 * while someone streams the workspace's changes, carries the state the delivery is left in.
 */
const WRITE_ATTEMPT = namedStatement<WriteAttemptParams>('switchyard_write_attempt', `with inserted as (
       insert into attempts (id, workspace_id, delivery_id, attempt, chain, status, status_code, duration_ms, request_method, request_url,
                             response_excerpt, error_class, vendor_code, error, started_at, request_headers, request_body)
       values (:attemptId, :workspaceId, :deliveryId, :attempt, :chain, :attemptStatus, :statusCode, :durationMs, :method, :url,
               :responseExcerpt, :errorClass, :vendorCode, :error, :startedAt, :requestHeaders::jsonb, :requestBody)
       returning id),
     moved as (
       update deliveries d set status = :status, next_attempt_at = :nextAttemptAt,
         parked_at = case when :parked then now() end, attempt_count = d.attempt_count + case when :counted then 1 else 0 end,
         chain_attempts = case when :counted then :attempt else d.chain_attempts end,
         last_attempt_at = :startedAt, last_status_code = :statusCode, last_error = :lastError, ${END_LEASE}, updated_at = now()
       where d.id = :deliveryId and ${holdsLease('d', ':lease')}
       returning d.status)
     select pg_notify(:channel, json_build_object('workspaceId', d.workspace_id, 'deliveryId', d.id,
              'status', coalesce((select status from moved), d.status), 'attemptId', (select id from inserted))::text)
     from deliveries d where d.id = :deliveryId and ${listenedTo('d.workspace_id')}`);

/** Where each end leaves the delivery. */
function target(end: AttemptEnd): { status: DeliveryStatus; nextAttemptAt: Date | null; parked: boolean; counted: boolean } {
  switch (end.event) {
    case 'succeed': return { status: 'SUCCEEDED', nextAttemptAt: null, parked: false, counted: true };
    case 'retry': return { status: 'RETRYING', nextAttemptAt: end.at, parked: false, counted: true };
    case 'parkOnFailure': return { status: 'RETRYING', nextAttemptAt: null, parked: true, counted: true };
    case 'die': return { status: 'DEAD', nextAttemptAt: null, parked: false, counted: true };
    // Due at once: the connection's wait, not the delivery's, decides when it goes.
    case 'throttle': return { status: 'RETRYING', nextAttemptAt: new Date(), parked: false, counted: false };
    // Matches no row: the token no longer holds.
    case 'late': return { status: 'DELIVERING', nextAttemptAt: null, parked: false, counted: true };
  }
}

/** Records attempt number `attempt` of `plan`'s chain and ends the claim as `end` says. */
export async function writeAttempt(em: EntityManager, plan: AttemptPlan, result: AttemptResult, attempt: number, end: AttemptEnd): Promise<void> {
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
    method: result.method ?? 'POST',
    url: result.url,
    responseExcerpt: result.responseExcerpt ?? null,
    errorClass: result.errorClass ?? null,
    vendorCode: result.vendorCode ?? null,
    error: result.error ?? null,
    lastError: result.ok ? null : describeFailure(result),
    startedAt: result.startedAt,
    requestHeaders: result.requestHeaders ? JSON.stringify(result.requestHeaders) : null,
    requestBody: result.requestBody ?? null,
    ...target(end),
    channel: DELIVERY_CHANNEL,
  });
}
