// The id codec is domain logic (webhook-ids and operational events use it too); resolvers use it
// through this module so the GraphQL layer has one place that names it.
import { decodeId, type IdType } from '../domains/public-ids.ts';

export { decodeId, encodeId, type IdType } from '../domains/public-ids.ts';

/** No row has this id: what a filter by an id that is not of its type matches. */
const NO_ROW = '00000000-0000-0000-0000-000000000000';

/** Decodes a filter's public id; a malformed or foreign id matches nothing, as a missing one would. */
export function decodeIdOrNone(type: IdType, id: string | number): string {
  try {
    return decodeId(type, String(id));
  } catch {
    return NO_ROW;
  }
}
