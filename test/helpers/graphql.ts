import type { GraphQLFormattedError } from 'graphql';

export interface GraphqlResponse<T> {
  data?: T | null;
  errors?: GraphQLFormattedError[];
}

export interface GraphqlClient {
  /** Full response, errors included. */
  raw<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GraphqlResponse<T>>;
  /** Data only; throws when the response has top-level errors. */
  request<T = Record<string, any>>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

/** A bare GraphQL-over-HTTP client, for tests that look at the wire format itself. */
export function graphqlClient(url: string, key?: string): GraphqlClient {
  const raw = async <T>(query: string, variables?: Record<string, unknown>) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphqlResponse<T>;
  };
  return {
    raw,
    async request<T>(query: string, variables?: Record<string, unknown>) {
      const response = await raw<T>(query, variables);
      if (response.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
      return response.data as T;
    },
  };
}
