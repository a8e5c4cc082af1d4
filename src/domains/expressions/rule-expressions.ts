import { closestName } from '../closest-name.ts';
import { HAND_OVER } from './direct-evaluation.ts';
import { evaluateAs, ExpressionError, type CompiledExpression, type EvaluateOptions } from './expression.ts';
import { truthy } from './guarded-evaluation.ts';
import { topLevelFields } from './unknown-fields.ts';

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

/** The fields of `ExpressionInput`, in the order the docs list them. */
export const EXPRESSION_FIELDS: readonly (keyof ExpressionInput)[] = ['type', 'resource', 'resourceId', 'sequence', 'timestamp', 'payload'];

/**
 * Hints for names an expression reads from the top of the input that no event has, such as
 * `total` in `total > 100` where `payload.total` was meant: such an expression is valid, and
 * never true. Empty when every name it reads there is a field of the input.
 */
export function unknownFieldWarnings(field: 'condition' | 'transform', source: string | null | undefined): string[] {
  if (!source) return [];
  const known = new Set<string>(EXPRESSION_FIELDS);
  return topLevelFields(source)
    .filter((reference) => !known.has(reference.name))
    .map(({ name, position }) => {
      const meant = closestName(name, EXPRESSION_FIELDS) ?? `payload.${name}`;
      return `${field} reads "${name}" at position ${position}, which events do not have (they have ${EXPRESSION_FIELDS.join(', ')}): did you mean "${meant}"?`;
    });
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

/**
 * Whether an expression may read `field` of its input: surely not when it is bounded and no path
 * of it starts with that name (see `CostBound.fields`). Emit numbers an event before routing it
 * only for a condition that may read its `sequence`, since that costs a round trip.
 */
export function mayRead(expression: CompiledExpression, field: keyof ExpressionInput): boolean {
  return expression.cost.fields === null || expression.cost.fields.has(field);
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
  // Answered in place when it can be (see direct-evaluation.ts); otherwise, or when it hands over, by jsonata.
  if (condition.direct) {
    const value = condition.direct(input);
    if (value !== HAND_OVER) return truthy(value);
  }
  try {
    return (await evaluateAs(condition, input, { ...options, mode: { kind: 'truthy' }, inThread: condition.cost.bounded })) as boolean;
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
 * Whether a bounded transform's body stays within `maxBytes` even if every read of the event
 * yields all of it: only then is it built in this thread (`{ "a": payload, "b": payload, ... }`
 * could otherwise make a body of the payload's size times the number of reads).
 */
function boundedOutput(transform: CompiledExpression, input: ExpressionInput, maxBytes: number): boolean {
  if (!transform.cost.bounded) return false;
  if (transform.cost.reads <= 1) return true;
  return transform.cost.reads * Buffer.byteLength(JSON.stringify(input)) <= maxBytes;
}

/**
 * Runs a rule's transform and returns the request body it produces, as JSON text (what the
 * engine signs and sends).
 * @throws ExpressionError with code `NO_OUTPUT` when it yields nothing, `NOT_JSON` when its
 * result cannot be serialised, `OUTPUT_TOO_LARGE` above `maxBytes`, `MEMORY_LIMIT` when it
 * needed more memory than its worker has, or jsonata's code (`D1012` when it ran out of time).
 */
export async function evaluateTransform(
  transform: CompiledExpression,
  input: ExpressionInput,
  options: TransformOptions,
): Promise<string> {
  try {
    const mode = { kind: 'json' as const, maxBytes: options.maxBytes };
    return (await evaluateAs(transform, input, { timeoutMs: options.timeoutMs, mode, inThread: boundedOutput(transform, input, options.maxBytes) })) as string;
  } catch (error) {
    return prefixed('transform', error);
  }
}
