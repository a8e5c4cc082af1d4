import { resolveCursorConnection, type DefaultConnectionArguments } from '@pothos/plugin-relay';
import { GraphQLError } from 'graphql';
import { isUuid } from '../domains/public-ids.ts';


export interface Page {
  /** Keyset condition on `id`, newest first by default (ids are UUIDv7, so they sort by time). */
  id?: { $lt?: string; $gt?: string };
  order: 'asc' | 'desc';
  limit: number;
}

/**
 * Resolves a Relay connection by keyset pagination on `id`: stable under inserts and cheap at
 * any depth, unlike offsets.
 */
export function paginate<T extends { id: string }>(
  args: DefaultConnectionArguments,
  fetch: (page: Page) => Promise<T[]>,
) {
  for (const name of ['after', 'before'] as const) {
    const cursor = args[name];
    if (cursor != null && !isUuid(cursor)) {
      throw new GraphQLError(`"${name}" is not a cursor from this list`, {
        extensions: { code: 'BAD_USER_INPUT', field: name },
      });
    }
  }
  return resolveCursorConnection<Promise<T[]>>(
    { args, toCursor: (node) => node.id, defaultSize: 20, maxSize: 100 },
    ({ before, after, limit, inverted }) => {
      const id = { ...(after ? { $lt: after } : {}), ...(before ? { $gt: before } : {}) };
      return fetch({ ...(after || before ? { id } : {}), order: inverted ? 'asc' : 'desc', limit });
    },
  );
}
