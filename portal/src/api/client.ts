import { createClient, type Client } from 'graphql-ws';
import type { TypedDocumentString } from './generated.ts';

/** The session is over (expired or revoked): the API no longer accepts its token. */
export class SessionEndedError extends Error {
  constructor() {
    super('This portal session has ended');
  }
}

/** The API refused the action: the session may not do it. */
export class ForbiddenError extends Error {}

interface GraphqlResponse<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** The one client every screen uses: typed documents over HTTP, subscriptions over graphql-ws. */
export interface Api {
  request<R, V>(document: TypedDocumentString<R, V>, variables?: V): Promise<R>;
  /** Calls `onData` with each result until the returned function is called. */
  subscribe<R, V>(document: TypedDocumentString<R, V>, variables: V, onData: (data: R) => void): () => void;
  close(): void;
}

/** graphql-ws closes a socket whose token the server refuses with this code. */
const FORBIDDEN_CLOSE = 4403;

export function createApi(token: string, onSessionEnded: () => void): Api {
  const endpoint = new URL('/graphql', window.location.origin);
  let socket: Client | null = null;
  const sockets = () => {
    if (!socket) {
      const url = new URL(endpoint);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      socket = createClient({
        url: url.toString(),
        connectionParams: { authorization: `Bearer ${token}` },
        lazy: true,
        retryAttempts: Infinity,
        shouldRetry: (event) => !(typeof event === 'object' && event !== null && 'code' in event && event.code === FORBIDDEN_CLOSE),
        on: {
          closed: (event) => {
            if (typeof event === 'object' && event !== null && 'code' in event && event.code === FORBIDDEN_CLOSE) onSessionEnded();
          },
        },
      });
    }
    return socket;
  };

  return {
    async request(document, variables) {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: document.toString(), variables: variables ?? {} }),
      });
      const body = (await response.json()) as GraphqlResponse<never>;
      const error = body.errors?.[0];
      if (error?.extensions?.code === 'UNAUTHENTICATED') {
        onSessionEnded();
        throw new SessionEndedError();
      }
      if (error?.extensions?.code === 'FORBIDDEN') throw new ForbiddenError(error.message);
      if (error || !body.data) throw new Error(error?.message ?? `The API answered HTTP ${response.status}`);
      return body.data;
    },
    subscribe(document, variables, onData) {
      return sockets().subscribe(
        { query: document.toString(), variables: variables as Record<string, unknown> },
        {
          next: (result) => {
            if (result.data) onData(result.data as never);
          },
          error: () => {},
          complete: () => {},
        },
      );
    },
    close() {
      void socket?.dispose();
      socket = null;
    },
  };
}
