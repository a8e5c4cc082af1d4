import { print } from 'graphql';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { SwitchyardAuthError, SwitchyardError, SwitchyardNetworkError, errorFromGraphql, type GraphqlErrorBody } from './errors.ts';

/** A live stream: read it with `for await`; `break` or `close()` ends the subscription. */
export interface Stream<T> extends AsyncIterableIterator<T> {
  /** Ends the subscription. Safe to call more than once. */
  close(): Promise<void>;
}

export interface SubscriptionOptions {
  /** The graphql-ws endpoint, e.g. `wss://switchyard.example.com/graphql`. */
  url: string;
  apiKey: string;
  /** A WebSocket class where the runtime has no global one (Node before 22: the `ws` package). */
  webSocketImpl?: unknown;
  /** Reconnects of a dropped socket before a stream fails. (Default: 5) */
  retryAttempts?: number;
}

/** The socket closed with 4403: the server refused the key in `connectionParams`. */
const FORBIDDEN_CLOSE_CODE = 4403;

/**
 * One graphql-ws socket per SDK client, opened on the first stream and closed when the last one
 * ends (graphql-ws's lazy mode); all of the client's streams share it.
 */
export function createSubscriptions(options: SubscriptionOptions) {
  let socket: WsClient | null = null;
  const connect = () =>
    (socket ??= createWsClient({
      url: options.url,
      connectionParams: { authorization: `Bearer ${options.apiKey}` },
      lazy: true,
      retryAttempts: options.retryAttempts ?? 5,
      // A refused key stays refused: fail at once instead of retrying with the same key.
      shouldRetry: (event) => closeCode(event) !== FORBIDDEN_CLOSE_CODE,
      ...(options.webSocketImpl ? { webSocketImpl: options.webSocketImpl } : {}),
    }));

  return {
    /** Subscribes with `document` and yields `pick(data)` for each event. */
    stream<TData, TVariables extends Record<string, unknown>, T>(
      document: TypedDocumentNode<TData, TVariables>,
      variables: TVariables,
      pick: (data: TData) => T,
    ): Stream<T> {
      const source = connect().iterate<TData>({ query: print(document), variables });
      const close = async () => {
        await source.return?.();
      };
      const stream: Stream<T> = {
        async next() {
          let result;
          try {
            result = await source.next();
          } catch (error) {
            throw streamError(error);
          }
          if (result.done) return { value: undefined, done: true };
          if (result.value.errors?.length) {
            await close();
            throw errorFromGraphql(result.value.errors as GraphqlErrorBody[]);
          }
          if (result.value.data == null) return stream.next();
          return { value: pick(result.value.data), done: false };
        },
        async return() {
          await close();
          return { value: undefined, done: true };
        },
        close,
        [Symbol.asyncIterator]() {
          return stream;
        },
      };
      return stream;
    },
    /** Closes the socket and ends every stream. */
    async dispose() {
      await socket?.dispose();
      socket = null;
    },
  };
}

function closeCode(event: unknown): number | undefined {
  const code = (event as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** graphql-ws fails a stream with a close event, an array of GraphQL errors, or an Error. */
function streamError(error: unknown): SwitchyardError {
  if (Array.isArray(error)) return errorFromGraphql(error as GraphqlErrorBody[]);
  const code = closeCode(error);
  if (code === FORBIDDEN_CLOSE_CODE) {
    return new SwitchyardAuthError('The API refused the key and closed the socket (4403)', 'UNAUTHENTICATED');
  }
  if (code !== undefined) {
    const reason = (error as { reason?: unknown }).reason;
    return new SwitchyardNetworkError(`The subscription socket closed (${code}${reason ? `: ${String(reason)}` : ''})`, { cause: error });
  }
  if (error instanceof SwitchyardError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SwitchyardNetworkError(`The subscription failed: ${message}`, { cause: error });
}
