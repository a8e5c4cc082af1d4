import type { Config } from '../../config.ts';
import type { Issue } from '../errors.ts';
import type { RoutingSnapshot } from './routing-snapshot.ts';

/**
 * Problems with one event's payload: over the size cap, or not matching its event type's JSON
 * Schema. `path` points at the event in the mutation's input.
 */
export async function checkPayload(
  routing: RoutingSnapshot,
  config: Config,
  type: string,
  payload: unknown,
  path: string[],
): Promise<Issue[]> {
  const bytes = Buffer.byteLength(JSON.stringify(payload) ?? '');
  if (bytes > config.maxPayloadBytes) {
    return [{
      path: [...path, 'payload'],
      message: `is ${bytes} bytes; the limit is ${config.maxPayloadBytes} (SWITCHYARD_MAX_PAYLOAD_BYTES)`,
    }];
  }
  const schema = await routing.schemaFor(type);
  return schema ? schema.check(payload, [...path, 'payload']) : [];
}
