import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../../config.ts';
import type { QuotaWait } from '../../destinations/destination-kind.ts';
import { emitOperationalEvent } from '../../events/operational-events.ts';
import { encodeId } from '../../public-ids.ts';
import { throttleConnection } from '../state/throttle-connection.ts';

/**
 * How long a connection waits for `quota`: what the vendor said, or, when nobody can say when it
 * is back, `SWITCHYARD_QUOTA_PROBE_SECONDS` before one delivery tries; either way at most
 * `SWITCHYARD_MAX_RETRY_AFTER_SECONDS`, as for any receiver's Retry-After.
 */
export function quotaWaitSeconds(config: Config, quota: QuotaWait): number {
  return Math.min(quota.seconds ?? config.quotaProbeSeconds, config.maxRetryAfterSeconds);
}

/**
 * Makes the connection of a throttled attempt wait for its vendor's quota, in the attempt's
 * transaction. A daily or org-wide limit starting to be waited for is announced as
 * `switchyard.connection.throttled`, so a rule can tell someone the account is out of requests;
 * a window of seconds, waited out many times an hour under load, is not.
 */
export async function waitForQuota(tx: EntityManager, config: Config, workspaceId: string, connectionId: string, quota: QuotaWait): Promise<void> {
  const wait = await throttleConnection(tx, connectionId, { seconds: quotaWaitSeconds(config, quota), reason: quota.reason });
  if (!wait?.started || !quota.daily) return;
  await emitOperationalEvent(tx, config, workspaceId, 'switchyard.connection.throttled', { connectionId }, {
    connectionId: encodeId('Connection', connectionId),
    connectionName: wait.name,
    kind: wait.kind,
    reason: quota.reason,
    throttledUntil: wait.until.toISOString(),
  });
}
