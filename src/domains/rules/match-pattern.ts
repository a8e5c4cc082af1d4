import { RESERVED_PREFIX } from '../event-types/event-type-name.ts';

/**
 * Event-type patterns of rules.
 *
 * A pattern is dot-separated segments, each one of:
 * - a name segment (lowercase letters, digits, `_`, `-`): matches itself;
 * - `*`: matches exactly one segment (`order.*` matches `order.completed`, not `order.item.added`);
 * - `**`, last only: matches one or more segments (`order.**` matches both of those).
 * `*` or `**` alone matches every event type.
 *
 * Wildcards never reach Switchyard's own operational events (`switchyard.*`): a pattern matches
 * them only when its first segment is literally `switchyard` (`switchyard.**`,
 * `switchyard.connection.failing`), so a catch-all rule does not echo a failing connection's
 * alerts back to that connection.
 */
export const PATTERN_SYNTAX =
  'Dot-separated segments: a name matches itself, `*` one segment, a trailing `**` one or more; `*` alone matches every type. ' +
  'Operational `switchyard.*` events match only patterns that start with `switchyard.`.';

/** Longest pattern accepted. */
export const MAX_PATTERN_LENGTH = 200;

const NAME_SEGMENT = /^[a-z0-9_-]+$/;

/** Why `pattern` is not a valid event-type pattern, or null when it is. */
export function patternProblem(pattern: string): string | null {
  if (pattern.length === 0) return 'must not be empty';
  if (pattern.length > MAX_PATTERN_LENGTH) return `must be at most ${MAX_PATTERN_LENGTH} characters`;
  const segments = pattern.split('.');
  for (const [index, segment] of segments.entries()) {
    if (segment === '*' || NAME_SEGMENT.test(segment)) continue;
    if (segment === '**') {
      if (index === segments.length - 1) continue;
      return '"**" may only be the last segment';
    }
    return `segment "${segment}" must be lowercase letters, digits, "_" or "-", or a wildcard "*" or "**"`;
  }
  return null;
}

/** Whether `pattern` can match operational events: its first segment is literally `switchyard`. */
export function reachesOperationalEvents(pattern: string): boolean {
  return pattern.split('.')[0] === RESERVED_PREFIX.slice(0, -1);
}

/** A compiled pattern: tests one event type name. */
export type TypeMatcher = (eventType: string) => boolean;

/** Compiles a valid pattern (see `patternProblem`) into a matcher. */
export function compilePattern(pattern: string): TypeMatcher {
  if (pattern === '*' || pattern === '**') {
    return (eventType) => !eventType.startsWith(RESERVED_PREFIX);
  }
  const segments = pattern.split('.');
  const deep = segments.at(-1) === '**';
  const fixed = deep ? segments.slice(0, -1) : segments;
  const reachesReserved = reachesOperationalEvents(pattern);
  return (eventType) => {
    if (!reachesReserved && eventType.startsWith(RESERVED_PREFIX)) return false;
    const parts = eventType.split('.');
    if (deep ? parts.length <= fixed.length : parts.length !== fixed.length) return false;
    return fixed.every((segment, index) => segment === '*' || segment === parts[index]);
  };
}

/** One matcher for several patterns: matches when any of them does. */
export function compilePatterns(patterns: readonly string[]): TypeMatcher {
  const matchers = patterns.map(compilePattern);
  return (eventType) => matchers.some((matches) => matches(eventType));
}
