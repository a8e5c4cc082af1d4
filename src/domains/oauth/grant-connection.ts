import type { EntityManager } from '@mikro-orm/postgresql';
import { unparkDeliveries } from '../deliveries/state/unpark.ts';
import { storeGrant } from './oauth-grants.ts';
import type { TokenGrant } from './oauth-providers.ts';

/**
 * Gives a connection its new grant, in one transaction: the tokens stored sealed, and a connection
 * that waited for them (`NEEDS_REAUTH`) made ACTIVE with its health started afresh and the
 * deliveries that waited sent back to work. A paused or disabled connection stays so.
 */
export async function grantConnection(em: EntityManager, connection: { workspaceId: string; connectionId: string }, grant: TokenGrant): Promise<void> {
  await em.fork().transactional(async (tx) => {
    await storeGrant(tx, connection, grant);
    const released = await tx.execute<{ id: string }[]>(
      `update connections set status = 'ACTIVE', status_reason = null, consecutive_failures = 0, failing_since = null, updated_at = now()
       where id = ? and workspace_id = ? and status = 'NEEDS_REAUTH' returning id`,
      [connection.connectionId, connection.workspaceId],
    );
    if (released.length > 0) await unparkDeliveries(tx, connection.connectionId);
  });
}
