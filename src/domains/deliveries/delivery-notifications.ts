import type { EntityManager } from '@mikro-orm/postgresql';
import type { DeliveryStatus } from './delivery.entity.ts';

/**
 * The Postgres channel that carries delivery changes to every API process. A payload names the
 * workspace, and the change when a write announces changes one by one (`DeliveryNotification`);
 * a write that logs many at once announces the workspace alone (`logChangesCtes`).
 */
export const DELIVERY_CHANNEL = 'switchyard_deliveries';

/**
 * SQL: some API process streams the changes of the workspace `workspaceId` (an SQL expression)
 * right now (see `delivery_listeners`). A change is announced only then: every transaction that
 * notifies holds one lock of Postgres's through its commit, so on durable Postgres notifying
 * commits go one at a time (8 concurrent writers measured 1,170 commits/s plain and 295 with a
 * notification each), and with nobody streaming there is nobody to tell.
 */
export const listenedTo = (workspaceId: string) =>
  `exists (select 1 from delivery_listeners l where l.workspace_id = ${workspaceId})`;

/** What travels on the channel: ids only (NOTIFY payloads are capped at 8000 bytes). */
export interface DeliveryNotification {
  workspaceId: string;
  deliveryId: string;
  /** The status this change committed; the row may have moved on by the time a subscriber reads it. */
  status: DeliveryStatus;
  /** Set when the change is a new attempt. */
  attemptId?: string;
}

/**
 * Wake-ups for one API process's delivery streams, as changes commit in any process (the
 * server's `startDeliveryPubSub` listens for them on `DELIVERY_CHANNEL`). What changed is read
 * from the change log (changes/read-changes.ts), never from the notification, so a lost one
 * costs a delay, not a change.
 */
export interface DeliveryPubSub {
  /**
   * Calls `wake(false)` after each announced change of the workspace, and `wake(true)` once the
   * listener has reconnected and registered the workspace again. `registered` resolves once
   * writers announce the workspace's changes (a round trip later). A write already running when
   * a registration commits may not see it, and commits unannounced: a listener reads the log for
   * a while after each registration (the delivery feed's `settle`).
   */
  listen(workspaceId: string, wake: (registeredAgain: boolean) => void): { registered: Promise<void>; stop(): void };
  /** Listeners of the workspace in this process whose registration is done, for metrics and tests. */
  listenerCount(workspaceId: string): number;
  /** Resolves once the listener is connected and listening (again, after a lost connection). */
  ready(): Promise<void>;
  /** Whether the listener is connected and listening right now. */
  isListening(): boolean;
  /** Ends every subscription and the listener connection. */
  close(): Promise<void>;
}

/**
 * Announces delivery changes of listened-to workspaces, in one round trip however many. Called inside the transaction that makes the change, so Postgres
 * delivers the notification only if, and when, that transaction commits.
 */
export async function notifyDeliveryChanges(em: EntityManager, notifications: DeliveryNotification[]): Promise<void> {
  if (notifications.length === 0) return;
  await em.execute(
    `select pg_notify(?, n.payload) from json_array_elements_text(?::json) as n(payload)
     where ${listenedTo("(n.payload::json->>'workspaceId')::uuid")}`,
    [DELIVERY_CHANNEL, JSON.stringify(notifications.map((notification) => JSON.stringify(notification)))],
  );
}
