import type { ListOptions, Page } from './types.ts';

/** The Relay arguments of a list call. */
export function pageArgs(page: ListOptions): { first?: number; after?: string } {
  return { ...(page.limit != null ? { first: page.limit } : {}), ...(page.cursor ? { after: page.cursor } : {}) };
}

/** A Relay connection as the SDK's `Page`. */
export function toPage<T>(connection: { edges: { node: T }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } }): Page<T> {
  return {
    data: connection.edges.map((edge) => edge.node),
    hasMore: connection.pageInfo.hasNextPage,
    nextCursor: connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null,
  };
}
