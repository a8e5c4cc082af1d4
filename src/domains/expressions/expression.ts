import jsonata from 'jsonata';
import { ValidationError } from '../errors.ts';
import { storableText } from '../validation.ts';
import { LruCache } from '../lru-cache.ts';
import { costBound, type CostBound } from './bounded-cost.ts';
import { directEvaluator, type DirectEvaluator } from './direct-evaluation.ts';
import { ExpressionPool, type ExpressionPoolOptions } from './expression-pool.ts';
import { runEvaluation, type EvaluationMode } from './guarded-evaluation.ts';

/**
 * JSONata expressions, as rules use them for `condition` and `transform`.
 *
 * Terms:
 * - compile: parse once when a rule is saved (a syntax error is a ValidationError naming the
 *   field and the position) and again, from cache, when the engine loads the rule; the parse
 *   also says whether the expression's cost is bounded (bounded-cost.ts).
 * - evaluate: run against one event with jsonata's guardrails (guarded-evaluation.ts). A bounded
 *   expression runs in the calling thread; any other runs in an expression worker process
 *   (expression-pool.ts), killed when it outruns its time or its heap, so that no expression can
 *   block the event loop or exhaust the process's memory. A condition of the commonest kind
 *   (paths, literals, comparisons, `and`, `or`) is answered without jsonata, by work bounded by
 *   its own size (direct-evaluation.ts), which hands over to jsonata wherever it is not sure.
 */

/** Longest expression accepted, in characters. */
export const MAX_EXPRESSION_LENGTH = 10_000;

/** Compiled expressions kept per process, by source text. */
const CACHE_SIZE = 5_000;

/** A parsed expression's source, what its cost is bounded by, and its direct evaluator if it has one. */
export class CompiledExpression {
  readonly source: string;
  readonly cost: CostBound;
  /** Set for a bounded expression of the subset direct-evaluation.ts implements. */
  readonly direct: DirectEvaluator | null;

  constructor(source: string, cost: CostBound = { bounded: false, reads: 0, fields: null }, direct: DirectEvaluator | null = null) {
    this.source = source;
    this.cost = cost;
    this.direct = direct;
  }
}

const cache = new LruCache<string, CompiledExpression>(CACHE_SIZE);

interface JsonataFailure {
  code?: string;
  position?: number;
  message?: string;
}

function asFailure(error: unknown): JsonataFailure {
  return typeof error === 'object' && error !== null ? (error as JsonataFailure) : { message: String(error) };
}

/**
 * Compiles `source`, or returns the cached compilation of the same text. A syntax error is a
 * ValidationError at `["input", field]` whose message gives the position and jsonata's reason.
 */
export function compileExpression(source: string, field: string): CompiledExpression {
  const compiled = tryCompile(source);
  if (compiled instanceof CompiledExpression) return compiled;
  throw ValidationError.field(['input', field], compiled.code === 'TOO_LONG' ? compiled.message : `is not a valid JSONata expression: ${compiled.message}`);
}

/**
 * Compiles `source` like `compileExpression`, but returns a syntax error (code `S0...`, or
 * `TOO_LONG`) as an ExpressionError with its position instead of throwing: for trials, which
 * report it beside the rest.
 */
export function tryCompile(source: string): CompiledExpression | ExpressionError {
  const cached = cache.get(source);
  if (cached) return cached;
  if (source.length > MAX_EXPRESSION_LENGTH) {
    return new ExpressionError('TOO_LONG', `must be at most ${MAX_EXPRESSION_LENGTH} characters`);
  }
  let parsed: jsonata.Expression;
  try {
    parsed = jsonata(source);
  } catch (error) {
    const failure = asFailure(error);
    const code = failure.code ?? 'SYNTAX';
    return new ExpressionError(code, `${failure.message ?? 'syntax error'} at position ${failure.position ?? 0} (${code})`, failure.position ?? 0);
  }
  const ast = parsed.ast();
  const cost = costBound(ast);
  const compiled = new CompiledExpression(source, cost, cost.bounded ? directEvaluator(ast) : null);
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
  /**
   * jsonata's code (`D1012` time limit, `D1011` depth limit, `T1006` ...), `MEMORY_LIMIT` (its
   * worker's heap ran out), or `OUTPUT_TOO_LARGE`, `NO_OUTPUT`, `NOT_JSON`.
   */
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

let pool: ExpressionPool | null = null;
let poolOptions: ExpressionPoolOptions = { workers: 2, memoryMb: 64 };

/**
 * Sets the expression workers' count and heap (`SWITCHYARD_EXPRESSION_MEMORY_MB`), for the
 * workers started from now on. Called once at start; tests may leave the defaults (2, 64 MB).
 */
export function configureExpressions(options: ExpressionPoolOptions): void {
  poolOptions = options;
}

/** Terminates the expression workers; the next slow-path evaluation starts new ones. */
export async function closeExpressions(): Promise<void> {
  const closing = pool;
  pool = null;
  await closing?.close();
}

/**
 * Evaluates `compiled` against `input` for `mode` (see guarded-evaluation.ts): in this thread
 * when `inThread` holds, in an expression worker otherwise. Every failure becomes an
 * ExpressionError.
 */
export async function evaluateAs(
  compiled: CompiledExpression,
  input: unknown,
  options: EvaluateOptions & { mode: EvaluationMode; inThread: boolean },
): Promise<unknown> {
  const request = { source: compiled.source, input, timeoutMs: options.timeoutMs, mode: options.mode };
  const outcome = options.inThread ? await runEvaluation(request) : await (pool ??= new ExpressionPool(poolOptions)).run(request);
  if (!outcome.ok) throw new ExpressionError(outcome.code, outcome.message, outcome.position);
  return outcome.value;
}

/** Evaluates `compiled` against `input` with the guardrails on, in a worker unless its cost is bounded. */
export async function evaluate(compiled: CompiledExpression, input: unknown, options: EvaluateOptions): Promise<unknown> {
  return evaluateAs(compiled, input, { ...options, mode: { kind: 'value' }, inThread: compiled.cost.bounded });
}
