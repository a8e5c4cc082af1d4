/** An event as the rest of Switchyard sees it, whether just emitted or read back. */
export interface EventRecord {
  id: string;
  workspaceId: string;
  type: string;
  resource: string | null;
  resourceId: string | null;
  payload: unknown;
  /** When retention or eraseResource removed the payload; null while it is kept. */
  payloadRemovedAt?: Date | null;
  idempotencyKey: string | null;
  sequence: number;
  createdAt: Date;
  /** Sent with `sendTestEvent`: to one connection, outside the rules, with sequence 0. */
  test: boolean;
}

/** An event as stored: a row of `events`, as the emit write takes it and as queries read it back. */
export interface EventRow {
  id: string;
  workspace_id: string;
  type: string;
  resource: string | null;
  resource_id: string | null;
  payload: unknown;
  idempotency_key: string | null;
  /** Null: numbered by the write, from the workspace's sequence. */
  sequence: number | null;
  created_at: string;
  operational: boolean;
  /** Set on rows read back once retention or erasure removed the payload. */
  payload_removed_at?: string | null;
  /** A test send's event (see send-test-event.ts); left out, false. */
  test?: boolean;
}

/** The event `row` as the rest of Switchyard sees it. */
export function toRecord(row: EventRow): EventRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    type: row.type,
    resource: row.resource,
    resourceId: row.resource_id,
    payload: row.payload,
    payloadRemovedAt: row.payload_removed_at ? new Date(row.payload_removed_at) : null,
    idempotencyKey: row.idempotency_key,
    sequence: Number(row.sequence),
    createdAt: new Date(row.created_at),
    test: row.test ?? false,
  };
}
