import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config.ts';
import { emitOperationalEvent } from '../events/operational-events.ts';
import { encodeId } from '../public-ids.ts';

interface HealthRow {
  name: string;
  status: string;
  consecutive_failures: number;
  failing_since: Date;
  disable_due: boolean;
}

/**
 * Counts a failed attempt against the connection (a success ends the streak: the write that
 * records successes resets it, see `recordSuccess`). Crossing the alert threshold emits
 * `switchyard.connection.failing` once per streak; failing for longer than the disable window
 * without a single success disables the connection. Returns true when it did.
 */
export async function recordConnectionFailure(
  em: EntityManager,
  config: Config,
  workspaceId: string,
  connectionId: string,
  reason: string,
): Promise<boolean> {
  const [row] = await em.execute<HealthRow[]>(
    `update connections set consecutive_failures = consecutive_failures + 1,
       failing_since = coalesce(failing_since, now()), last_failure_reason = ?
     where id = ?
     returning name, status, consecutive_failures, failing_since,
       failing_since < now() - make_interval(secs => ?) as disable_due`,
    [reason, connectionId, config.disableAfterSeconds],
  );
  if (!row) return false;
  const subject = { connectionId };
  const about = { connectionId: encodeId('Connection', connectionId), connectionName: row.name };
  if (row.consecutive_failures === config.failureAlertThreshold) {
    await emitOperationalEvent(em, config, workspaceId, 'switchyard.connection.failing', subject, {
      ...about,
      consecutiveFailures: row.consecutive_failures,
      failingSince: new Date(row.failing_since).toISOString(),
      lastFailureReason: reason,
    });
  }
  if (row.disable_due && row.status === 'ACTIVE') {
    const days = Math.round(config.disableAfterSeconds / 86400 * 10) / 10;
    await disableConnection(em, config, workspaceId, connectionId, `failing without a success for ${days} days; last failure: ${reason}`);
    return true;
  }
  return false;
}

/** Disables a connection and says why, in its status and as `switchyard.connection.disabled`. */
export async function disableConnection(em: EntityManager, config: Config, workspaceId: string, connectionId: string, reason: string): Promise<void> {
  const [row] = await em.execute<{ name: string }[]>(
    `update connections set status = 'DISABLED', status_reason = ?, updated_at = now()
     where id = ? and status <> 'DISABLED' returning name`,
    [reason, connectionId],
  );
  if (!row) return;
  await emitOperationalEvent(em, config, workspaceId, 'switchyard.connection.disabled', { connectionId }, {
    connectionId: encodeId('Connection', connectionId),
    connectionName: row.name,
    reason,
  });
}

/**
 * Holds a connection whose vendor refused its credentials: `NEEDS_REAUTH` with the vendor's
 * reason, and `switchyard.connection.needs_reauth` once per refusal streak, so a rule can alert
 * someone who can reconnect it. Its deliveries wait, like a paused connection's, until
 * `updateConnection` gives it new credentials. A connection paused or disabled meanwhile stays so.
 */
export async function requireReauth(em: EntityManager, config: Config, workspaceId: string, connectionId: string, reason: string): Promise<void> {
  const [row] = await em.execute<{ name: string; kind: string }[]>(
    `update connections set status = 'NEEDS_REAUTH', status_reason = ?, updated_at = now()
     where id = ? and status = 'ACTIVE' returning name, kind`,
    [reason, connectionId],
  );
  if (!row) return;
  await emitOperationalEvent(em, config, workspaceId, 'switchyard.connection.needs_reauth', { connectionId }, {
    connectionId: encodeId('Connection', connectionId),
    connectionName: row.name,
    kind: row.kind,
    reason,
  });
}
