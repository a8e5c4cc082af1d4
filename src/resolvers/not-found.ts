import { NotFoundError } from '../domains/errors.ts';
import { encodeId, type IdType } from './global-id.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ENCODABLE = new Set<string>(['ApiKey', 'EventType', 'Connection', 'Rule', 'Event', 'Delivery']);

/**
 * Awaits `work`, reporting a missing resource by the public id the client sent rather than the
 * internal UUID services use, so a foreign id, an unknown id and a malformed id all read alike.
 */
export async function withPublicIds<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof NotFoundError && UUID.test(error.id) && ENCODABLE.has(error.resource)) {
      throw new NotFoundError(error.resource, encodeId(error.resource as IdType, error.id));
    }
    throw error;
  }
}
