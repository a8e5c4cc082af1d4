import type { EntityManager, PostgreSqlConnection } from '@mikro-orm/postgresql';
import { groupCommit, groupCommitPer } from '../../../db/group-commit.ts';
import { newId } from '../../../db/ids.ts';
import { namedStatement, runNamed } from '../../../db/prepared-statement.ts';
import { DELIVERY_CHANNEL, listenedTo } from '../delivery-notifications.ts';
import type { AttemptPlan } from './attempt-plan.ts';
import type { AttemptResult } from './attempt-result.ts';
import { END_LEASE, holdsLease } from './lease.ts';
import { endQuotaWaitOnSuccess, hasQuotaWait } from './quota-wait.ts';

interface SuccessRow {
  id: string;
  workspace_id: string;
  delivery_id: string;
  lease: string;
  attempt: number;
  chain: number;
  status_code: number | null;
  duration_ms: number;
  request_method: string;
  request_url: string;
  response_excerpt: string | null;
  started_at: Date;
  request_headers: Record<string, string> | null;
  request_body: string | null;
}

interface WriteSuccessesParams {
  rows: string;
  deliveryIds: string[];
  channel: string;
}

/**
 * `succeed`, for many deliveries at once. Every attempt row goes in; a delivery moves to
 * SUCCEEDED only under its claim's lease, so a success recorded after the claim was taken over
 * joins the history and changes nothing else.
 * A success ends its connection's failure streak ("failures in a row" counts the failures
 * recorded since the last success, in the order their writes commit: the connection row's lock
 * orders this write and a failure's); a healthy connection's row matches no row to update, so the
 * usual case writes nothing there. A success also ends the connection's wait for its quota, if it
 * started once the wait was over (see quota-wait.ts). The notification, sent while someone
 * streams the workspace's changes, carries the state each delivery is left in.
 */
const WRITE_SUCCESSES = namedStatement<WriteSuccessesParams>('switchyard_write_successes', `with rows as (
       select * from json_to_recordset(:rows::json) as r(
         id uuid, workspace_id uuid, delivery_id uuid, lease uuid, attempt int, chain int, status_code int, duration_ms int,
         request_method text, request_url text, response_excerpt text, started_at timestamptz, request_headers jsonb, request_body text)),
     inserted as (
       insert into attempts (id, workspace_id, delivery_id, attempt, chain, status, status_code, duration_ms, request_method, request_url,
                             response_excerpt, error_class, error, started_at, request_headers, request_body)
       select id, workspace_id, delivery_id, attempt, chain, 'SUCCEEDED', status_code, duration_ms, request_method, request_url,
              response_excerpt, null, null, started_at, request_headers, request_body
       from rows),
     moved as (
       update deliveries d set status = 'SUCCEEDED', next_attempt_at = null, parked_at = null,
         attempt_count = d.attempt_count + 1, chain_attempts = r.attempt, last_attempt_at = r.started_at,
         last_status_code = r.status_code, last_error = null, ${END_LEASE}, updated_at = now()
       -- The ids as an array too: json_to_recordset is estimated at 100 rows, and beside a table of
       -- a few thousand the planner would scan the table rather than look each delivery up.
       from rows r where d.id = any(:deliveryIds::uuid[]) and r.delivery_id = d.id and ${holdsLease('d', 'r.lease')}
       returning d.id, d.status, d.connection_id, r.started_at),
     healed as (
       update connections c set consecutive_failures = 0, failing_since = null, last_failure_reason = null,
         ${endQuotaWaitOnSuccess('c', 'm.started_at')}
       from (select connection_id, max(started_at) as started_at from moved group by connection_id) m
       where c.id = m.connection_id and (c.consecutive_failures > 0 or c.failing_since is not null or ${hasQuotaWait('c')}))
     select count(pg_notify(:channel, json_build_object('workspaceId', r.workspace_id, 'deliveryId', r.delivery_id,
              'status', coalesce(m.status, d.status), 'attemptId', r.id)::text))
     from rows r join deliveries d on d.id = r.delivery_id left join moved m on m.id = r.delivery_id
     where d.id = any(:deliveryIds::uuid[]) and ${listenedTo('r.workspace_id')}`);

/**
 * Successes, the usual outcome, are recorded in groups: while one write runs, the successes that finish meanwhile queue and go in the next, one statement and one
 * commit for all (see `groupCommit`). Each attempt row, its delivery's new state and the
 * notification to subscribers still commit together, and the caller returns once they have.
 */
export async function writeSuccess(em: EntityManager, plan: AttemptPlan, result: AttemptResult, attempt: number): Promise<void> {
  await writerFor(em.getConnection())({
    id: newId(),
    workspace_id: plan.workspaceId,
    delivery_id: plan.deliveryId,
    lease: plan.lease,
    attempt,
    chain: plan.chain,
    status_code: result.statusCode ?? null,
    duration_ms: Math.round(result.durationMs),
    request_method: result.method ?? 'POST',
    request_url: result.url,
    response_excerpt: result.responseExcerpt ?? null,
    started_at: result.startedAt,
    request_headers: result.requestHeaders ?? null,
    request_body: result.requestBody ?? null,
  });
}

const SUCCESSES_PER_WRITE = 500;

const writerFor = groupCommitPer((connection: PostgreSqlConnection) =>
  groupCommit({
    write: async (rows: SuccessRow[]) => {
      await runNamed(connection, WRITE_SUCCESSES, { rows: JSON.stringify(rows), deliveryIds: rows.map((row) => row.delivery_id), channel: DELIVERY_CHANNEL });
    },
    maxWeight: SUCCESSES_PER_WRITE,
  }),
);
