import type { EventRecord } from '../../events/event-record.ts';
import { toRecord, type EventRow } from '../../events/event-record.ts';
import type { ConnectionKind } from '../../connections/connection.entity.ts';
import { signingSecretBinding } from '../../connections/connection-secrets.ts';
import { planCredentials } from '../../connections/connection-settings.ts';
import { openSecret } from '../../secrets/secret-store.ts';

/** Everything one attempt needs, read in one query after the claim. */
export interface AttemptPlan {
  deliveryId: string;
  /** The claim's token: the write that ends the attempt changes the delivery only if it still holds. */
  lease: string;
  workspaceId: string;
  chain: number;
  chainAttempts: number;
  attemptCount: number;
  event: EventRecord;
  transform: string | null;
  connection: {
    id: string;
    name: string;
    /** Its destination kind (src/domains/destinations/): what performs the attempt. */
    kind: ConnectionKind;
    ordered: boolean;
    maxConcurrency: number | null;
    /** Its settings in its kind's shape, and its credentials opened (see `planCredentials`). */
    config: unknown;
    credentials: unknown;
    timeoutSeconds: number;
    retryScheduleSeconds: number[] | null;
  };
  /** Live signing secrets, newest first: during a rotation the old one signs too. */
  secrets: string[];
}

export interface PlanRow {
  delivery_id: string;
  lease: string;
  workspace_id: string;
  chain: number;
  chain_attempts: number;
  attempt_count: number;
  event: EventRow;
  transform: string | null;
  connection_id: string;
  connection_name: string;
  connection_kind: ConnectionKind;
  ordered: boolean;
  max_concurrency: number | null;
  config: unknown;
  sealed_headers: string | null;
  sealed_credentials: string | null;
  timeout_seconds: number;
  retry_schedule_seconds: number[] | null;
  secrets: string[] | null;
}

/**
 * SQL selecting the plan of each delivery in `deliveries` (a table or CTE with the deliveries'
 * columns, aliased `d`): the delivery, its event, connection (with its sealed credentials), rule
 * and live secrets, in one read.
 */
export function planSelect(deliveries: string): string {
  return `select d.id as delivery_id, d.lease, d.workspace_id, d.chain, d.chain_attempts, d.attempt_count,
            row_to_json(e) as event, r.transform,
            c.id as connection_id, c.name as connection_name, c.kind as connection_kind, c.ordered, c.max_concurrency, c.config, c.sealed_headers,
            k.secret as sealed_credentials, c.timeout_seconds, c.retry_schedule_seconds,
            (select array_agg(s.secret order by s.created_at desc) from connection_secrets s
              where s.connection_id = c.id and (s.expires_at is null or s.expires_at > now())) as secrets
     from ${deliveries} d
     join events e on e.id = d.event_id
     join connections c on c.id = d.connection_id
     left join connection_credentials k on k.connection_id = c.id
     left join rules r on r.id = d.rule_id`;
}

export function toPlan(row: PlanRow): AttemptPlan {
  return {
    deliveryId: row.delivery_id,
    lease: row.lease,
    workspaceId: row.workspace_id,
    chain: row.chain,
    chainAttempts: row.chain_attempts,
    attemptCount: row.attempt_count,
    event: toRecord(row.event),
    transform: row.transform,
    connection: {
      id: row.connection_id,
      name: row.connection_name,
      kind: row.connection_kind,
      ordered: row.ordered,
      maxConcurrency: row.max_concurrency,
      // Credentials are opened here, where the row becomes what the attempt uses, and nowhere else.
      config: row.config,
      credentials: planCredentials(row.connection_kind, row.connection_id, { headers: row.sealed_headers, credentials: row.sealed_credentials }),
      timeoutSeconds: Number(row.timeout_seconds),
      retryScheduleSeconds: row.retry_schedule_seconds?.map(Number) ?? null,
    },
    secrets: (row.secrets ?? []).map((secret) => openSecret(secret, signingSecretBinding(row.connection_id))),
  };
}
