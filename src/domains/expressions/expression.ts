import jsonata from 'jsonata';
import { ValidationError } from '../errors.ts';
import { storableText } from '../validation.ts';
import { LruCache } from '../lru-cache.ts';

/**
 * JSONata expressions, as rules use them for `condition` and `transform`.
 *
 * Terms:
 * - compile: parse once when a rule is saved (a syntax error is a ValidationError naming the
 *   field and the position) and again, from cache, when the engine loads the rule.
 * - evaluate: run against one event, always with jsonata's guardrails: a time limit, a depth
 *   limit (runaway recursion) and a sequence limit (huge ranges such as `[1..9999999]`).
 *
 * The guardrails bound time and recursion, not memory: an expression can still build a large
 * string in a few steps. The transform's output is capped (see `evaluateTransform`).
 */

/** Longest expression accepted, in characters. (Default: 10000) */
export const MAX_EXPRESSION_LENGTH = 10_000;

/** Deepest evaluation allowed before jsonata stops with D1011. (Default: 500) */
const STACK_LIMIT = 500;

/**
 * Longest sequence an expression may build. A payload of 256 KiB holds at most ~131k array
 * items ("0,"), so any legitimate mapping over a payload stays below this.
 */
const SEQUENCE_LIMIT = 250_000;

/** Compiled expressions kept per process, by source text. (Default: 5000) */
const CACHE_SIZE = 5_000;

/**
 * A parsed expression. jsonata binds its guardrails when it compiles, so one parsed instance is
 * kept per time limit in use (in practice one: the configured one).
 */
export class CompiledExpression {
  readonly source: string;
  readonly #byTimeout = new Map<number, jsonata.Expression>();

  constructor(source: string) {
    this.source = source;
  }

  /** The jsonata instance that stops after `timeoutMs`. */
  guarded(timeoutMs: number): jsonata.Expression {
    let expression = this.#byTimeout.get(timeoutMs);
    if (!expression) {
      expression = jsonata(this.source, { timeout: timeoutMs, stack: STACK_LIMIT, sequence: SEQUENCE_LIMIT });
      this.#byTimeout.set(timeoutMs, expression);
    }
    return expression;
  }
}

const cache = new LruCache<string, CompiledExpression>(CACHE_SIZE);

interface JsonataFailure {
  code?: string;
  position?: number;
  message?: string;
  error?: JsonataFailure;
}

function asFailure(error: unknown): JsonataFailure {
  return typeof error === 'object' && error !== null ? (error as JsonataFailure) : { message: String(error) };
}

/**
 * Compiles `source`, or returns the cached compilation of the same text. A syntax error is a
 * ValidationError at `["input", field]` whose message gives the position and jsonata's reason.
 */
export function compileExpression(source: string, field: string): CompiledExpression {
  const cached = cache.get(source);
  if (cached) return cached;
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw ValidationError.field(['input', field], `must be at most ${MAX_EXPRESSION_LENGTH} characters`);
  }
  try {
    jsonata(source);
  } catch (error) {
    const failure = asFailure(error);
    throw ValidationError.field(
      ['input', field],
      `is not a valid JSONata expression: ${failure.message ?? 'syntax error'} at position ${failure.position ?? 0}` +
        (failure.code ? ` (${failure.code})` : ''),
    );
  }
  const compiled = new CompiledExpression(source);
  cache.set(source, compiled);
  return compiled;
}

/**
 * The compiled form of an expression loaded from the database. Loading a workspace's rules must
 * not fail as a whole because one stored expression no longer parses (say, after a jsonata
 * upgrade), so such a problem surfaces as an ExpressionError when that rule is evaluated.
 */
export function storedExpression(source: string): CompiledExpression {
  try {
    return compileExpression(source, 'expression');
  } catch {
    return new CompiledExpression(source);
  }
}

/**
 * An expression failed while evaluating against an event: it ran too long, recursed too
 * deeply, raised a jsonata error, or produced an unusable result. Deterministic for the same
 * event, so the engine should record it on the attempt rather than retry.
 */
export class ExpressionError extends Error {
  /** jsonata's code (`D1012` time limit, `D1011` depth limit, `T1006` ...) or `OUTPUT_TOO_LARGE`, `NO_OUTPUT`, `NOT_JSON`. */
  readonly code: string;
  /** Character position in the expression, when jsonata reports one. */
  readonly position: number | null;

  constructor(code: string, message: string, position: number | null = null) {
    // Recorded on the attempt or the delivery, and `$error()` can put any text in it.
    super(storableText(message));
    this.name = 'ExpressionError';
    this.code = code;
    this.position = position;
  }
}

/** Options of one evaluation. */
export interface EvaluateOptions {
  /** Time limit in milliseconds (the engine passes `config.expressionTimeoutMs`, default 50). */
  timeoutMs: number;
}

/**
 * Evaluates `compiled` against `input` with the guardrails on. Every failure becomes an
 * ExpressionError; jsonata's errors inside `$eval(...)` are unwrapped to their own code.
 */
export async function evaluate(compiled: CompiledExpression, input: unknown, options: EvaluateOptions): Promise<unknown> {
  try {
    return await compiled.guarded(options.timeoutMs).evaluate(input);
  } catch (error) {
    let failure = asFailure(error);
    while (failure.error) failure = failure.error;
    const code = failure.code ?? 'EVALUATION';
    const at = failure.position === undefined ? '' : ` at position ${failure.position}`;
    throw new ExpressionError(code, `${failure.message ?? 'evaluation failed'}${at} (${code})`, failure.position ?? null);
  }
}
