import type { EntityManager } from '@mikro-orm/postgresql';
import { Rule } from './rule.entity.ts';
import { compilePatterns, type TypeMatcher } from './match-pattern.ts';
import { storedExpression, type CompiledExpression } from '../expressions/expression.ts';
import { LruCache } from '../lru-cache.ts';

/**
 * The rules cache the delivery engine reads on every emit.
 *
 * Each process keeps every workspace's enabled rules, compiled (patterns and expressions), and
 * per event type the list that matches. Freshness:
 * - in this process, every rule change (and deleting a connection) drops the workspace's entry
 *   after it is committed, so the next emit sees it;
 * - a change made by another process is seen within `RULES_TTL_MS` (5 s), when the entry
 *   expires and is reloaded. An emit in that window may still see the old rules, or a rule whose
 *   connection was just deleted: the engine must create deliveries only for connections that
 *   still exist.
 */

/** How long a process trusts its cached rules of a workspace. (Default: 5000 ms) */
export const RULES_TTL_MS = 5_000;

/** Workspaces whose rules one process keeps. (Default: 10000) */
const WORKSPACES_CACHED = 10_000;

/** Event types per workspace whose matching rules are remembered. (Default: 1000) */
const TYPES_PER_WORKSPACE = 1_000;

/** An enabled rule, ready to evaluate. */
export interface MatchedRule {
  id: string;
  name: string;
  connectionId: string;
  /** Null when the rule has no condition: every event of a matching type passes. */
  condition: CompiledExpression | null;
  /** Null when the rule has no transform: the default body is sent. */
  transform: CompiledExpression | null;
}

interface CachedRule {
  rule: MatchedRule;
  matches: TypeMatcher;
}

interface WorkspaceRules {
  loadedAt: number;
  rules: CachedRule[];
  byType: Map<string, readonly MatchedRule[]>;
}

interface Loading {
  promise: Promise<WorkspaceRules>;
  /** Set when the rules changed while loading: the result must not be cached. */
  stale: boolean;
}

const cache = new LruCache<string, WorkspaceRules>(WORKSPACES_CACHED);
const loading = new Map<string, Loading>();

async function load(em: EntityManager, workspaceId: string): Promise<WorkspaceRules> {
  const loadedAt = Date.now();
  const rows = await em.find(
    Rule,
    { workspace: workspaceId, enabled: true },
    { orderBy: { id: 'asc' }, disableIdentityMap: true },
  );
  const rules = rows.map((row) => ({
    rule: {
      id: row.id,
      name: row.name,
      connectionId: row.connection.id,
      condition: row.condition ? storedExpression(row.condition) : null,
      transform: row.transform ? storedExpression(row.transform) : null,
    },
    matches: compilePatterns(row.eventTypes),
  }));
  return { loadedAt, rules, byType: new Map() };
}

async function workspaceRules(em: EntityManager, workspaceId: string): Promise<WorkspaceRules> {
  const cached = cache.get(workspaceId);
  if (cached && Date.now() - cached.loadedAt < RULES_TTL_MS) return cached;
  const inFlight = loading.get(workspaceId);
  if (inFlight) return inFlight.promise;
  // One load per workspace at a time, however many emits ask at once.
  const entry: Loading = { promise: load(em, workspaceId), stale: false };
  loading.set(workspaceId, entry);
  try {
    const rules = await entry.promise;
    if (!entry.stale) cache.set(workspaceId, rules);
    return rules;
  } finally {
    if (loading.get(workspaceId) === entry) loading.delete(workspaceId);
  }
}

/**
 * The workspace's enabled rules whose patterns match `eventType`, with their compiled
 * expressions, oldest rule first. Cached: see the freshness notes at the top of this file.
 */
export async function matchingRules(em: EntityManager, workspaceId: string, eventType: string): Promise<readonly MatchedRule[]> {
  const rules = await workspaceRules(em, workspaceId);
  let matched = rules.byType.get(eventType);
  if (!matched) {
    matched = rules.rules.filter((cached) => cached.matches(eventType)).map((cached) => cached.rule);
    if (rules.byType.size >= TYPES_PER_WORKSPACE) rules.byType.clear();
    rules.byType.set(eventType, matched);
  }
  return matched;
}

/**
 * Forgets the workspace's cached rules in this process. Call it after a rule change is
 * committed; a load already under way then serves only the callers waiting on it.
 */
export function invalidateRules(workspaceId: string): void {
  cache.delete(workspaceId);
  const inFlight = loading.get(workspaceId);
  if (inFlight) {
    inFlight.stale = true;
    loading.delete(workspaceId);
  }
}
