import { evaluate, ExpressionError, type CompiledExpression, type EvaluateOptions } from './expression.ts';

/**
 * What a rule's `condition` and `transform` see: the event, with the payload under `payload`.
 * The names are part of the public contract (rules are written against them).
 */
export interface ExpressionInput {
  type: string;
  resource: string | null;
  resourceId: string | null;
  sequence: number;
  /** When the event was accepted, ISO 8601 in UTC. */
  timestamp: string;
  payload: unknown;
}

/** The expression input of a stored event. */
export function expressionInput(event: {
  type: string;
  resource?: string | null;
  resourceId?: string | null;
  sequence: number;
  createdAt: Date;
  payload: unknown;
}): ExpressionInput {
  return {
    type: event.type,
    resource: event.resource ?? null,
    resourceId: event.resourceId ?? null,
    sequence: event.sequence,
    timestamp: event.createdAt.toISOString(),
    payload: event.payload,
  };
}

/** JSONata's `$boolean()` casting, so a condition reads the way it would inside JSONata. */
function truthy(value: unknown): boolean {
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

function prefixed(expression: 'condition' | 'transform', error: unknown): never {
  if (error instanceof ExpressionError) {
    throw new ExpressionError(error.code, `${expression}: ${error.message}`, error.position);
  }
  throw error;
}

/**
 * Whether the event passes a rule's condition. No value, `false`, `0`, `""`, `null`, `{}` and
 * `[]` fail; anything else passes, as with JSONata's `$boolean()`.
 * @throws ExpressionError, its message starting with "condition:"
 */
export async function evaluateCondition(
  condition: CompiledExpression,
  input: ExpressionInput,
  options: EvaluateOptions,
): Promise<boolean> {
  try {
    return truthy(await evaluate(condition, input, options));
  } catch (error) {
    return prefixed('condition', error);
  }
}

/** Options of a transform: the time limit plus the largest body it may produce. */
export interface TransformOptions extends EvaluateOptions {
  /** Largest body in bytes of UTF-8 JSON (the engine passes `config.maxTransformBytes`, default 262144). */
  maxBytes: number;
}

/**
 * Runs a rule's transform and returns the request body it produces, as JSON text (what the
 * engine signs and sends).
 * @throws ExpressionError with code `NO_OUTPUT` when it yields nothing, `NOT_JSON` when its
 * result cannot be serialised, `OUTPUT_TOO_LARGE` above `maxBytes`, or jsonata's code.
 */
export async function evaluateTransform(
  transform: CompiledExpression,
  input: ExpressionInput,
  options: TransformOptions,
): Promise<string> {
  try {
    const result = await evaluate(transform, input, options);
    let body: string | undefined;
    try {
      body = JSON.stringify(result);
    } catch (error) {
      throw new ExpressionError('NOT_JSON', `the result is not JSON: ${(error as Error).message}`);
    }
    if (body === undefined) {
      throw new ExpressionError('NO_OUTPUT', 'produced no value, so there is no body to send');
    }
    const bytes = Buffer.byteLength(body);
    if (bytes > options.maxBytes) {
      throw new ExpressionError(
        'OUTPUT_TOO_LARGE',
        `produced ${bytes} bytes, more than the ${options.maxBytes} allowed (SWITCHYARD_MAX_TRANSFORM_BYTES)`,
      );
    }
    return body;
  } catch (error) {
    return prefixed('transform', error);
  }
}
