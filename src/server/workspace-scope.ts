import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Principal } from '../domains/auth/principal.ts';
import { Workspace } from '../domains/workspaces/workspace.entity.ts';
import { Event } from '../domains/events/event.entity.ts';
import { Connection } from '../domains/connections/connection.entity.ts';

/**
 * Tenancy, enforced in one place: the entity manager a request works with sees its caller's
 * workspace only. Every entity with a `workspace` relation (found in the ORM's metadata, so an
 * entity added later is covered without a change here) gets a filter on it, and the workspace
 * itself one on its id; MikroORM adds them to every find, count, populate, update and delete of
 * that entity manager and its forks (transactions included). Queries still name the workspace
 * themselves; this is what holds if one forgets. Raw SQL is not filtered: it names the
 * workspace explicitly and lives in files of its own. The admin key works across workspaces.
 *
 * A portal session sees the customer's side of its workspace only: OPERATOR connections, and
 * everything that hangs off one (deliveries, attempts, rules, secrets, credentials), are as
 * absent to it as another workspace's, and so are the operational events about them.
 */
export function requestEntityManager(orm: MikroORM, principal: Principal | null): EntityManager {
  const em = orm.em.fork();
  const workspaceId = principal?.workspaceId;
  if (!workspaceId) return em;
  const all = [...orm.getMetadata().getAll().values()];
  const owned = all.filter((meta) => meta.properties.workspace).map((meta) => meta.class);
  em.addFilter({ name: 'workspace', entity: owned, cond: { workspace: workspaceId } });
  em.addFilter({ name: 'ownWorkspace', entity: [Workspace], cond: { id: workspaceId } });
  if (principal.kind === 'PORTAL') {
    const customer = { owner: 'CUSTOMER' as const };
    const ofConnection = all.filter((meta) => meta.properties.connection?.type === 'Connection').map((meta) => meta.class);
    const ofDelivery = all.filter((meta) => meta.properties.delivery?.type === 'Delivery').map((meta) => meta.class);
    em.addFilter({ name: 'customerConnections', entity: [Connection], cond: customer });
    em.addFilter({ name: 'customerConnectionRows', entity: ofConnection, cond: { connection: customer } });
    em.addFilter({ name: 'customerDeliveryRows', entity: ofDelivery, cond: { delivery: { connection: customer } } });
    em.addFilter({ name: 'customerEvents', entity: [Event], cond: { operational: false } });
  }
  return em;
}
