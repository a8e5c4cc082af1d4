/**
 * Which expressions are cheap whatever the event: those made only of field paths, literals,
 * comparisons, boolean and arithmetic operators, string concatenation, array and object
 * constructors, parentheses and `? :`. Such an expression does work linear in the size of the
 * event (at most once per path it names), so it is evaluated in the calling thread without a
 * round trip to a worker; anything with a function call, a filter or predicate, a range, a lambda, a variable
 * binding, a sort, grouping or a regular expression goes to an expression worker
 * (expression-pool.ts), where a runaway one is stopped from outside.
 *
 * Typical conditions (`payload.total > 100`, `type = "order.completed" and payload.country in
 * ["DE", "FR"]`) and field-picking transforms (`{ "order": resourceId, "total": payload.total }`)
 * take the fast path.
 */

import type { AstNode } from './jsonata-ast.ts';

/** What the analysis found: whether the cost is bounded, and how many times the expression reads the event. */
export interface CostBound {
  bounded: boolean;
  /** Paths (and `$`) the expression reads the event through: each yields at most the event's size. */
  reads: number;
  /**
   * The names a bounded expression reads from the top of the event (`payload` in
   * `payload.total > 1`); null when it may read anything (it reads `$`, or its cost is not bounded).
   */
  fields: Set<string> | null;
}

const CHEAP_OPERATORS = new Set(['=', '!=', '<', '<=', '>', '>=', 'and', 'or', 'in', '+', '-', '*', '/', '%', '&']);

function cheap(node: AstNode | undefined, bound: CostBound): boolean {
  if (!node) return true;
  switch (node.type) {
    case 'string':
    case 'number':
    case 'value':
      return true;
    case 'variable':
      // `$` alone is the event; any other variable needs a binding or is a function.
      bound.reads++;
      bound.fields = null;
      return node.value === '';
    case 'path':
      bound.reads++;
      // Only the first step reads the event itself: the others read what it yielded.
      bound.fields?.add(node.steps?.[0]?.value as string);
      return !node.group && !node.focus && !node.tuple && (node.steps ?? []).every((step) => step.type === 'name' && !step.stages && !step.predicate && !step.group);
    case 'binary':
      return CHEAP_OPERATORS.has(node.value as string) && cheap(node.lhs as AstNode, bound) && cheap(node.rhs, bound);
    case 'unary':
      if (node.value === '-') return cheap(node.expression, bound);
      if (node.value === '[') return (node.expressions ?? []).every((item) => cheap(item, bound));
      if (node.value === '{') return ((node.lhs as AstNode[][] | undefined) ?? []).every((pair) => pair.every((part) => cheap(part, bound)));
      return false;
    case 'condition':
      return cheap(node.condition, bound) && cheap(node.then, bound) && cheap(node.else, bound);
    case 'block':
      // `(a or b) and c`: each expression once; a variable binding inside is not cheap.
      return (node.expressions ?? []).every((item) => cheap(item, bound));
    default:
      return false;
  }
}

/** The cost bound of a parsed expression, from jsonata's `ast()`. */
export function costBound(ast: unknown): CostBound {
  const bound: CostBound = { bounded: false, reads: 0, fields: new Set() };
  bound.bounded = cheap(ast as AstNode, bound);
  if (!bound.bounded) bound.fields = null;
  return bound;
}
