import type { EntityManager } from '@mikro-orm/postgresql';

// One batch of one workspace's change log: its oldest rows in the primary key's order (txid grows
// with time), those among them written before the cutoff removed. A batch reads the index from the
// workspace's start only, so it never walks the rest of the log.
const PRUNE_CHANGES = `with oldest as (
       select txid, position, created_at from delivery_changes
       where workspace_id = ? order by txid, position limit ?),
     pruned as (
       delete from delivery_changes c using oldest o
       where c.workspace_id = ? and c.txid = o.txid and c.position = o.position and o.created_at < ?
       returning 1)
     select count(*)::int as changes from pruned`;

/**
 * Removes up to `limit` of the workspace's delivery changes written before `before` (retention
 * passes the delivery-record age): a cursor stays good as long as the records it streamed. Fewer
 * than `limit` means the log's oldest rows are newer than that.
 */
export async function pruneChanges(em: EntityManager, workspaceId: string, before: Date, limit: number): Promise<number> {
  const [row] = await em.execute<{ changes: number }[]>(PRUNE_CHANGES, [workspaceId, limit, workspaceId, before]);
  return row!.changes;
}
