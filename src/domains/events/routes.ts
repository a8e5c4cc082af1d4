import type { EntityManager } from '@mikro-orm/postgresql';
import type { ConnectionOwner, ConnectionStatus } from '../connections/connection.entity.ts';
import { RESERVED_PREFIX } from '../event-types/event-type-name.ts';
import { storedExpression, type CompiledExpression } from '../expressions/expression.ts';
import { evaluateCondition, expressionInput } from '../expressions/rule-expressions.ts';
import { compilePatterns, type TypeMatcher } from '../rules/match-pattern.ts';
import { LruCache } from '../lru-cache.ts';
import type { EventRecord } from './event-record.ts';

/** A rule of the workspace with what emit needs of its connection. */
export interface Route {
  ruleId: string;
  patterns: string[];
  condition: CompiledExpression | null;
  connection: { id: string; status: ConnectionStatus };
}

export interface RoutedEvent {
  route: Route;
  /** Why the condition could not be evaluated; the delivery is then dead-lettered with it. */
  conditionError?: string;
}

export interface RouteRow {
  rule_id: string;
  event_types: string[];
  condition: string | null;
  connection_id: string;
  status: ConnectionStatus;
  owner: ConnectionOwner;
}

/** The enabled rules of a workspace with what routing needs of their connections: one indexed query. */
export async function loadRouteRows(em: EntityManager, workspaceId: string): Promise<RouteRow[]> {
  return em.execute<RouteRow[]>(
    `select r.id as rule_id, r.event_types, r.condition, c.id as connection_id, c.status, c.owner
     from rules r join connections c on c.id = r.connection_id
     where r.workspace_id = ? and r.enabled
     order by r.id`,
    [workspaceId],
  );
}

/**
 * The rules among `rows` whose patterns match `type`, with compiled conditions. Operational
 * events go to OPERATOR connections only: rules are refused otherwise when written, and this
 * holds it for rows written around those checks.
 */
export function routesMatching(rows: RouteRow[], type: string): Route[] {
  const operational = type.startsWith(RESERVED_PREFIX);
  return rows
    .filter((row) => (!operational || row.owner === 'OPERATOR') && matcherFor(row.event_types)(type))
    .map((row) => ({
      ruleId: row.rule_id,
      patterns: row.event_types,
      condition: row.condition ? storedExpression(row.condition) : null,
      connection: {
        id: row.connection_id,
        status: row.status,
      },
    }));
}

const matchers = new LruCache<string, TypeMatcher>(10_000);

function matcherFor(patterns: string[]): TypeMatcher {
  const key = patterns.join('\n');
  let matcher = matchers.get(key);
  if (!matcher) {
    matcher = compilePatterns(patterns);
    matchers.set(key, matcher);
  }
  return matcher;
}

/** Evaluates each route's condition for `event`; routes whose condition fails are dropped. */
export async function routeEvent(
  routes: Route[],
  event: EventRecord,
  options: { timeoutMs: number; excludeConnectionId?: string },
): Promise<RoutedEvent[]> {
  const input = expressionInput(event);
  const routed: RoutedEvent[] = [];
  for (const route of routes) {
    if (route.connection.id === options.excludeConnectionId) continue;
    if (!route.condition) {
      routed.push({ route });
      continue;
    }
    try {
      if (await evaluateCondition(route.condition, input, { timeoutMs: options.timeoutMs })) routed.push({ route });
    } catch (error) {
      routed.push({ route, conditionError: (error as Error).message });
    }
  }
  return routed;
}
