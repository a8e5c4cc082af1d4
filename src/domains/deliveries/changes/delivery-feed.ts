import type { Attempt } from '../attempt.entity.ts';
import type { Delivery } from '../delivery.entity.ts';
import type { ChangeCursor } from './change-cursor.ts';

/**
 * Delivery changes for one API process's streams, read from the change log
 * (`delivery_changes`); the server's `deliveryFeed` makes one.
 */
export interface DeliveryFeed {
  /**
   * The workspace's changes after `after` (after now when null), oldest first, then live ones,
   * each exactly once. Resolves once the stream is registered: a change that commits after that
   * is in it, whatever the cursor.
   */
  follow(workspaceId: string, after: ChangeCursor | null): Promise<AsyncIterableIterator<LoadedChange>>;
  /** Streams of the workspace that have joined its tail in this process, for metrics and tests. */
  followerCount(workspaceId: string): number;
  /** Ends every stream. */
  close(): void;
}

/** A change as read once for every stream of its workspace in this process. */
export interface LoadedChange {
  cursor: string;
  /** The cursor, parsed. */
  at: ChangeCursor;
  /** The delivery as the change left it: its `status` is the one the change committed. */
  delivery: Delivery;
  /** The new attempt, its `delivery` the view above; null for a change without one (created, replayed, stopped by erasure). */
  attempt: Attempt | null;
}

