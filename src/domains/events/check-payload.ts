import type { Config } from '../../config.ts';
import type { Issue } from '../errors.ts';
import type { RoutingSnapshot } from './routing-snapshot.ts';

/** What is wrong with a payload, and which of the two problems it is (for metrics). */
export interface PayloadProblems {
  issues: Issue[];
  tooLarge: boolean;
}

/**
 * Whether `value` nests objects and arrays more than `limit` levels deep. Stops descending at the
 * limit, so its own recursion is bounded by it.
 */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (limit === 0) return true;
  for (const child of Object.values(value)) if (nestedDeeperThan(child, limit - 1)) return true;
  return false;
}

/**
 * Problems with one event's payload: nested too deeply, over the size cap, or not matching its
 * event type's JSON Schema. `path` points at the event in the mutation's input.
 */
export async function checkPayload(
  routing: RoutingSnapshot,
  config: Config,
  type: string,
  payload: unknown,
  path: string[],
): Promise<PayloadProblems> {
  // Too deep counts as too large: both are limits on the payload's size.
  const overLimits = payloadLimitIssues(config, payload, path);
  if (overLimits.length > 0) return { tooLarge: true, issues: overLimits };
  const schema = await routing.schemaFor(type);
  return { tooLarge: false, issues: schema ? schema.check(payload, [...path, 'payload']) : [] };
}

/**
 * The payload nested deeper than `SWITCHYARD_MAX_PAYLOAD_DEPTH` or over the size cap
 * (`SWITCHYARD_MAX_PAYLOAD_BYTES`), as an issue at `path`.payload; empty within both.
 */
export function payloadLimitIssues(config: Config, payload: unknown, path: string[]): Issue[] {
  if (nestedDeeperThan(payload, config.maxPayloadDepth)) {
    return [{
      path: [...path, 'payload'],
      message: `is nested more than ${config.maxPayloadDepth} levels deep (SWITCHYARD_MAX_PAYLOAD_DEPTH)`,
    }];
  }
  const bytes = Buffer.byteLength(JSON.stringify(payload) ?? '');
  if (bytes <= config.maxPayloadBytes) return [];
  return [{
    path: [...path, 'payload'],
    message: `is ${bytes} bytes; the limit is ${config.maxPayloadBytes} (SWITCHYARD_MAX_PAYLOAD_BYTES)`,
  }];
}
