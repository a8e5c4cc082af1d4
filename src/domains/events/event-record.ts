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
