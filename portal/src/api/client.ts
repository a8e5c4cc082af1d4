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
  /**
   * Follows a delivery stream from `variables.after`, as `subscribe` does, and resumes it after
   * the last item's cursor (`cursorOf`) whenever the socket reconnects or the stream fails, so
   * nothing is missed or seen twice across the gap.
   */
  follow<R, V extends { after?: string | null }>(document: TypedDocumentString<R, V>, variables: V, cursorOf: (data: R) => string | null | undefined, onData: (data: R) => void): () => void;
  close(): void;
}

/** graphql-ws closes a socket whose token the server refuses with this code. */
const FORBIDDEN_CLOSE = 4403;
/** How long a failed stream waits before it resumes. */
const RESUME_AFTER_MS = 1000;

const isForbiddenClose = (event: unknown) => typeof event === 'object' && event !== null && 'code' in event && event.code === FORBIDDEN_CLOSE;

export function createApi(token: string, onSessionEnded: () => void): Api {
  const endpoint = new URL('/graphql', window.location.origin);
  let socket: Client | null = null;
  let ended = false;
  const sockets = () => {
    if (!socket) {
      const url = new URL(endpoint);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      socket = createClient({
        url: url.toString(),
        connectionParams: { authorization: `Bearer ${token}` },
        lazy: true,
        retryAttempts: Infinity,
        shouldRetry: (event) => !isForbiddenClose(event),
        on: {
          closed: (event) => {
            if (!isForbiddenClose(event)) return;
            ended = true;
            onSessionEnded();
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
    follow(document, variables, cursorOf, onData) {
      // graphql-ws sends this same payload again each time it reconnects: moving `after` on as
      // items arrive makes every reconnect resume where the stream was.
      const payload = { query: document.toString(), variables: { ...variables } as Record<string, unknown> };
      let stopped = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let dispose = () => {};
      const start = () => {
        dispose = sockets().subscribe(payload, {
          next: (result) => {
            if (!result.data) return;
            const cursor = cursorOf(result.data as never);
            if (cursor) payload.variables.after = cursor;
            onData(result.data as never);
          },
          // The stream failed (a restart, a subscriber too slow): again from its last cursor, unless the session is over.
          error: (failure) => {
            if (!stopped && !ended && !isForbiddenClose(failure)) timer = setTimeout(start, RESUME_AFTER_MS);
          },
          complete: () => {},
        });
      };
      start();
      return () => {
        stopped = true;
        clearTimeout(timer);
        dispose();
      };
    },
    close() {
      void socket?.dispose();
      socket = null;
    },
  };
}
