import type { z } from 'zod';
import { ValidationError, type Issue } from './errors.ts';

/**
 * Deepest nesting any input value may have, counted from the mutation's `input`: a bound that
 * keeps every recursive step after it (JSON serialisation, schema compilation, JSONata, jsonb)
 * far from the stack's end. Event payloads have a lower, configurable limit of their own
 * (`SWITCHYARD_MAX_PAYLOAD_DEPTH`). (Default: 100)
 */
export const MAX_INPUT_DEPTH = 100;

/** Most issues one refused input reports; a payload can hold thousands of bad strings. */
const MAX_ISSUES = 20;

/**
 * Why `text` cannot be stored as Postgres text or jsonb, or null when it can. Postgres refuses
 * the NUL character in both, and UTF-16 text with an unpaired surrogate is not Unicode at all.
 */
export function textProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain the NUL character (U+0000)';
  if (!text.isWellFormed()) return 'must be valid Unicode: it has an unpaired surrogate (U+D800 to U+DFFF)';
  return null;
}

/** Text as a column can hold it: for text Switchyard writes itself from what it was given (error messages). */
export function storableText(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD').toWellFormed();
}

interface Visit {
  value: unknown;
  key: string;
  parent: Visit | null;
  depth: number;
}

function pathOf(visit: Visit): string[] {
  const path: string[] = [];
  for (let at: Visit | null = visit; at; at = at.parent) path.push(at.key);
  return path.reverse();
}

/**
 * Every string in `value` (object keys included) that cannot be stored, and any nesting deeper
 * than `maxDepth`, as issues under `root`. Walks breadth first with an explicit queue, so a
 * hostile value nested ten thousand levels deep is reported, not a stack overflow.
 */
export function unstorableIssues(value: unknown, root: string[], maxDepth: number = MAX_INPUT_DEPTH): Issue[] {
  const issues: Issue[] = [];
  const queue: Visit[] = [{ value, key: root.at(-1) ?? 'input', parent: null, depth: 0 }];
  const prefix = root.slice(0, -1);
  const report = (visit: Visit, message: string) => issues.push({ path: [...prefix, ...pathOf(visit)], message });
  for (let head = 0; head < queue.length && issues.length < MAX_ISSUES; head++) {
    const visit = queue[head]!;
    if (typeof visit.value === 'string') {
      const problem = textProblem(visit.value);
      if (problem) report(visit, problem);
      continue;
    }
    if (typeof visit.value !== 'object' || visit.value === null) continue;
    if (visit.depth >= maxDepth) {
      report(visit, `is nested more than ${maxDepth} levels deep`);
      continue;
    }
    for (const [key, child] of Object.entries(visit.value)) {
      const problem = textProblem(key);
      if (problem) report(visit, `has a key that ${problem}`);
      else queue.push({ value: child, key, parent: visit, depth: visit.depth + 1 });
    }
  }
  return issues.slice(0, MAX_ISSUES);
}

/**
 * Parses a mutation's `input` with `schema`, turning every zod issue into one ValidationError
 * whose paths start at `input`, so clients can point at the exact field. Text Postgres cannot
 * store (NUL, unpaired surrogates) and runaway nesting are refused first, wherever they are.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const unstorable = unstorableIssues(input, ['input']);
  if (unstorable.length > 0) throw new ValidationError(unstorable);
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    parsed.error.issues.map((issue) => ({
      path: ['input', ...issue.path.map(String)],
      message: issue.message,
    })),
  );
}

/** Postgres unique violations surface as this SQLSTATE. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === '23505';
}
