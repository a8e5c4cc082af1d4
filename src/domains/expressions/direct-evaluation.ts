import { truthy } from './guarded-evaluation.ts';
import type { AstNode } from './jsonata-ast.ts';

/**
 * A direct evaluator for the conditions most rules have (`payload.total > 10 and
 * payload.currency = "EUR"`): jsonata evaluates even these through a chain of async steps, with
 * a guardrail check and a sequence built at each, many times the cost of the comparison itself.
 * This compiles the expression once into plain functions that answer in place, synchronously.
 *
 * It implements exactly the subset whose jsonata semantics are simple: paths of field names,
 * string, number, `true`, `false` and `null` literals, `= != < <= > >=`, `and`, `or`, `in` and
 * `? :`, and parentheses around one expression. Anything else is not compiled (null), and jsonata
 * evaluates it as before. When evaluating, it hands over to jsonata (returns HAND_OVER) wherever
 * jsonata's answer is not a plain one: a path step that meets an array (jsonata maps over it and
 * flattens), `=` between two objects (deep equality), and every case where jsonata raises an
 * error (T2009, T2010), so that jsonata reports it with its own code, message and position.
 *
 * Its work is one visit of each node at most, each path step one property read, and the truth
 * of an object a count of its keys: linear at most in the event, within what bounded-cost.ts
 * promises of an expression run in place.
 */

/** The evaluator met something it does not implement exactly: jsonata evaluates the expression instead. */
export const HAND_OVER: unique symbol = Symbol('hand over to jsonata');

/** An expression's value for one input (undefined where jsonata yields nothing), or HAND_OVER. */
export type DirectEvaluator = (input: unknown) => unknown;

/**
 * Nested deeper than this, an expression is left to jsonata, which counts its depth against its
 * own limit (D1011, far above this): the direct evaluator must never answer where jsonata stops.
 */
const MAX_DEPTH = 64;

/** The direct evaluator of a parsed expression (jsonata's `ast()`), or null when it uses anything outside the subset. */
export function directEvaluator(ast: unknown): DirectEvaluator | null {
  return compile(ast as AstNode, 0);
}

/** A node's own keys that change nothing in the subset; any other marks a feature it does not implement. */
const PLAIN_KEYS = new Set(['type', 'value', 'position', 'lhs', 'rhs', 'steps', 'expressions', 'condition', 'then', 'else']);

function plain(node: AstNode): boolean {
  return Object.keys(node).every((key) => PLAIN_KEYS.has(key));
}

const COMPARISONS = new Set(['<', '<=', '>', '>=']);

function compile(node: AstNode | undefined, depth: number): DirectEvaluator | null {
  if (!node || depth > MAX_DEPTH || !plain(node)) return null;
  switch (node.type) {
    case 'string':
    case 'number':
    case 'value': {
      const value = node.value;
      return () => value;
    }
    case 'path':
      return path(node);
    case 'block':
      return node.expressions?.length === 1 ? compile(node.expressions[0], depth + 1) : null;
    case 'condition':
      return condition(node, depth);
    case 'binary':
      return binary(node, depth);
    default:
      return null;
  }
}

function path(node: AstNode): DirectEvaluator | null {
  const steps = node.steps ?? [];
  if (steps.length === 0 || !steps.every((step) => step.type === 'name' && typeof step.value === 'string' && plain(step))) return null;
  const names = steps.map((step) => step.value as string);
  return (input) => {
    let value = input;
    for (const name of names) {
      if (Array.isArray(value)) return HAND_OVER;
      // jsonata reads own properties of objects only; a step on anything else yields nothing.
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, name)) return undefined;
      value = (value as Record<string, unknown>)[name];
    }
    return Array.isArray(value) ? HAND_OVER : value;
  };
}

function condition(node: AstNode, depth: number): DirectEvaluator | null {
  const test = compile(node.condition, depth + 1);
  const then = compile(node.then, depth + 1);
  const otherwise = node.else === undefined ? () => undefined : compile(node.else, depth + 1);
  if (!test || !then || !otherwise) return null;
  return (input) => {
    const value = test(input);
    if (value === HAND_OVER) return HAND_OVER;
    return truthy(value) ? then(input) : otherwise(input);
  };
}

function binary(node: AstNode, depth: number): DirectEvaluator | null {
  const op = node.value as string;
  const lhs = compile(node.lhs as AstNode, depth + 1);
  const rhs = op === 'in' ? membership(node.rhs, depth + 1) : compile(node.rhs, depth + 1);
  if (!lhs || !rhs) return null;
  if (op === 'and' || op === 'or') {
    // The right side is evaluated only when the left does not decide, as in jsonata: an error
    // it would raise then does not happen.
    const decides = op === 'or';
    return (input) => {
      const left = lhs(input);
      if (left === HAND_OVER) return HAND_OVER;
      if (truthy(left) === decides) return decides;
      const right = rhs(input);
      return right === HAND_OVER ? HAND_OVER : truthy(right);
    };
  }
  const operate = operation(op);
  if (!operate) return null;
  return (input) => {
    const left = lhs(input);
    if (left === HAND_OVER) return HAND_OVER;
    const right = rhs(input);
    return right === HAND_OVER ? HAND_OVER : operate(left, right);
  };
}

function operation(op: string): ((left: unknown, right: unknown) => unknown) | null {
  if (op === '=' || op === '!=') {
    const equal = op === '=';
    return (left, right) => {
      if (left === undefined || right === undefined) return false;
      // jsonata compares two objects key by key.
      if (typeof left === 'object' && left !== null && typeof right === 'object' && right !== null) return HAND_OVER;
      return (left === right) === equal;
    };
  }
  if (COMPARISONS.has(op)) {
    return (left, right) => {
      const leftType = typeof left;
      const rightType = typeof right;
      // Anything but strings and numbers is T2010, a string against a number T2009.
      if (!(leftType === 'undefined' || leftType === 'string' || leftType === 'number')) return HAND_OVER;
      if (!(rightType === 'undefined' || rightType === 'string' || rightType === 'number')) return HAND_OVER;
      if (leftType === 'undefined' || rightType === 'undefined') return undefined;
      if (leftType !== rightType) return HAND_OVER;
      const [a, b] = [left as string | number, right as string | number];
      return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
    };
  }
  if (op === 'in') {
    return (left, right) => {
      if (left === undefined || right === undefined) return false;
      return (Array.isArray(right) ? right : [right]).indexOf(left) !== -1;
    };
  }
  return null;
}

/** The right side of `in`: an array of literals (`["DE", "FR"]`), or anything of the subset. */
function membership(node: AstNode | undefined, depth: number): DirectEvaluator | null {
  if (!node || node.type !== 'unary' || node.value !== '[') return compile(node, depth);
  const items = node.expressions ?? [];
  if (!plain(node) || !items.every((item) => (item.type === 'string' || item.type === 'number' || item.type === 'value') && plain(item))) return null;
  const values = items.map((item) => item.value);
  return () => values;
}
