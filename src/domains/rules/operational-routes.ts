import type { EntityManager } from '@mikro-orm/postgresql';
import type { ConnectionOwner } from '../connections/connection.entity.ts';
import { ValidationError, type Issue } from '../errors.ts';
import { reachesOperationalEvents } from './match-pattern.ts';

/**
 * `switchyard.*` operational events (a failing endpoint, an exhausted delivery) are the
 * operator's alerts: a rule may route them to OPERATOR connections only, so a customer's
 * endpoint never receives them.
 */

const WHY = "only OPERATOR connections (the workspace's own alerting, never a customer's endpoint) receive switchyard.* operational events";

/** The issue, at `path`, of `patterns` routed to a connection of `owner`; none when they may be. */
export function operationalRouteIssues(patterns: readonly string[] | null | undefined, owner: ConnectionOwner, path: string[]): Issue[] {
  if (owner === 'OPERATOR' || !patterns?.some(reachesOperationalEvents)) return [];
  return [{ path, message: `routes switchyard.* events to a CUSTOMER connection; ${WHY}` }];
}

// The rules routing operational events to a connection that is not the operator's, read after
// taking the connection's row lock: two changes racing on one connection (a new switchyard.*
// rule; the connection handed to the customer) then each see the other once it commits, and the
// second is refused. `no key update` is the lock an update of the row takes itself, and unlike
// `update` it does not wait for the key-share lock that writing a rule takes on its connection:
// two such writers would otherwise deadlock.
const LOCK = 'select 1 from connections where id = ? and workspace_id = ? for no key update';
const MISROUTED = `
  select r.name from rules r join connections c on c.id = r.connection_id
  where c.id = ? and c.workspace_id = ? and c.owner <> 'OPERATOR'
    and exists (select 1 from unnest(r.event_types) as pattern where split_part(pattern, '.', 1) = 'switchyard')
  order by r.name limit 3`;

/**
 * Refuses, at `path`, the change just written (flushed, uncommitted) when it leaves the
 * connection a CUSTOMER one with rules routing operational events to it. Call inside the
 * transaction of every change to a rule's patterns or target, or to a connection's owner, after
 * its writes: the error rolls them back.
 */
export async function refuseOperationalRoutes(tx: EntityManager, workspaceId: string, connectionId: string, path: string[]): Promise<void> {
  await tx.execute(LOCK, [connectionId, workspaceId]);
  const rules = await tx.execute<{ name: string }[]>(MISROUTED, [connectionId, workspaceId]);
  if (rules.length === 0) return;
  throw ValidationError.field(path, `rules ${rules.map((rule) => `"${rule.name}"`).join(', ')} route switchyard.* events to it, a CUSTOMER connection; ${WHY}`);
}
