import jsonata from 'jsonata';
import { LruCache } from '../lru-cache.ts';

/**
 * One evaluation of a JSONata expression with jsonata's guardrails on: a time limit (checked
 * between steps), a depth limit (runaway recursion) and a sequence limit (huge ranges such as
 * `[1..9999999]`). Plain data in, plain data out, so the same code runs in this thread (for
 * expressions whose cost is bounded, see bounded-cost.ts) and in an expression worker process (for
 * everything else, see expression-pool.ts).
 */

/** Deepest evaluation allowed before jsonata stops with D1011. */
const STACK_LIMIT = 500;

/**
 * Longest sequence an expression may build. A payload of 256 KiB holds at most ~131k array
 * items ("0,"), so any legitimate mapping over a payload stays below this.
 */
const SEQUENCE_LIMIT = 250_000;

/** Parsed expressions kept per process, by time limit and source text. */
const CACHE_SIZE = 5_000;

/**
 * What the caller wants of the result: its JSONata truthiness (a condition), its JSON text
 * within `maxBytes` (a transform's body), or the value itself.
 */
export type EvaluationMode = { kind: 'truthy' } | { kind: 'json'; maxBytes: number } | { kind: 'value' };

export interface EvaluationRequest {
  source: string;
  input: unknown;
  timeoutMs: number;
  mode: EvaluationMode;
}

export type EvaluationOutcome =
  | { ok: true; value: unknown }
  | { ok: false; code: string; message: string; position: number | null };

const parsed = new LruCache<string, jsonata.Expression>(CACHE_SIZE);

/** jsonata binds its guardrails when it compiles, so one instance is kept per time limit. */
function guarded(source: string, timeoutMs: number): jsonata.Expression {
  const key = `${timeoutMs}\n${source}`;
  let expression = parsed.get(key);
  if (!expression) {
    expression = jsonata(source, { timeout: timeoutMs, stack: STACK_LIMIT, sequence: SEQUENCE_LIMIT });
    parsed.set(key, expression);
  }
  return expression;
}

interface JsonataFailure {
  code?: string;
  position?: number;
  message?: string;
  error?: JsonataFailure;
}

/** An error jsonata threw (unwrapped from `$eval(...)`), or anything else, as an outcome. */
export function failureOutcome(error: unknown): EvaluationOutcome {
  let failure = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as JsonataFailure;
  while (failure.error) failure = failure.error;
  const code = failure.code ?? 'EVALUATION';
  const at = failure.position === undefined ? '' : ` at position ${failure.position}`;
  return { ok: false, code, message: `${failure.message ?? 'evaluation failed'}${at} (${code})`, position: failure.position ?? null };
}

/** JSONata's `$boolean()` casting, so a condition reads the way it would inside JSONata. */
export function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(truthy);
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'string':
      return value.length > 0;
    case 'number':
      return value !== 0;
    case 'object':
      return value !== null && Object.keys(value).length > 0;
    default:
      return false;
  }
}

function asJson(result: unknown, maxBytes: number): EvaluationOutcome {
  let body: string | undefined;
  try {
    body = JSON.stringify(result);
  } catch (error) {
    return { ok: false, code: 'NOT_JSON', message: `the result is not JSON: ${(error as Error).message}`, position: null };
  }
  if (body === undefined) return { ok: false, code: 'NO_OUTPUT', message: 'produced no value, so there is no body to send', position: null };
  const bytes = Buffer.byteLength(body);
  if (bytes > maxBytes) {
    return {
      ok: false,
      code: 'OUTPUT_TOO_LARGE',
      message: `produced ${bytes} bytes, more than the ${maxBytes} allowed (SWITCHYARD_MAX_TRANSFORM_BYTES)`,
      position: null,
    };
  }
  return { ok: true, value: body };
}

/** Evaluates one request in this thread; never throws. */
export async function runEvaluation(request: EvaluationRequest): Promise<EvaluationOutcome> {
  let result: unknown;
  try {
    result = await guarded(request.source, request.timeoutMs).evaluate(request.input);
  } catch (error) {
    return failureOutcome(error);
  }
  switch (request.mode.kind) {
    case 'truthy':
      return { ok: true, value: truthy(result) };
    case 'json':
      return asJson(result, request.mode.maxBytes);
    case 'value':
      return { ok: true, value: result };
  }
}
