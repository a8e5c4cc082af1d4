import type { EntityManager } from '@mikro-orm/postgresql';
import { Rule } from './rule.entity.ts';
import type { Connection } from '../connections/connection.entity.ts';
import { ValidationError } from '../errors.ts';

/**
 * The event types a connection receives, as the portal shows and edits them: the patterns of
 * the rules that deliver to it. A connection created with `eventTypes` gets one plain rule (no
 * condition, no transform) of its own; changing its event types changes that rule.
 */

/** Sets the patterns routed to `connection`, creating its rule when it has none. Flushing is the caller's. */
export async function routeEventTypes(em: EntityManager, workspaceId: string, connection: Connection, patterns: string[]): Promise<void> {
  const rules = await em.find(Rule, { connection: connection.id, workspace: workspaceId });
  if (rules.length > 1) {
    throw ValidationError.field(
      ['input', 'eventTypes'],
      `the connection is routed by ${rules.length} rules; change their eventTypes with updateRule instead`,
    );
  }
  if (rules[0]) {
    rules[0].eventTypes = patterns;
    return;
  }
  em.create(Rule, {
    workspace: workspaceId,
    connection,
    name: await freeRuleName(em, workspaceId, connection),
    eventTypes: patterns,
    condition: null,
    transform: null,
    enabled: true,
  });
}

/** The connection's own name, or, where a rule has it already, that name with the connection's id. */
async function freeRuleName(em: EntityManager, workspaceId: string, connection: Connection): Promise<string> {
  if (!(await em.count(Rule, { workspace: workspaceId, name: connection.name }))) return connection.name;
  return `${connection.name.slice(0, 60)} (${connection.id})`;
}

/** The patterns each connection's enabled rules route to it, sorted, in one query. */
export async function eventTypesOf(em: EntityManager, connectionIds: readonly string[]): Promise<Map<string, string[]>> {
  const rules = await em.find(
    Rule,
    { connection: { $in: [...connectionIds] }, enabled: true },
    { fields: ['eventTypes', 'connection'], disableIdentityMap: true },
  );
  const patterns = new Map<string, Set<string>>();
  for (const rule of rules) {
    const set = patterns.get(rule.connection.id) ?? new Set<string>();
    for (const pattern of rule.eventTypes) set.add(pattern);
    patterns.set(rule.connection.id, set);
  }
  return new Map([...patterns].map(([id, set]) => [id, [...set].sort()]));
}
